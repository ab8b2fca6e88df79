"""Member fields as people write them (paper registers, forms) turned into clean values, or errors."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, Optional

from ledger.errors import InvalidInput, WelaError
from ledger.phones import parse_phone

CATEGORIES = ("clinic", "errand", "home", "visit", "other")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = ("morning", "afternoon", "evening")

# Column names accepted in a register: our English names and the Thai headings villages use.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "ชื่อ", "ชื่อ-สกุล", "ชื่อ-นามสกุล", "ชื่อสกุล"),
    "phone": ("phone", "โทรศัพท์", "เบอร์โทร", "เบอร์โทรศัพท์", "เบอร์"),
    "village": ("village", "หมู่บ้าน", "บ้าน"),
    "moo": ("moo", "หมู่", "หมู่ที่"),
    "role": ("role", "บทบาท", "ประเภทสมาชิก", "ประเภท"),
    "birth_year": ("birth_year", "ปีเกิด"),
    "skills": ("skills", "ทักษะ", "ความถนัด"),
    "needs": ("needs", "ความต้องการ", "สิ่งที่ต้องการ"),
    "health_notes": ("health_notes", "ข้อมูลสุขภาพ", "สุขภาพ"),
    "availability": ("availability", "เวลาว่าง", "วันเวลาที่ว่าง"),
    "speak_slowly": ("speak_slowly", "พูดช้า", "พูดช้าๆ"),
    "consent_on": ("consent_on", "วันที่ยินยอม", "วันยินยอม"),
    "consent_by": ("consent_by", "ผู้บันทึกความยินยอม", "ผู้บันทึก"),
    "status": ("status", "สถานะ"),
}
REQUIRED = ("name", "phone", "role")
COLUMN_TH = {"name": "ชื่อ", "phone": "โทรศัพท์", "village": "หมู่บ้าน", "moo": "หมู่",
             "role": "บทบาท", "birth_year": "ปีเกิด", "skills": "ทักษะ", "needs": "ความต้องการ",
             "health_notes": "ข้อมูลสุขภาพ", "availability": "เวลาว่าง", "speak_slowly": "พูดช้า",
             "consent_on": "วันที่ยินยอม", "consent_by": "ผู้บันทึกความยินยอม", "status": "สถานะ"}

ROLE_WORDS = {
    "elder": ("elder", "ผู้สูงอายุ", "ผู้รับบริการ", "ผู้รับ"),
    "volunteer": ("volunteer", "จิตอาสา", "ผู้ให้บริการ", "ผู้ให้", "อสม", "อสม."),
    "both": ("both", "ทั้งสองอย่าง", "ให้และรับ", "ทั้งให้และรับ", "ทั้งคู่"),
    "coordinator": ("coordinator", "ผู้ประสานงาน", "ผู้จัดการ", "ผู้จัดการธนาคาร", "เจ้าหน้าที่"),
}
SKILL_WORDS = {
    "clinic": ("clinic", "พาไปหาหมอ", "หาหมอ", "อนามัย", "ขับรถ", "รับส่ง", "โรงพยาบาล"),
    "errand": ("errand", "ซื้อของ", "ธุระ", "จ่ายตลาด"),
    "home": ("home", "งานบ้าน", "ซ่อมแซม", "ซ่อม", "ทำความสะอาด", "ทำสวน"),
    "visit": ("visit", "เยี่ยมเยียน", "เยี่ยม", "เป็นเพื่อน", "เป็นเพื่อนคุย", "คุย"),
    "other": ("other", "อื่นๆ", "อื่น ๆ", "อื่น"),
}
DAY_WORDS = {
    "mon": ("mon", "จ", "จันทร์"), "tue": ("tue", "อ", "อังคาร"), "wed": ("wed", "พ", "พุธ"),
    "thu": ("thu", "พฤ", "พฤหัส", "พฤหัสบดี"), "fri": ("fri", "ศ", "ศุกร์"),
    "sat": ("sat", "ส", "เสาร์"), "sun": ("sun", "อา", "อาทิตย์"),
}
PART_WORDS = {"morning": ("morning", "เช้า"), "afternoon": ("afternoon", "บ่าย"),
              "evening": ("evening", "เย็น"), "*": ("allday", "ทั้งวัน", "all")}
TRUE_WORDS = ("1", "y", "yes", "true", "ใช่", "ช้า", "พูดช้า", "x", "✓")
FALSE_WORDS = ("", "0", "n", "no", "false", "ไม่", "ไม่ใช่", "-")
STATUS_WORDS = {"active": ("active", "ปกติ", "ใช้งาน", ""), "paused": ("paused", "พัก", "หยุดพัก")}

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


@dataclass
class FieldError:
    column: str
    th: str
    en: str


@dataclass
class CleanMember:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


def _lookup(word: str, table: Mapping[str, tuple[str, ...]]) -> Optional[str]:
    w = word.strip().lower().rstrip(".")
    for code, words in table.items():
        if w in (x.lower().rstrip(".") for x in words):
            return code
    return None


def parse_role(raw: str) -> str:
    role = _lookup(raw, ROLE_WORDS)
    if role is None:
        raise InvalidInput(f"ไม่รู้จักบทบาท '{raw}' (ใช้: ผู้สูงอายุ, จิตอาสา, ทั้งสองอย่าง, ผู้ประสานงาน)",
                           f"unknown role {raw!r} (use elder, volunteer, both, coordinator)")
    return role


def parse_skills(raw: str) -> list[str]:
    skills: list[str] = []
    for word in re.split(r"[,;/|]+|\s{2,}", raw or ""):
        if not word.strip():
            continue
        code = _lookup(word, SKILL_WORDS)
        if code is None:
            raise InvalidInput(f"ไม่รู้จักทักษะ '{word.strip()}'", f"unknown skill {word.strip()!r}")
        if code not in skills:
            skills.append(code)
    return skills


def parse_availability(raw: str) -> dict[str, list[str]]:
    """'จ-ศ เช้า, ส บ่าย' or 'mon:morning,afternoon; sat:evening' → {"mon": ["morning"], …}."""
    text = (raw or "").strip()
    if not text:
        return {}
    result: dict[str, list[str]] = {}
    for group in re.split(r"[;\n]+|,\s*(?=[^\s,:;]+[\s:])", text):
        group = group.strip()
        if not group:
            continue
        day_part, _, parts_part = group.replace(":", " ", 1).partition(" ")
        days = _parse_days(day_part)
        parts: list[str] = []
        for word in re.split(r"[,\s]+", parts_part.strip()):
            if not word:
                continue
            part = _lookup(word, PART_WORDS)
            if part is None:
                raise InvalidInput(f"ไม่เข้าใจช่วงเวลา '{word}' (ใช้ เช้า บ่าย เย็น ทั้งวัน)",
                                   f"unknown part of day {word!r} (morning, afternoon, evening)")
            parts.extend(PARTS if part == "*" else [part])
        for day in days:
            merged = result.setdefault(day, [])
            merged.extend(p for p in (parts or list(PARTS)) if p not in merged)
    return {d: [p for p in PARTS if p in ps] for d, ps in result.items()}


def _parse_days(word: str) -> list[str]:
    w = word.strip().rstrip(".")
    if w in ("ทุกวัน", "every", "daily", "all"):
        return list(WEEKDAYS)
    if "-" in w:
        first, _, last = w.partition("-")
        a, b = _lookup(first, DAY_WORDS), _lookup(last, DAY_WORDS)
        if a and b:
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            return list(WEEKDAYS[i:j + 1]) if i <= j else list(WEEKDAYS[i:] + WEEKDAYS[:j + 1])
    day = _lookup(w, DAY_WORDS)
    if day is None:
        raise InvalidInput(f"ไม่เข้าใจวัน '{word}' (ใช้ จ อ พ พฤ ศ ส อา หรือ ทุกวัน)",
                           f"unknown day {word!r} (mon…sun, or ทุกวัน)")
    return [day]


def availability_text(availability: Mapping[str, list[str]]) -> str:
    """The stored availability written back the way the import reads it."""
    th_days = {d: DAY_WORDS[d][1] for d in WEEKDAYS}
    th_parts = {p: PART_WORDS[p][1] for p in PARTS}
    return "; ".join(f"{th_days[d]} {' '.join(th_parts[p] for p in availability[d])}"
                     for d in WEEKDAYS if availability.get(d))


def parse_birth_year(raw: str) -> Optional[int]:
    text = str(raw or "").strip().translate(_THAI_DIGITS)
    if not text:
        return None
    if not re.fullmatch(r"\d{4}(\.0)?", text):
        raise InvalidInput(f"ปีเกิดไม่ถูกต้อง '{raw}'", f"birth year must be 4 digits, got {raw!r}")
    year = int(float(text))
    if year > 2400:
        year -= 543            # a Buddhist-Era year, as Thai registers write it
    if not 1900 <= year <= date.today().year:
        raise InvalidInput(f"ปีเกิดไม่น่าถูกต้อง '{raw}'", f"birth year out of range: {raw!r}")
    return year


def parse_day(raw: object) -> Optional[date]:
    """A date from a cell: a real date, ISO text, or d/m/yyyy in BE or CE."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip().translate(_THAI_DIGITS)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or None
    try:
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
        else:
            m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
            if not m:
                raise ValueError(text)
            d, mo, y = int(m[1]), int(m[2]), int(m[3])
        if y > 2400:
            y -= 543
        return date(y, mo, d)
    except ValueError:
        raise InvalidInput(f"วันที่ไม่ถูกต้อง '{raw}' (ใช้ วัน/เดือน/ปี เช่น 21/11/2569)",
                           f"not a date: {raw!r} (use d/m/yyyy)") from None


