"""The inbound use case: one text from one phone becomes one command, run through the bank's use cases.

``handle_incoming(s, env, from_phone, body) -> reply text or None`` is shared by every way a text
arrives (Twilio, the Android gateway, ``wela sms simulate``). It reads the body with the pure parser
(sms/commands.py) and the sender's open offer codes (``read_incoming``; the inbox keeps what it read),
then calls the scheduler and ledger use cases a volunteer may call: answer an
offer, report done, balance, pause, stop and start. A rule saying no (``WelaError``) becomes its
Thai sentence as the reply, after the use case's partial work is rolled back (a savepoint).

Decisions
---------
* Stop is honoured at once, from anyone; a stopped number gets no reply except to เริ่ม / start.
  A pure volunteer who stops is also paused (no more offers) and their open offers are declined,
  so an elder does not wait for an answer that cannot come. Members who also receive help stay
  active: stopping texts must not stop them asking for help by phone.
* Pause N days declines the open offers too (they pass to the next volunteer at once).
* Accepting gets no direct reply: the scheduler's booking text (sms.assigned) is the answer.
* An unknown number gets a polite reply with the bank's phone number (once a day, so a stranger
  cannot make the bank text in a loop) and learns nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import service as ledger
from ledger.errors import NotFound, WelaError
from ledger.members import member_by_phone, pause_member, resume_member
from ledger.orm import Member
from ledger.phones import display_phone, parse_phone
from scheduler.context import Env
from scheduler.offers import answer_offer, open_offers
from scheduler.orm import HelpRequest, Offer
from scheduler.visits import report_done
from sms import optout
from sms.commands import (Accept, Balance, Command, Decline, Done, Help, Pause, Reason, Start, Stop,
                          Unknown, parse)
from sms.orm import InboundSms
from sms.render import render

STRANGER_REPLY_EVERY = timedelta(days=1)
CLOSED_OFFER_MEMORY = timedelta(days=3)

UNKNOWN_REPLY = {
    Reason.EMPTY: "sms.reply.not_understood",
    Reason.NO_WORDS: "sms.reply.not_understood",
    Reason.UNRECOGNISED: "sms.reply.not_understood",
    Reason.TOO_LONG: "sms.reply.too_long",
    Reason.CONFLICTING: "sms.reply.conflicting",
    Reason.UNEXPECTED_NUMBER: "sms.reply.code_unclear",
    Reason.SEVERAL_CODES: "sms.reply.code_unclear",
    Reason.MINUTES_NOT_WHOLE: "sms.reply.duration_unclear",
    Reason.MINUTES_OUT_OF_RANGE: "sms.reply.duration_unclear",
    Reason.DURATION_NEEDS_UNIT: "sms.reply.duration_unclear",
    Reason.DAYS_OUT_OF_RANGE: "sms.reply.days_unclear",
}


def phone_key(raw: str) -> str:
    """E.164 when the number parses, else the raw text (trimmed): the opt-out and inbox key."""
    try:
        return parse_phone(raw)
    except WelaError:
        return " ".join((raw or "").split())[:40]


def open_codes(s: Session, member_id: int) -> frozenset[str]:
    """Codes of the member's offers still waiting for an answer or for "done"."""
    return frozenset(s.scalars(
        select(Offer.code).join(HelpRequest, HelpRequest.id == Offer.request_id)
        .where(Offer.volunteer_id == member_id, Offer.state.in_(("pending", "accepted")),
               HelpRequest.state.in_(("open", "offered", "assigned")))))


@dataclass(frozen=True)
class Incoming:
    """One text as read: the sender's number (E.164 when it parses), their membership, the command."""

    phone: str
    member: Optional[Member]
    command: Command
    body: str


def read_incoming(s: Session, from_phone: str, body: Any) -> Incoming:
    member = member_by_phone(s, from_phone)
    text = body if isinstance(body, str) else ""
    return Incoming(phone_key(from_phone), member,
                    parse(text, open_codes(s, member.id) if member else frozenset()), text)


def handle_incoming(s: Session, env: Env, from_phone: str, body: str, *, bank_phone: str = ""
                    ) -> Optional[str]:
    """The reply to one text (None: send nothing). Raises only for bugs, never for bad input."""
    return reply_to(s, env, read_incoming(s, from_phone, body), bank_phone=bank_phone)


def reply_to(s: Session, env: Env, text: Incoming, *, bank_phone: str = "") -> Optional[str]:
    """Run a text read by ``read_incoming`` through the use cases; its reply (None: send nothing)."""
    phone, member, command = text.phone, text.member, text.command
    if isinstance(command, Stop):
        return _stop(s, env, phone, member)
    if optout.is_stopped(s, phone) and not isinstance(command, Start):
        return None
    if member is None:
        return _stranger(s, env, phone, bank_phone)
    if isinstance(command, Unknown):
        return _not_understood(command, text.body)
    action = ACTIONS[type(command)]
    try:
        with s.begin_nested():
            return action(s, env, member, command, phone)
    except WelaError as err:
        return _refused(s, env, member, command, err)


# --- the commands ------------------------------------------------------------------------------

