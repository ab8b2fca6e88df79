"""`wela demo`, part two: a little history, a few open help requests, one scheduler tick.

Idempotent: each request and ledger entry has a fixed key ("demo:kham:visit"), so running the
demo again finds the first ones instead of doing them twice. The tick sends the offers (to the
SMS outbox once the SMS package is there; to the log before that).

The history is what lets a new user walk ยายสมศรี's whole story at once: มาลี ran her errand
yesterday afternoon and texted เสร็จ (recorded through the same use cases on a clock set to
yesterday; yesterday's texts and calls are not sent today), so she can call, press 2, confirm it
and hear มาลี paid; and two volunteers gave an hour each to the pool, which granted her two
hours, so her credits cover the clinic ride she asks for by phone (2 hours) beside the errand.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, Iterator, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import service as ledger
from ledger.clock import FakeClock
from ledger.errors import WelaError
from ledger.members import find_member
from scheduler.context import Env
from scheduler.lifecycle import STATE_TH
from scheduler.offers import assign_by_hand
from scheduler.orm import HelpRequest
from scheduler.ports import CallOrder, Message
from scheduler.requests import request_help
from scheduler.visits import report_done
from wela.bootstrap import Wela
from wela.db import atomic
from wela.wiring import runner, scheduler_env

SOMSRI = "081-234-5678"
DONE_YESTERDAY = dict(key="demo:somsri:errand-yesterday", phone=SOMSRI, volunteer="089-111-4455",
                      category="errand", when="today", part="afternoon", minutes=60,
                      notes="ซื้อของที่ตลาด")
DONORS = (("089-111-2233", 60), ("089-111-8899", 60))          # สมชาย and ประยูร, an hour each
GRANT = 120
REQUESTS: list[dict[str, Any]] = [
    dict(key="demo:boonmee:clinic", phone="081-555-0101", category="clinic", when="tomorrow",
         part="morning", minutes=120, notes="ไปตรวจความดันที่อนามัย"),
    dict(key="demo:kham:visit", phone="081-555-0102", category="visit", when="tomorrow",
         part="afternoon", minutes=60, notes="อยากมีเพื่อนคุย"),
]


def load(w: Wela) -> Iterator[str]:
    """Record the history and ask for the demo requests (once), then run one tick so the offers go out."""
    env = scheduler_env(w)
    yield "คำขอตัวอย่าง / demo requests:"
    try:
        done = _done_yesterday(w, env)
        yield f"  #{done.id:<3} {DONE_YESTERDAY['key']:<22} {done.category:<7} {STATE_TH.get(done.state, done.state)}"
    except WelaError as err:
        yield f"  ข้าม {DONE_YESTERDAY['key']}: {err.th} / skipped: {err.en}"
    try:
        atomic(w.sessions, lambda s: _pool_support(s, w))
        yield f"  กองกลางช่วยยายสมศรี {GRANT // 60} ชั่วโมง / the pool granted ยายสมศรี {GRANT} minutes"
    except WelaError as err:
        yield f"  ข้าม demo:grant:somsri: {err.th} / skipped: {err.en}"
    for spec in REQUESTS:
        try:
            req = atomic(w.sessions, lambda s, spec=spec: _ask(s, env, spec))
        except WelaError as err:
            yield f"  ข้าม {spec['key']}: {err.th} / skipped: {err.en}"
            continue
        yield f"  #{req.id:<3} {spec['key']:<22} {req.category:<7} {STATE_TH.get(req.state, req.state)}"
    out = runner(w).tick()
    yield f"ส่งข้อเสนองานแล้ว {out.get('match', 0)} รายการ / offers sent: {out.get('match', 0)}"


def _done_yesterday(w: Wela, env: Env) -> HelpRequest:
    """มาลี's errand for ยายสมศรี yesterday afternoon, reported done (once; found again after)."""
    spec = DONE_YESTERDAY
    found = atomic(w.sessions, lambda s: _by_key(s, spec["key"]))
    if found is not None:
        return found
    morning = datetime.combine(env.today() - timedelta(days=1), time(8), env.tz)
    then = replace(env, clock=FakeClock(morning), notifier=_Yesterday(), calls=_Yesterday())
    req = atomic(w.sessions, lambda s: _ask(s, then, spec))
    volunteer = atomic(w.sessions, lambda s: find_member(s, spec["volunteer"]).id)
    atomic(w.sessions, lambda s: assign_by_hand(s, then, req.id, volunteer, actor="demo"))
    then.clock.advance(hours=8)                                  # 16:00, the errand done
    return atomic(w.sessions, lambda s: report_done(s, then, volunteer_id=volunteer, request_id=req.id,
                                                    minutes=spec["minutes"], actor="demo"))


def _pool_support(s: Session, w: Wela) -> None:
    """Two volunteers give an hour each to the pool; the pool grants ยายสมศรี two hours (once)."""
    for phone, minutes in DONORS:
        ledger.donate(s, donor_id=find_member(s, phone).id, minutes=minutes, key=f"demo:donation:{phone}",
                      clock=w.clock, entered_by="demo", reason="ให้กองกลาง")
    ledger.grant(s, member_id=find_member(s, SOMSRI).id, minutes=GRANT, key="demo:grant:somsri",
                 clock=w.clock, entered_by="demo", reason="กองกลางช่วยค่าเดินทางไปหาหมอ")


def _by_key(s: Session, key: str) -> Optional[HelpRequest]:
    return s.scalar(select(HelpRequest).where(HelpRequest.key == key))


class _Yesterday:
    """The texts and calls of a visit recorded after the fact: they belonged to yesterday."""

    def send(self, s: Session, message: Message) -> None:
        pass

    def place(self, s: Session, order: CallOrder) -> None:
        pass


def _ask(s: Session, env: Env, spec: dict[str, Any]) -> HelpRequest:
    member = find_member(s, spec["phone"])
    return request_help(s, env, member_id=member.id, category=spec["category"], when=spec["when"],
                        part=spec["part"], minutes=spec["minutes"], notes=spec["notes"], channel="cli",
                        actor="demo", key=spec["key"])
