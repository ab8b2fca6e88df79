"""Slot values of the phone menu's sentences (minutes, a category, a day…) and their words in Thai and English.

The menu fills a sentence's slots with these small typed values, not with text, so a test can
say what was meant (``Minutes(150)``) and each language words it its own way: Thai for the
caller ("สองชั่วโมงครึ่ง"), English for staff and the simulator's ``--en``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Mapping, Optional, Union

from prompts_th import catalogue
from prompts_th.thai_text import category_words, minutes_words, relative_day_words, time_words

WHEN = "ivr.when."            # + today | tomorrow | this_week
PAST_DAY = "ivr.day.past"


@dataclass(frozen=True)
class Minutes:
    value: int


@dataclass(frozen=True)
class Category:
    code: str


@dataclass(frozen=True)
class When:
    """today | tomorrow | this_week, as the elder chose it."""

    code: str


@dataclass(frozen=True)
class Day:
    """A day said relative to today: วันนี้, เมื่อวานนี้, เมื่อวันอังคารที่ยี่สิบสี่."""

    day: date
    today: date
    at: Optional[time] = None


@dataclass(frozen=True)
class Name:
    """A person's name as the caller knows them: the first word of the registered name."""

    text: str


@dataclass(frozen=True)
class Phone:
    text: str


Slot = Union[Minutes, Category, When, Day, Name, Phone]


def thai(value: Slot) -> str:
    if isinstance(value, Minutes):
        return minutes_words(value.value)
    if isinstance(value, Category):
        return category_words(value.code)
    if isinstance(value, When):
        return catalogue.text(WHEN + value.code)
    if isinstance(value, Day):
        return _thai_day(value)
    if isinstance(value, Name):
        return short_name(value.text)
    if isinstance(value, Phone):
        return value.text
    raise TypeError(f"not a slot value: {value!r}")


def english(value: Slot) -> str:
    if isinstance(value, Minutes):
        hours, minutes = divmod(value.value, 60)
        return " ".join(part for part in (f"{hours} h" if hours else "",
                                          f"{minutes} min" if minutes or not hours else "") if part)
    if isinstance(value, Category):
        return catalogue.english("category." + value.code)
    if isinstance(value, When):
        return catalogue.english(WHEN + value.code)
    if isinstance(value, Day):
        days = (value.day - value.today).days
        named = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days)
        spoken = named or f"on {value.day.strftime('%A')} {value.day.day} {value.day.strftime('%B')}"
        return spoken + (f" at {value.at.strftime('%H:%M')}" if value.at else "")
    if isinstance(value, Name):
        return short_name(value.text)
    if isinstance(value, Phone):
        return value.text
    raise TypeError(f"not a slot value: {value!r}")


def fill(key: str, slots: Mapping[str, Slot], language: str = "th") -> str:
    """The catalogue sentence under ``key`` with its slots worded in ``language``."""
    if language == "en":
        return catalogue.english(key, **{name: english(v) for name, v in slots.items()})
    return catalogue.text(key, **{name: thai(v) for name, v in slots.items()})


def short_name(name: str) -> str:
    """"สมชาย รักษ์ดี" → "สมชาย": callers know each other by first name."""
    parts = name.split()
    return parts[0] if parts else name


def _thai_day(value: Day) -> str:
    days = (value.day - value.today).days
    if days == 0:
        spoken = catalogue.text(WHEN + "today")
    elif days < -1:
        spoken = catalogue.text(PAST_DAY, day=relative_day_words(value.day, value.today))
    else:
        spoken = relative_day_words(value.day, value.today)
    return spoken + (" " + time_words(value.at) if value.at else "")
