"""Help request use cases: ask for help, cancel, read the history, list what is open or stuck."""
from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple, Optional, Sequence

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ledger import service as ledger
from ledger.clock import as_utc
from ledger.errors import InvalidInput, NotFound, RuleBroken
from ledger.members import is_active
from ledger.orm import Member
from ledger.prepared import Prepared, bound
from scheduler.context import Env
from scheduler.lifecycle import ACTIVE, require_move
from scheduler.orm import HelpRequest, Job, Offer, RequestEvent
from scheduler.ports import Message
from scheduler.when import PARTS, start_of, window

CHANNELS = ("ivr", "sms", "web", "cli", "recurring")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def record(s: Session, env: Env, req: HelpRequest, kind: str, actor: str,
           to_state: Optional[str] = None, *, at: Optional[datetime] = None, **detail: Any) -> RequestEvent:
    """Append an event (at `at`, default now); when `to_state` is given the move must be allowed by the life cycle."""
    before = req.state
    if to_state is not None and to_state != before:
        require_move(before, to_state)
        req.state = to_state
    now = at or env.now()
    if req.updated_at != now:                  # a request just created says `at` already: no UPDATE
        req.updated_at = now
    event = RequestEvent(request_id=req.id, at=now, actor=actor[:120], kind=kind,
                         from_state=before, to_state=req.state, detail=detail)
    s.add(event)
    s.flush()
    return event