def _accept(s: Session, env: Env, member: Member, command: Accept, phone: str) -> Optional[str]:
    answer_offer(s, env, volunteer_id=member.id, accept=True, code=command.code, actor=f"sms:{member.id}")
    return None            # the booking text (sms.assigned) is the answer


def _decline(s: Session, env: Env, member: Member, command: Decline, phone: str) -> Optional[str]:
    answer_offer(s, env, volunteer_id=member.id, accept=False, code=command.code, actor=f"sms:{member.id}")
    return render("sms.reply.declined", {})


def _done(s: Session, env: Env, member: Member, command: Done, phone: str) -> Optional[str]:
    req = report_done(s, env, volunteer_id=member.id, code=command.code, minutes=command.minutes,
                      actor=f"sms:{member.id}")
    elder = s.get(Member, req.member_id)
    return render("sms.reply.done", {"name": elder.name if elder else "",
                                     "minutes": req.reported_minutes or req.minutes})


def _balance(s: Session, env: Env, member: Member, command: Balance, phone: str) -> Optional[str]:
    return render("sms.reply.balance", {"minutes": ledger.balance(s, member.id).available})


def _pause(s: Session, env: Env, member: Member, command: Pause, phone: str) -> Optional[str]:
    until = env.today() + timedelta(days=command.days)
    _decline_open_offers(s, env, member)
    pause_member(s, member, until=until)
    return render("sms.reply.paused", {"day": until.isoformat()})


def _start(s: Session, env: Env, member: Optional[Member], phone: str) -> Optional[str]:
    optout.start(s, phone)
    if member is not None and member.status == "paused":
        resume_member(s, member)
    return render("sms.reply.started", {})


def _stop(s: Session, env: Env, phone: str, member: Optional[Member]) -> Optional[str]:
    optout.stop(s, phone, env.now())
    if member is not None and member.gives:
        try:
            with s.begin_nested():
                _decline_open_offers(s, env, member)
        except WelaError:
            pass                     # the stop stands even if an offer could not be passed on
        if member.role == "volunteer":
            pause_member(s, member, until=None)
    return render("sms.reply.stopped", {})


def _help(s: Session, env: Env, member: Member, command: Help, phone: str) -> Optional[str]:
    return render("sms.reply.help", {})


ACTIONS: dict[type, Callable[..., Optional[str]]] = {
    Accept: _accept, Decline: _decline, Done: _done, Balance: _balance, Pause: _pause, Help: _help,
    Start: lambda s, env, member, command, phone: _start(s, env, member, phone),
}


def _decline_open_offers(s: Session, env: Env, member: Member) -> None:
    for offer in open_offers(s, member.id):
        answer_offer(s, env, volunteer_id=member.id, accept=False, code=offer.code, actor=f"sms:{member.id}")


# --- replies that are not a use case -------------------------------------------------------------

def _not_understood(command: Unknown, body: Any) -> str:
    key = UNKNOWN_REPLY.get(command.reason, "sms.reply.not_understood")
    if command.reason is Reason.AMBIGUOUS:
        has_digits = any(ch.isdigit() for ch in str(body))      # "1.30 ชม" rather than "ยกเลิก"
        key = "sms.reply.duration_unclear" if has_digits else "sms.reply.cancel_unclear"
    return render(key, {})


def _refused(s: Session, env: Env, member: Member, command: Command, err: WelaError) -> str:
    """A rule said no. An answer to an offer that has closed gets a kind word, not an error."""
    if isinstance(command, (Accept, Decline)) and isinstance(err, NotFound) and \
            _recently_closed(s, env, member.id, command.code):
        return render("sms.reply.offer_closed", {})
    return err.th


def _recently_closed(s: Session, env: Env, member_id: int, code: Optional[str]) -> bool:
    stmt = select(Offer.id).where(Offer.volunteer_id == member_id,
                                  Offer.state.in_(("expired", "withdrawn", "declined")),
                                  Offer.sent_at >= env.now() - CLOSED_OFFER_MEMORY)
    if code:
        stmt = stmt.where(Offer.code == code)
    return s.scalar(stmt.limit(1)) is not None


def _stranger(s: Session, env: Env, phone: str, bank_phone: str) -> Optional[str]:
    answered = s.scalar(select(InboundSms.id).where(
        InboundSms.from_phone == phone, InboundSms.reply_text.is_not(None),
        InboundSms.received_at >= env.now() - STRANGER_REPLY_EVERY).limit(1))
    if answered is not None:
        return None
    contact = _bank_contact(s, bank_phone)
    if not contact:
        return render("sms.reply.unknown_sender_nophone", {})
    return render("sms.reply.unknown_sender", {"phone": contact})


def _bank_contact(s: Session, bank_phone: str) -> str:
    """The bank's number as Thai people write it: the setting, else the first coordinator's."""
    raw = bank_phone
    if not raw:
        raw = s.scalar(select(Member.phone).where(Member.role == "coordinator", Member.status == "active")
                       .order_by(Member.id).limit(1)) or ""
    if not raw:
        return ""
    try:
        return display_phone(parse_phone(raw))
    except WelaError:
        return raw
