"""How the pages show dates (Buddhist Era), times (Bangkok), durations and phone numbers."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from ledger.clock import BANGKOK, as_utc
from ledger.phones import display_phone
from prompts_th.thai_text import date_text, minutes_text
from wela.admin.i18n import current_lang

MONTHS_TH = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
             "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def day(d: Optional[date], long: bool = False) -> str:
    """21 พ.ย. 69 (tables) or 21 พฤศจิกายน 2569 (statements); English: 21 Nov 2026."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = as_utc(d).astimezone(BANGKOK).date()
    if current_lang() == "en":
        return f"{d.day} {MONTHS_EN[d.month - 1] if long else MONTHS_EN[d.month - 1][:3]} {d.year}"
    return date_text(d, weekday=False) if long else date_text(d, short=True)


def moment(dt: Optional[datetime | str]) -> str:
    """An instant in Bangkok time: 21 พ.ย. 69 09:05 (also from ISO text, as JSON histories keep it)."""
    if dt is None:
        return ""
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt)
        except ValueError:
            return dt
    local = as_utc(dt).astimezone(BANGKOK)
    return f"{day(local.date())} {local:%H:%M}"


def month(year: int, month_: int) -> str:
    if current_lang() == "en":
        return f"{MONTHS_EN[month_ - 1]} {year}"
    return f"{MONTHS_TH[month_ - 1]} {year + 543}"


def duration(minutes: Optional[int]) -> str:
    if minutes is None:
        return ""
    if current_lang() == "en":
        sign, m = ("-", -minutes) if minutes < 0 else ("", minutes)
        h, rest = divmod(m, 60)
        parts = ([f"{h} h"] if h else []) + ([f"{rest} min"] if rest or not h else [])
        return sign + " ".join(parts)
    return minutes_text(minutes)


def phone(e164: Optional[str], visible: bool) -> str:
    """081-234-5678 for those who need it; 081-xxx-5678 for everyone else."""
    if not e164:
        return ""
    shown = display_phone(e164)
    if visible:
        return shown
    digits = [i for i, ch in enumerate(shown) if ch.isdigit()]
    hide = set(digits[3:-4])
    return "".join("x" if i in hide else ch for i, ch in enumerate(shown))


FILTERS = {"day": day, "moment": moment, "duration": duration}