def load_request(s: Session, request_id: int, *, lock: bool = False) -> HelpRequest:
    stmt = select(HelpRequest).where(HelpRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    req = s.scalar(stmt)
    if req is None:
        raise NotFound(f"ไม่พบคำขอเลขที่ {request_id}", f"no request {request_id}")
    return req


_REQUEST_COLUMNS = ("key", "member_id", "category", "earliest_day", "latest_day", "part", "minutes", "village",
                    "notes", "voice_message_url", "channel", "recurring", "state", "created_at", "updated_at")
_EVENT_COLUMNS = ("request_id", "at", "actor", "kind", "from_state", "to_state", "detail")


class _Opening:
    """``open_request``'s statements, prepared once per database: the phone saves a request with them."""

    def __init__(self, dialect: Dialect) -> None:
        requests, events, members = HelpRequest.__table__, RequestEvent.__table__, Member.__table__

        self.by_key = Prepared(select(requests.c.id).where(requests.c.key == bindparam("key")), dialect)
        self.asker = Prepared(select(*(members.c[name] for name in ("id", "name", "village", "status",
                                                                     "paused_until")))
                              .where(members.c.id == bindparam("id")), dialect)
        self.new_request = Prepared(insert(requests).values(bound(*_REQUEST_COLUMNS)).returning(requests.c.id),
                                    dialect)
        self.new_event = Prepared(insert(events).values(bound(*_EVENT_COLUMNS)), dialect)


@cache
def _opening(dialect: Dialect) -> _Opening:
    return _Opening(dialect)


class _Asker(NamedTuple):
    id: int
    name: str
    village: str
    status: str
    paused_until: Optional[date]


def request_help(s: Session, env: Env, **asked: Any) -> HelpRequest:
    """Record an elder's request (``open_request``) and return it."""
    return s.get(HelpRequest, open_request(s, env, **asked))


def open_request(s: Session, env: Env, *, member_id: int, category: str, when: str,
                 on: Optional[date] = None, part: Optional[str] = None, minutes: int = 60,
                 notes: str = "", channel: str = "cli", actor: str = "",
                 voice_message_url: Optional[str] = None, recurring: Optional[str] = None,
                 key: Optional[str] = None) -> int:
    """Record an elder's request; its id. A retried webhook with the same `key` gets the first one's.

    Everything is checked before anything is written, so a refusal (a WelaError) leaves nothing
    behind. The request and its first event are two Core inserts: the phone saves a request
    without loading a single ORM object.
    """
    s.flush()
    conn = s.connection()
    st = _opening(conn.dialect)
    if key:
        found = st.by_key.first(conn, {"key": key})
        if found is not None:
            return found[0]
    row = st.asker.first(conn, {"id": member_id})                 # who asks: read, not loaded
    if row is None:
        raise NotFound("ไม่พบสมาชิก", f"no member {member_id}")
    member = _Asker(*row)
    if not is_active(member, env.today()):
        raise RuleBroken(f"สมาชิก {member.name} พักการใช้งานอยู่", f"member {member.name} is paused")
    if category not in env.rules.categories:
        raise InvalidInput("ไม่รู้จักประเภทความช่วยเหลือนี้", f"unknown category {category!r}",
                           categories=env.rules.categories)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 15 <= minutes <= 480:
        raise InvalidInput("เวลาที่ขอต้องอยู่ระหว่าง 15 นาที ถึง 8 ชั่วโมง",
                           f"expected duration must be 15–480 minutes, got {minutes!r}")
    if channel not in CHANNELS:
        raise InvalidInput("ช่องทางไม่ถูกต้อง", f"unknown channel {channel!r}")
    if recurring is not None:
        _check_recurring(recurring)
    w = window(when, env.today(), on=on, part=part)
    if w.earliest == env.today() and part and start_of(w.earliest, part, env.tz) <= env.local_now() \
            and when != "this_week":
        raise InvalidInput("ช่วงเวลานี้ผ่านไปแล้ว กรุณาเลือกช่วงอื่น", "that part of today has passed")
    now = env.now()
    request_id = st.new_request.first(conn, {
        "key": key, "member_id": member.id, "category": category, "earliest_day": w.earliest,
        "latest_day": w.latest, "part": w.part, "minutes": minutes, "village": member.village,
        "notes": notes[:1000], "voice_message_url": voice_message_url, "channel": channel,
        "recurring": recurring, "state": "open", "created_at": now, "updated_at": now})[0]
    st.new_event.run(conn, {
        "request_id": request_id, "at": now, "actor": (actor or f"{channel}:{member.id}")[:120],
        "kind": "created", "from_state": "open", "to_state": "open",
        "detail": {"when": when, "earliest": str(w.earliest), "latest": str(w.latest), "part": w.part,
                   "minutes": minutes}})
    available = ledger.read_balance(conn, member.id).available
    if available < minutes:
        escalate(s, env, s.get(HelpRequest, request_id), "เวลาคงเหลือของผู้ขอไม่พอ",
                 "the member has too few credits", available=available)
    return request_id


def _check_recurring(rule: str) -> None:
    parts = rule.split(":")
    if len(parts) != 3 or parts[0] != "weekly" or parts[1] not in WEEKDAYS or parts[2] not in PARTS:
        raise InvalidInput("รูปแบบการขอซ้ำไม่ถูกต้อง (เช่น ทุกวันจันทร์ช่วงเช้า)",
                           f"recurring must look like weekly:mon:morning, got {rule!r}")


def cancel_request(s: Session, env: Env, request_id: int, *, actor: str, reason: str = "") -> HelpRequest:
    """Cancel: pending offers are withdrawn, held credits released, an assigned volunteer told."""
    req = load_request(s, request_id, lock=True)
    if req.state == "cancelled":
        return req
    require_move(req.state, "cancelled")
    withdraw_offers(s, env, req)
    if req.hold_id is not None:
        ledger.void_hold(s, hold_id=req.hold_id, clock=env.clock, entered_by=actor)
    if req.volunteer_id and req.state == "assigned":
        volunteer = s.get(Member, req.volunteer_id)
        env.notifier.send(s, Message(volunteer.id, volunteer.phone, "sms.cancelled",
                                     describe(s, env, req), "cancelled", f"cancelled:{req.id}",
                                     req.id, urgent=True))
    cancel_jobs(s, req.id)
    req.stuck_reason = None
    record(s, env, req, "cancelled", actor, "cancelled", reason=reason)
    return req


def withdraw_offers(s: Session, env: Env, req: HelpRequest) -> None:
    for offer in s.scalars(select(Offer).where(Offer.request_id == req.id, Offer.state == "pending")):
        offer.state, offer.answered_at = "withdrawn", env.now()


def cancel_jobs(s: Session, request_id: int, kinds: Sequence[str] = ()) -> None:
    stmt = select(Job).where(Job.request_id == request_id, Job.state == "pending")
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    for job in s.scalars(stmt):
        job.state = "cancelled"


def escalate(s: Session, env: Env, req: HelpRequest, reason_th: str, reason_en: str,
             **detail: Any) -> None:
    """Put the request in front of a person: mark it stuck and text the coordinators (once per reason).

    The coordinators of the elder's own village are told; only when the village has none, all are.
    """
    if req.stuck_reason == reason_th:
        return
    req.stuck_reason = reason_th[:200]
    record(s, env, req, "escalated", "system", reason=reason_en, reason_th=reason_th, **detail)
    elder = s.get(Member, req.member_id)
    coordinators = list(s.scalars(select(Member).where(Member.role == "coordinator",
                                                       Member.status == "active")))
    local = [c for c in coordinators if c.village == req.village]
    for coordinator in local or coordinators:        # the village's own coordinator first
        env.notifier.send(s, Message(
            coordinator.id, coordinator.phone, "sms.coordinator_alert",
            {"request": req.id, "name": elder.name if elder else "", "reason": reason_th},
            "alert", f"alert:{req.id}:{reason_en[:40]}:{coordinator.id}", req.id, urgent=False))


def describe(s: Session, env: Env, req: HelpRequest) -> dict[str, Any]:
    """Plain, JSON-safe facts about a request that texts and menus word for themselves.

    `name` (the elder), `category` (a code), `day` (ISO date), `start` (ISO local time or ""),
    `minutes`, `village`, `request` (the id).
    """
    elder = s.get(Member, req.member_id)
    start = planned_local(env, req)
    day = start.date() if start else req.earliest_day
    return {"request": req.id, "name": elder.name if elder else "", "category": req.category,
            "day": day.isoformat(), "start": start.time().isoformat("minutes") if start else "",
            "village": req.village, "minutes": req.minutes}


def history(s: Session, request_id: int) -> list[RequestEvent]:
    load_request(s, request_id)
    return list(s.scalars(select(RequestEvent).where(RequestEvent.request_id == request_id)
                          .order_by(RequestEvent.id)))


def list_requests(s: Session, *, states: Sequence[str] = (), member_id: Optional[int] = None,
                  limit: int = 500) -> Sequence[HelpRequest]:
    stmt = select(HelpRequest).order_by(HelpRequest.id.desc()).limit(limit)
    if states:
        stmt = stmt.where(HelpRequest.state.in_(states))
    if member_id is not None:
        stmt = stmt.where(HelpRequest.member_id == member_id)
    return s.scalars(stmt).all()


def stuck_requests(s: Session) -> Sequence[HelpRequest]:
    """Every request a person must look at, with the reason (`stuck_reason`)."""
    return s.scalars(select(HelpRequest).where(HelpRequest.stuck_reason.is_not(None),
                                               HelpRequest.state.in_(ACTIVE))
                     .order_by(HelpRequest.id)).all()


def planned_local(env: Env, req: HelpRequest) -> Optional[datetime]:
    return as_utc(req.planned_start).astimezone(env.tz) if req.planned_start else None
