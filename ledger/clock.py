"""The clock port: real time in production, a hand-moved clock in tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(timezone.utc)


def local_date(moment: datetime, tz: ZoneInfo = BANGKOK) -> date:
    """The calendar date at `moment` in the bank's timezone."""
    return as_utc(moment).astimezone(tz).date()


def as_utc(moment: datetime) -> datetime:
    """Databases (SQLite) may hand back naive datetimes: they are UTC by our convention."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
