"""When help is wanted: today, tomorrow, this week, or a date, and a part of the day. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from ledger.errors import InvalidInput

PARTS = ("morning", "afternoon", "evening")
PART_START = {"morning": time(9, 0), "afternoon": time(13, 0), "evening": time(17, 0)}
PART_END = {"morning": time(12, 0), "afternoon": time(17, 0), "evening": time(20, 0)}
WHEN_WORDS = ("today", "tomorrow", "this_week")


@dataclass(frozen=True)
class Window:
    earliest: date
    latest: date
    part: Optional[str]             # None: any part of the day

    def days(self) -> list[date]:
        return [self.earliest + timedelta(days=i) for i in range((self.latest - self.earliest).days + 1)]


def window(when: str, today: date, *, on: Optional[date] = None, part: Optional[str] = None) -> Window:
    """`when` is today | tomorrow | this_week | date (with `on`). Past dates are refused."""
    if part is not None and part not in PARTS:
        raise InvalidInput("ช่วงเวลาต้องเป็น เช้า บ่าย หรือ เย็น", f"part of day must be one of {PARTS}")
    if when == "today":
        return Window(today, today, part)
    if when == "tomorrow":
        day = today + timedelta(days=1)
        return Window(day, day, part)
    if when == "this_week":
        sunday = today + timedelta(days=6 - today.weekday())
        return Window(today, max(sunday, today + timedelta(days=2)), part)
    if when == "date":
        if on is None:
            raise InvalidInput("กรุณาระบุวันที่", "a date is required")
        if on < today:
            raise InvalidInput("วันที่ผ่านไปแล้ว กรุณาเลือกวันอื่น", f"{on} is in the past")
        if on > today + timedelta(days=90):
            raise InvalidInput("นัดล่วงหน้าได้ไม่เกิน 90 วัน", "at most 90 days ahead")
        return Window(on, on, part)
    raise InvalidInput("ไม่เข้าใจวันที่ต้องการ (วันนี้ พรุ่งนี้ ภายในสัปดาห์นี้ หรือระบุวันที่)",
                       f"unknown when {when!r} (today, tomorrow, this_week, date)")


def slots(w: Window, now_local: datetime) -> list[tuple[date, str]]:
    """Every (day, part) in the window that has not already begun."""
    out = []
    for day in w.days():
        for part in ([w.part] if w.part else PARTS):
            if datetime.combine(day, PART_START[part], now_local.tzinfo) > now_local:
                out.append((day, part))
    return out


def start_of(day: date, part: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, PART_START[part], tz)


def part_of(moment_local: datetime) -> str:
    t = moment_local.time()
    if t < PART_END["morning"]:
        return "morning"
    if t < PART_END["afternoon"]:
        return "afternoon"
    return "evening"
