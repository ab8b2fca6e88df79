"""`wela demo`, part two: a few open help requests in the demo village, and one scheduler tick.

Idempotent: each request has a fixed key ("demo:somsri:clinic"), so running the demo again
finds the first ones instead of asking twice. The tick sends the offers (to the SMS outbox
once the SMS package is there; to the log before that).
"""
from __future__ import annotations

from typing import Any, Iterator

from sqlalchemy.orm import Session

from ledger.errors import WelaError
from ledger.members import find_member
from scheduler.context import Env
from scheduler.lifecycle import STATE_TH
from scheduler.orm import HelpRequest
from scheduler.requests import request_help
from wela.bootstrap import Wela
from wela.db import atomic
from wela.wiring import runner, scheduler_env

REQUESTS: list[dict[str, Any]] = [
    dict(key="demo:somsri:clinic", phone="081-234-5678", category="clinic", when="tomorrow",
         part="morning", minutes=120, notes="ไปตรวจความดันที่อนามัย"),
    dict(key="demo:boonmee:errand", phone="081-555-0101", category="errand", when="this_week",
         part=None, minutes=60, notes="ซื้อข้าวสารกับยา"),
    dict(key="demo:kham:visit", phone="081-555-0102", category="visit", when="tomorrow",
         part="afternoon", minutes=60, notes="อยากมีเพื่อนคุย"),
]


def load(w: Wela) -> Iterator[str]:
    """Ask for the demo requests (once), then run one tick so the offers go out."""
    env = scheduler_env(w)
    yield "คำขอตัวอย่าง / demo requests:"
    for spec in REQUESTS:
        try:
            req = atomic(w.sessions, lambda s, spec=spec: _ask(s, env, spec))
        except WelaError as err:
            yield f"  ข้าม {spec['key']}: {err.th} / skipped: {err.en}"
            continue
        yield f"  #{req.id:<3} {spec['key']:<22} {req.category:<7} {STATE_TH.get(req.state, req.state)}"
    out = runner(w).tick()
    yield f"ส่งข้อเสนองานแล้ว {out.get('match', 0)} รายการ / offers sent: {out.get('match', 0)}"


def _ask(s: Session, env: Env, spec: dict[str, Any]) -> HelpRequest:
    member = find_member(s, spec["phone"])
    return request_help(s, env, member_id=member.id, category=spec["category"], when=spec["when"],
                        part=spec["part"], minutes=spec["minutes"], notes=spec["notes"], channel="cli",
                        actor="demo", key=spec["key"])
