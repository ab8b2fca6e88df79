"""A help request as plain data (JSON for scripts, rows for tables), the same for every screen."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from ledger.clock import as_utc
from ledger.orm import Member
from prompts_th.thai_text import date_text
from scheduler import requests as use
from scheduler.context import Env
from scheduler.lifecycle import STATE_TH
from scheduler.orm import HelpRequest, Offer, RequestEvent

PART_TH = {"morning": "เช้า", "afternoon": "บ่าย", "evening": "เย็น"}


def local_time(env: Env, moment: Any) -> Optional[str]:
    return as_utc(moment).astimezone(env.tz).isoformat(timespec="minutes") if moment else None


def when_text(req: HelpRequest) -> str:
    days = req.earliest_day.isoformat() if req.earliest_day == req.latest_day \
        else f"{req.earliest_day.isoformat()}..{req.latest_day.isoformat()}"
    return f"{days} {req.part}" if req.part else days


def when_th(env: Env, req: HelpRequest) -> str:
    start = use.planned_local(env, req)
    if start:
        return f"{date_text(start.date(), weekday=False, short=True)} {start:%H:%M}"
    days = date_text(req.earliest_day, weekday=False, short=True)
    if req.latest_day != req.earliest_day:
        days += "–" + date_text(req.latest_day, weekday=False, short=True)
    return f"{days} {PART_TH.get(req.part or '', '')}".strip()


def request_dict(s: Session, env: Env, req: HelpRequest) -> dict[str, Any]:
    """JSON-safe facts about a request (`wela requests list --json`): members by phone, local times."""
    elder = s.get(Member, req.member_id)
    volunteer = s.get(Member, req.volunteer_id) if req.volunteer_id else None
    return {"id": req.id, "member": elder.phone, "member_name": elder.name, "member_number": elder.id,
            "category": req.category, "state": req.state, "state_th": STATE_TH.get(req.state, req.state),
            "when": when_text(req), "earliest_day": req.earliest_day, "latest_day": req.latest_day,
            "part": req.part, "planned_start": local_time(env, req.planned_start), "minutes": req.minutes,
            "village": req.village, "notes": req.notes, "channel": req.channel, "recurring": req.recurring,
            "volunteer": volunteer.phone if volunteer else None,
            "volunteer_name": volunteer.name if volunteer else None,
            "stuck_reason": req.stuck_reason, "reported_minutes": req.reported_minutes,
            "paid_minutes": req.paid_minutes, "key": req.key,
            "created_at": local_time(env, req.created_at), "updated_at": local_time(env, req.updated_at)}


def event_dict(env: Env, e: RequestEvent) -> dict[str, Any]:
    return {"at": local_time(env, e.at), "actor": e.actor, "kind": e.kind, "from_state": e.from_state,
            "to_state": e.to_state, "detail": e.detail or {}}


def offer_dict(s: Session, env: Env, o: Offer) -> dict[str, Any]:
    volunteer = s.get(Member, o.volunteer_id)
    return {"id": o.id, "volunteer": volunteer.phone, "volunteer_name": volunteer.name, "code": o.code,
            "state": o.state, "rank": o.rank, "reason": o.reason, "sent_at": local_time(env, o.sent_at),
            "expires_at": local_time(env, o.expires_at), "answered_at": local_time(env, o.answered_at)}


def table_row(env: Env, d: dict[str, Any], req: HelpRequest) -> dict[str, Any]:
    """`request_dict` plus what a table shows people: the time in Thai, dashes for nothing."""
    return {**d, "when_th": when_th(env, req), "volunteer_name": d["volunteer_name"] or "-",
            "stuck_reason": d["stuck_reason"] or ""}
