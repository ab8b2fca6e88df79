"""Word the scheduler's plain facts for one SMS, and shorten them step by step until the text fits.

The scheduler passes facts (a name, a category code, an ISO day, "HH:MM", minutes, a village); the
catalogue holds the sentence. Thai goes as UCS-2, 70 characters for one SMS, so the words start
full ("ส. 21 พ.ย. 69", "บ้านหนองบัว") and lose what matters least first: the year, the word
"บ้าน", then long names and places are clipped, the weekday goes, and as a last resort the place.
Dates are written as dates, never "พรุ่งนี้": a text held back by quiet hours is read a day later.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any, Mapping

from pythainlp.util.date import thai_abbr_months, thai_abbr_weekdays

from prompts_th import catalogue
from prompts_th.thai_text import minutes_text, time_text
from sms.segments import SINGLE_LIMIT, segments

SMS_CATEGORY = "sms.category."            # + clinic, errand, home, visit, other
LIMIT = SINGLE_LIMIT["UCS-2"]
FORMAL_TITLES = ("นางสาว", "นาย", "นาง", "น.ส.", "คุณ")
KIN_TITLES = ("ยาย", "ตา", "ป้า", "ลุง", "น้า", "อา", "พี่", "น้อง", "แม่", "พ่อ", "ผู้ใหญ่", "กำนัน")
LEADING_VOWELS = "เแโใไ"
PAID_FOR = {"pool": "sms.paid_pool", "loan": "sms.paid_loan"}


@dataclass(frozen=True)
class Style:
    """How short the words are; STYLES go from full to shortest."""

    year: bool = True
    weekday: bool = True
    strip_ban: bool = False
    name_chars: int = 14
    place_chars: int = 16
    reason_chars: int = 60
    place: bool = True
    clock: bool = False
    compact_minutes: bool = False


_FULL = Style()
STYLES = (
    _FULL,
    replace(_FULL, year=False),
    replace(_FULL, year=False, strip_ban=True),
    replace(_FULL, year=False, strip_ban=True, name_chars=10, place_chars=10, reason_chars=40),
    replace(_FULL, year=False, strip_ban=True, weekday=False, name_chars=8, place_chars=8, reason_chars=30),
    replace(_FULL, year=False, strip_ban=True, weekday=False, name_chars=6, place_chars=6, reason_chars=24),
    replace(_FULL, year=False, strip_ban=True, weekday=False, name_chars=6, place=False, reason_chars=20),
    replace(_FULL, year=False, strip_ban=True, weekday=False, name_chars=6, place=False, reason_chars=14,
            clock=True, compact_minutes=True),
)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when cut, never between a letter and its marks."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max(limit - 1, 1)
    while cut > 1 and unicodedata.category(text[cut]) == "Mn":    # above/below vowels, tone marks
        cut -= 1
    head = text[:cut].rstrip().rstrip(LEADING_VOWELS)             # "เ" alone would dangle
    return head + "…"


def short_name(name: str, limit: int = 14) -> str:
    """The name a village uses: "ยายสมศรี ใจดี" → "ยายสมศรี", "นางสาวมาลี ศรีสุข" → "มาลี"."""
    words = (name or "").split()
    if not words:
        return ""
    first = words[0]
    for title in FORMAL_TITLES:
        if first.startswith(title) and len(first) > len(title):
            first = first[len(title):]
            break
        if first == title and len(words) > 1:
            first = words[1]
            break
    else:
        if first in KIN_TITLES and len(words) > 1:
            first = first + words[1]
    return clip(first, limit)


def short_date(day: date, *, weekday: bool = True, year: bool = True) -> str:
    """"ส. 21 พ.ย. 69"; without weekday "21 พ.ย. 69"; without year "ส. 21 พ.ย."."""
    text = f"{day.day} {thai_abbr_months[day.month - 1]}"
    if weekday:
        text = f"{thai_abbr_weekdays[day.weekday()]}. {text}"
    if year:
        text += f" {(day.year + 543) % 100:02d}"
    return text


def short_place(village: str, style: Style) -> str:
    if not style.place:
        return ""
    place = " ".join((village or "").split())
    if style.strip_ban and place.startswith("บ้าน") and len(place) > 4:
        place = place[4:].lstrip()
    return clip(place, style.place_chars)


def clock_text(start: str, *, short: bool = False) -> str:
    """"14:30" → "บ่าย 2 โมงครึ่ง" (or "14:30 น." when short); "" stays ""."""
    if not start:
        return ""
    try:
        t = time.fromisoformat(start)
    except ValueError:
        return ""
    return f"{t.hour}:{t.minute:02d} น." if short else time_text(t)


def task_text(category: str) -> str:
    key = SMS_CATEGORY + (category or "other")
    return catalogue.text(key if catalogue.has(key) else SMS_CATEGORY + "other")


def _minutes(value: Any, compact: bool = False) -> str:
    """"1 ชั่วโมง 30 นาที"; compact "1 ชม. 30 นาที"."""
    try:
        text = minutes_text(int(value))
    except (TypeError, ValueError):
        return ""
    return text.replace(" ชั่วโมง", " ชม.") if compact else text


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def words(slots: Mapping[str, Any], style: Style = _FULL) -> dict[str, str]:
    """Every slot a template may name, worded in `style`."""
    day = _day(slots.get("day", ""))
    return {
        "name": short_name(str(slots.get("name", "")), style.name_chars),
        "task": task_text(str(slots.get("category", ""))),
        "date": short_date(day, weekday=style.weekday, year=style.year) if day else "",
        "time": clock_text(str(slots.get("start", "") or ""), short=style.clock),
        "place": short_place(str(slots.get("village", "")), style),
        "code": str(slots.get("code", "")),
        "minutes": _minutes(slots.get("minutes"), style.compact_minutes),
        "to_pool": _minutes(slots.get("to_pool", 0), style.compact_minutes),
        "to_loan": _minutes(slots.get("to_loan", 0), style.compact_minutes),
        "request": str(slots.get("request", "")),
        "reason": clip(str(slots.get("reason", "")), style.reason_chars),
        "phone": str(slots.get("phone", "")),
    }


def fill(key: str, values: Mapping[str, str]) -> str:
    return " ".join(catalogue.text(key, **values).split())


def render(key: str, slots: Mapping[str, Any]) -> str:
    """The text for catalogue `key` with `slots`: the fullest wording that fits one SMS."""
    text = ""
    for style in STYLES:
        text = fill(key, words(slots, style))
        if segments(text).parts == 1:
            return text
    return text


def template_for(key: str, slots: Mapping[str, Any]) -> str:
    """A payment with a share kept back (cap overflow, loan repayment) gets the text that says so."""
    if key == "sms.paid":
        if _int(slots.get("to_pool")) > 0:
            return PAID_FOR["pool"]
        if _int(slots.get("to_loan")) > 0:
            return PAID_FOR["loan"]
    return key


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
