"""What needs a person: callback requests for the coordinator, and strangers' pending registrations.

Both are rows written once per call (by key) and announced to the bank's coordinators by SMS
through the scheduler's Notifier, in the same transaction as the call step that caused them. The
coordinator settles each by hand (the calls page, or ``wela voice callback-done`` /
``registration-done``): a callback once rung back, a registration once the stranger is registered
or turned away. Settling twice changes nothing. A stranger whose number has since been registered
(by any way: the members page, ``wela members add``, an import) no longer waits.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from ledger.errors import InvalidInput, NotFound
from ledger.orm import Member
from ledger.phones import display_phone
from scheduler.ports import Message, Notifier
from voice.orm import CallbackRequest, PendingRegistration
from wela.db import add_once

CALLBACK_ALERT = "ivr.callback_alert"
REGISTRATION_ALERT = "ivr.registration_alert"
#: A stranger still waiting: not settled by hand, and their number not a member's yet.
REGISTRATION_WAITING = and_(PendingRegistration.state == "pending",
                            ~exists().where(Member.phone == PendingRegistration.phone))


def coordinators(s: Session) -> Sequence[Member]:
    return s.scalars(select(Member).where(Member.role == "coordinator", Member.status == "active")
                     .order_by(Member.id)).all()


def note_callback(s: Session, notifier: Optional[Notifier], *, key: str, call_sid: str, phone: str,
                  member_id: Optional[int], reason: str, now: datetime) -> CallbackRequest:
    """Ask a person to ring ``phone`` back (once per key), and text the coordinators."""
    row, new = add_once(s, lambda: s.scalar(select(CallbackRequest).where(CallbackRequest.key == key[:120])),
                        lambda: CallbackRequest(key=key[:120], call_sid=call_sid[:64], member_id=member_id,
                                                phone=phone[:40], reason=reason[:30], created_at=now))
    if not new:
        return row
    member = s.get(Member, member_id) if member_id else None
    _alert(s, notifier, CALLBACK_ALERT, f"callback-alert:{row.id}",
           {"name": member.name if member else "", "phone": _shown(phone)})
    return row


def register_stranger(s: Session, notifier: Optional[Notifier], *, call_sid: str, phone: str,
                      name_url: str, village_url: str, now: datetime) -> PendingRegistration:
    """Keep a stranger's recorded name and village for the coordinator (once per call)."""
    found = s.scalar(select(PendingRegistration).where(PendingRegistration.call_sid == call_sid))
    if found is not None:
        return found
    row = PendingRegistration(call_sid=call_sid, phone=phone[:40], name_recording_url=name_url[:500],
                              village_recording_url=village_url[:500], created_at=now)
    s.add(row)
    s.flush()
    _alert(s, notifier, REGISTRATION_ALERT, f"registration-alert:{row.id}", {"phone": _shown(phone)})
    return row


def open_callbacks(s: Session, limit: int = 200) -> Sequence[CallbackRequest]:
    return s.scalars(select(CallbackRequest).where(CallbackRequest.done_at.is_(None))
                     .order_by(CallbackRequest.id).limit(limit)).all()


def pending_registrations(s: Session, limit: int = 200) -> Sequence[PendingRegistration]:
    return s.scalars(select(PendingRegistration).where(REGISTRATION_WAITING)
                     .order_by(PendingRegistration.id).limit(limit)).all()


def close_callback(s: Session, callback_id: int, *, by: str, now: datetime) -> CallbackRequest:
    """The caller has been rung back: off the waiting list (the first time; again changes nothing)."""
    row = s.get(CallbackRequest, callback_id, with_for_update=True)
    if row is None:
        raise NotFound("ไม่พบรายการโทรกลับนี้", f"no callback request {callback_id}")
    if row.done_at is None:
        row.done_at, row.done_by = now, by[:120]
    return row


REGISTRATION_OUTCOMES = ("registered", "dropped")


def settle_registration(s: Session, registration_id: int, outcome: str) -> PendingRegistration:
    """The coordinator registered the stranger (``registered``) or will not (``dropped``)."""
    if outcome not in REGISTRATION_OUTCOMES:
        raise InvalidInput("ผลการสมัครไม่ถูกต้อง", f"outcome must be one of {REGISTRATION_OUTCOMES}")
    row = s.get(PendingRegistration, registration_id, with_for_update=True)
    if row is None:
        raise NotFound("ไม่พบผู้ขอสมัครรายนี้", f"no pending registration {registration_id}")
    if row.state == "pending":
        row.state = outcome
    return row


def _alert(s: Session, notifier: Optional[Notifier], template: str, key: str, slots: dict) -> None:
    if notifier is None:
        return
    for person in coordinators(s):
        notifier.send(s, Message(person.id, person.phone, template, slots, "alert",
                                 f"{key}:{person.id}"))


def _shown(phone: str) -> str:
    return display_phone(phone) if phone.startswith("+") else phone
