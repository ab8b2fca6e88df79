"""Stop and start: a number that said หยุด / stop gets nothing but the stop confirmation."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sms.orm import SmsOptOut


def is_stopped(s: Session, phone: str) -> bool:
    return s.scalar(select(SmsOptOut.phone).where(SmsOptOut.phone == phone)) is not None


def stop(s: Session, phone: str, now: datetime) -> None:
    """Opt `phone` out (again is harmless)."""
    if not is_stopped(s, phone):
        s.add(SmsOptOut(phone=phone, stopped_at=now))
        s.flush()


def start(s: Session, phone: str) -> bool:
    """Opt `phone` back in; True when it had been stopped."""
    found = s.get(SmsOptOut, phone)
    if found is None:
        return False
    s.delete(found)
    s.flush()
    return True