def parse_bool(raw: object) -> bool:
    text = str(raw if raw is not None else "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidInput(f"ใช้ 'ใช่' หรือ 'ไม่' แทน '{raw}'", f"expected yes/no, got {raw!r}")


def parse_moo(raw: object) -> Optional[int]:
    text = str(raw if raw is not None else "").strip().translate(_THAI_DIGITS)
    text = re.sub(r"^(หมู่ที่|หมู่|ม\.)\s*", "", text)
    if not text:
        return None
    if not re.fullmatch(r"\d{1,3}(\.0)?", text):
        raise InvalidInput(f"หมู่ต้องเป็นตัวเลข ไม่ใช่ '{raw}'", f"moo must be a number, got {raw!r}")
    return int(float(text))


def parse_status(raw: str) -> str:
    status = _lookup(raw or "", STATUS_WORDS)
    if status is None:
        raise InvalidInput(f"ไม่รู้จักสถานะ '{raw}' (ปกติ หรือ พัก)", f"unknown status {raw!r}")
    return status


_PARSERS = {
    "phone": parse_phone, "role": parse_role, "birth_year": parse_birth_year,
    "skills": parse_skills, "availability": parse_availability, "speak_slowly": parse_bool,
    "consent_on": parse_day, "moo": parse_moo, "status": parse_status,
}
_LIMITS = {"name": 120, "village": 120, "consent_by": 120, "needs": 2000, "health_notes": 2000}


def clean_member(raw: Mapping[str, object]) -> CleanMember:
    """Validate one member's fields; every problem is reported, nothing is raised."""
    out = CleanMember()
    for column in REQUIRED:
        if not str(raw.get(column) or "").strip():
            out.errors.append(FieldError(column, f"ต้องกรอก{COLUMN_TH[column]}",
                                         f"{column} is required"))
    for column, value in raw.items():
        if column not in COLUMNS or any(e.column == column for e in out.errors):
            continue
        if column == "consent_on" and isinstance(value, (date, datetime)):
            text: Any = value                 # a real date cell from Excel
        else:
            text = str(value if value is not None else "").strip()
        try:
            if column in _PARSERS:
                out.values[column] = _PARSERS[column](text)  # type: ignore[operator]
            else:
                if len(text) > _LIMITS.get(column, 200):
                    raise InvalidInput(f"{COLUMN_TH[column]}ยาวเกินไป", f"{column} is too long")
                if column == "name" and not re.search(r"\w", text):
                    raise InvalidInput("ชื่อไม่ถูกต้อง", "name has no letters")
                out.values[column] = text
        except WelaError as err:
            out.errors.append(FieldError(column, err.th, err.en))
    return out
