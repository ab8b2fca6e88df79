"""Read-only views of the SMS outbox and inbox and the call log, for finding out why someone was not reached.

The tables belong to the sms and voice packages; this module only reads them, and answers
"nothing to show" while a table is not in the database yet (an older schema).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, Sequence

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session

from ledger.orm import Member

SMS_PROBLEMS = ("failed", "undelivered")


def _has(s: Session, table: str) -> bool:
    return inspect(s.connection()).has_table(table)


def counts(s: Session, *, since: datetime) -> dict[str, Optional[int]]:
    """Problems since `since` for the dashboard; None where the table is not there."""
    out: dict[str, Optional[int]] = {"sms_failed": None, "sms_waiting": None, "calls_need_person": None,
                                     "callbacks_open": None, "registrations_open": None}
    if _has(s, "sms_outbox"):
        from sms.orm import OutboundSms

        out["sms_failed"] = s.scalar(select(func.count(OutboundSms.id)).where(
            OutboundSms.status.in_(SMS_PROBLEMS), OutboundSms.updated_at >= since)) or 0
        out["sms_waiting"] = s.scalar(select(func.count(OutboundSms.id)).where(
            OutboundSms.status.in_(("queued", "sending")))) or 0
    if _has(s, "voice_calls"):
        from voice.orm import CallbackRequest, VoiceCall

        out["calls_need_person"] = s.scalar(select(func.count(VoiceCall.id)).where(
            VoiceCall.needed_person.is_(True), VoiceCall.started_at >= since)) or 0
        if _has(s, "voice_callback_requests"):
            out["callbacks_open"] = s.scalar(select(func.count(CallbackRequest.id)).where(
                CallbackRequest.done_at.is_(None))) or 0
        if _has(s, "voice_registrations"):
            from voice.orm import PendingRegistration
            from voice.people import REGISTRATION_WAITING

            out["registrations_open"] = s.scalar(select(func.count(PendingRegistration.id)).where(
                REGISTRATION_WAITING)) or 0
    return out


@dataclass(frozen=True)
class Page:
    rows: Sequence[Any]
    total: int
    available: bool = True
    names: Optional[dict[int, str]] = None


def _names(s: Session, ids: set) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(s.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())


def _phone_digits(text: str) -> str:
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits[1:] if digits.startswith("0") else digits


def sms_outbox(s: Session, *, status: str = "", phone: str = "", limit: int = 50, offset: int = 0) -> Page:
    if not _has(s, "sms_outbox"):
        return Page([], 0, available=False)
    from sms.orm import OutboundSms

    cond = []
    if status == "problem":
        cond.append(OutboundSms.status.in_(SMS_PROBLEMS))
    elif status:
        cond.append(OutboundSms.status == status)
    digits = _phone_digits(phone)
    if len(digits) >= 3:
        cond.append(OutboundSms.to_phone.contains(digits))
    rows = s.scalars(select(OutboundSms).where(*cond).order_by(OutboundSms.id.desc())
                     .limit(limit).offset(offset)).all()
    total = s.scalar(select(func.count(OutboundSms.id)).where(*cond)) or 0
    return Page(rows, total, names=_names(s, {r.member_id for r in rows}))


def sms_inbox(s: Session, *, phone: str = "", limit: int = 50, offset: int = 0) -> Page:
    """Texts received, newest first: what each said, how the bank read it, what it answered."""
    if not _has(s, "sms_inbox"):
        return Page([], 0, available=False)
    from sms.orm import InboundSms

    cond = []
    digits = _phone_digits(phone)
    if len(digits) >= 3:
        cond.append(InboundSms.from_phone.contains(digits))
    rows = s.scalars(select(InboundSms).where(*cond).order_by(InboundSms.id.desc())
                     .limit(limit).offset(offset)).all()
    total = s.scalar(select(func.count(InboundSms.id)).where(*cond)) or 0
    return Page(rows, total, names=_names(s, {r.member_id for r in rows}))


def call_log(s: Session, *, only_person: bool = False, phone: str = "", limit: int = 50,
             offset: int = 0) -> Page:
    if not _has(s, "voice_calls"):
        return Page([], 0, available=False)
    from voice.orm import VoiceCall

    cond = []
    if only_person:
        cond.append(VoiceCall.needed_person.is_(True))
    digits = _phone_digits(phone)
    if len(digits) >= 3:
        cond.append(or_(VoiceCall.from_phone.contains(digits), VoiceCall.to_phone.contains(digits)))
    rows = s.scalars(select(VoiceCall).where(*cond).order_by(VoiceCall.id.desc())
                     .limit(limit).offset(offset)).all()
    total = s.scalar(select(func.count(VoiceCall.id)).where(*cond)) or 0
    return Page(rows, total, names=_names(s, {r.member_id for r in rows}))


def open_callbacks(s: Session, limit: int = 100) -> Page:
    if not _has(s, "voice_callback_requests"):
        return Page([], 0, available=False)
    from voice.orm import CallbackRequest

    rows = s.scalars(select(CallbackRequest).where(CallbackRequest.done_at.is_(None))
                     .order_by(CallbackRequest.id).limit(limit)).all()
    return Page(rows, len(rows), names=_names(s, {r.member_id for r in rows}))


def open_registrations(s: Session, limit: int = 100) -> Page:
    """Strangers who left their name and village by phone, waiting for the coordinator."""
    if not _has(s, "voice_registrations"):
        return Page([], 0, available=False)
    from voice.people import pending_registrations

    rows = pending_registrations(s, limit)
    return Page(rows, len(rows))


def call_orders(s: Session, limit: int = 50) -> Page:
    """Outbound calls (reminders, confirmations) that are waiting or ended badly."""
    if not _has(s, "voice_outbound_calls"):
        return Page([], 0, available=False)
    from voice.orm import OutboundCall

    rows = s.scalars(select(OutboundCall).where(OutboundCall.status != "completed")
                     .order_by(OutboundCall.id.desc()).limit(limit)).all()
    return Page(rows, len(rows), names=_names(s, {r.member_id for r in rows}))
