"""The menu's World port, for real: the caller, the bank's use cases and the coordinator, in one transaction.

Reads the menu makes on most steps (the caller's name, the balance) are prepared statements on
the transaction's connection; use cases that need the ORM get the transaction's Session
(``tx.session``). A rule that says no (a WelaError) leaves nothing behind and becomes a polite
sentence in the menu: ``confirm_service`` runs inside a SAVEPOINT, and ``open_request`` checks
everything before it writes. Any other failure (the database) propagates and the whole step
rolls back, so the caller hears the apology and nothing is half-saved.
The help request's idempotency key is ``ivr:<CallSid>:<step>``: a repeated webhook for that
step finds the first request instead of making a second.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple, Optional, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ledger import service as ledger
from ledger.clock import as_utc
from ledger.errors import WelaError
from ledger.members import check_pin, is_active
from ledger.orm import Member
from ledger.phones import parse_phone
from ledger.prepared import Prepared
from scheduler.context import Env
from scheduler.orm import HelpRequest
from scheduler.requests import open_request
from scheduler.visits import awaiting_confirmation, confirm_service
from voice.people import note_callback, register_stranger
from voice.spec import Caller, Credit, Paid, Visit
from wela.db import Tx

log = logging.getLogger("wela.voice")

#: How long the IVR books by default: a clinic trip is a morning; other help an hour.
MINUTES = {"clinic": 120}
DEFAULT_MINUTES = 60


@dataclass
class CallRow:
    """A call as the webhooks read and write it: plain columns, no ORM unit of work on the hot path.
    ``id`` 0: a new call, stored with its first reply."""

    id: int
    call_sid: str
    direction: str
    from_phone: str = ""
    to_phone: str = ""
    member_id: Optional[int] = None
    order_id: Optional[int] = None
    node: str = "start"
    context: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    last_reply: str = ""
    tasks: list[str] = field(default_factory=list)
    needed_person: bool = False
    ended_at: Optional[datetime] = None


CALL_COLUMNS = tuple(f.name for f in fields(CallRow))


@cache
def _who(dialect: Dialect) -> Prepared:
    members = Member.__table__
    return Prepared(select(members.c.id, members.c.name, members.c.speak_slowly)
                    .where(members.c.id == bindparam("id")), dialect)


class Who(NamedTuple):
    id: int
    name: str
    slow: bool


class DbWorld:
    def __init__(self, tx: Tx, env: Env, call: CallRow, *, key: str,
                 coordinator_phone: str = "") -> None:
        self.tx = tx
        self.env = env
        self.call = call
        self.key = key                           # ivr:<CallSid>:<step>
        self.coordinator_phone = coordinator_phone
        self._who: Optional[Who] = None

    # ── who is calling ──
    def member(self) -> Optional[Who]:
        if self.call.member_id is None:
            return None
        if self._who is None or self._who.id != self.call.member_id:
            row = _who(self.tx.dialect).first(self.tx.flushed(), {"id": self.call.member_id})
            self._who = Who(row[0], row[1], bool(row[2])) if row else None
        return self._who

    def caller(self) -> Optional[Caller]:
        who = self.member()
        return Caller(who.id, who.name, who.slow) if who else None

    def identify(self, number: str, pin: str) -> Optional[Caller]:
        if not number.isdecimal() or len(number) > 7:
            return None
        member = self.tx.session.get(Member, int(number))
        if member is None or not check_pin(member, pin) or not is_active(member, self.env.today()):
            return None
        self.call.member_id = member.id
        return self.caller()

    # ── what the bank knows ──
    def categories(self) -> Sequence[str]:
        return self.env.rules.categories

    def today(self) -> date:
        return self.env.today()

    def visits(self) -> list[int]:
        member = self.member()
        if member is None:
            return []
        return [r.id for r in awaiting_confirmation(self.tx.session, self.env, member.id)]

    def visit(self, request_id: int) -> Optional[Visit]:
        member = self.member()
        s = self.tx.session
        req = s.get(HelpRequest, request_id)
        if member is None or req is None or req.member_id != member.id or req.volunteer_id is None \
                or req.state not in ("assigned", "done"):
            return None
        volunteer = s.get(Member, req.volunteer_id)
        start = as_utc(req.planned_start).astimezone(self.env.tz) if req.planned_start else None
        return Visit(req.id, volunteer.name if volunteer else "", req.category,
                     start.date() if start else req.earliest_day, start.time() if start else None)

    def balance(self) -> Credit:
        member = self.member()
        if member is None:
            return Credit(0, 0, 0)
        b = ledger.read_balance(self.tx.flushed(), member.id)
        return Credit(b.available, b.held, b.loan_owed)

    def coordinator(self) -> str:
        return coordinator_number(self.tx.session, self.coordinator_phone)

    # ── what the caller asks the bank to do ──
    def ask_help(self, category: str, when: str, message_url: str) -> bool:
        member = self.member()
        if member is None:
            return False
        try:                                     # checks everything before it writes: no SAVEPOINT needed
            open_request(self.tx.session, self.env, member_id=member.id, category=category, when=when,
                         minutes=MINUTES.get(category, DEFAULT_MINUTES), channel="ivr",
                         actor=f"ivr:{self.call.call_sid}", key=self.key,
                         voice_message_url=message_url[:500] or None)
        except WelaError as err:
            log.info("IVR request refused for member %s: %s", member.id, err.en)
            return False
        return True

    def confirm(self, request_id: int, received: bool) -> Optional[Paid]:
        member = self.member()
        if member is None:
            return None
        s = self.tx.session
        try:
            with s.begin_nested():
                req = confirm_service(s, self.env, request_id=request_id, received=received,
                                      actor=f"ivr:{self.call.call_sid}", member_id=member.id)
        except WelaError as err:
            log.info("IVR confirmation refused for request %s: %s", request_id, err.en)
            return None
        volunteer = s.get(Member, req.volunteer_id) if req.volunteer_id else None
        return Paid(volunteer.name if volunteer else "", req.paid_minutes or 0)

    def note_callback(self, reason: str) -> None:
        note_callback(self.tx.session, self.env.notifier, key=f"callback:{self.call.call_sid}",
                      call_sid=self.call.call_sid, phone=self.phone(), member_id=self.call.member_id,
                      reason=reason, now=self.env.now())

    def register(self, name_url: str, village_url: str) -> None:
        register_stranger(self.tx.session, self.env.notifier, call_sid=self.call.call_sid, phone=self.phone(),
                          name_url=name_url, village_url=village_url, now=self.env.now())

    def phone(self) -> str:
        """The caller's number: who rang us, or whom we rang."""
        return self.call.to_phone if self.call.direction == "outbound" else self.call.from_phone


def coordinator_number(s: Session, configured: str = "") -> str:
    """Whom key 0 rings: WELA_COORDINATOR_PHONE, else the first active coordinator member ("" if none)."""
    if configured:
        try:
            return parse_phone(configured)
        except WelaError:
            log.warning("WELA_COORDINATOR_PHONE is not a phone number: %r", configured)
    phone = s.scalar(select(Member.phone).where(Member.role == "coordinator", Member.status == "active")
                     .order_by(Member.id).limit(1))
    return phone or ""
