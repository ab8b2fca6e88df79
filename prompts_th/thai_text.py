"""Speakable Thai: numbers, durations, dates, times and phone numbers as words TTS reads right.

Two kinds of output:
- ``*_words`` functions give what is *spoken* (IVR, loudspeaker): no digits, no
  abbreviations. Buddhist Era years are spoken "พุทธศักราช …", spelt out, because engines
  read "พ.ศ." letter by letter.
- ``*_text`` functions give what is *read* on a screen or in a 70-character SMS:
  digits and everyday short forms ("บ่าย 2 โมง", "2 ชั่วโมง 30 นาที", "21 พ.ย. 69").

``speakable(text)`` is the whole pipeline a speech engine gets; it never raises.
Clock words follow everyday Thai (the six-hour clock): ตีหนึ่ง, เจ็ดโมงเช้า, บ่ายสองโมง,
สี่โมงเย็น, หนึ่งทุ่ม. With minutes the เช้า/เย็น tail is dropped ("เก้าโมงครึ่ง"),
except at six, where "หกโมงครึ่ง" could be morning or evening.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import cache

from pythainlp.corpus import tnc
from pythainlp.tokenize import word_tokenize
from pythainlp.util import num_to_thaiword
from pythainlp.util.date import thai_abbr_months, thai_full_months, thai_full_weekdays

from prompts_th import catalogue

#: Catalogue families named by prefix (see catalogue.py): "time.part." + part.
PART_OF_DAY = "time.part."
#: "category." + a help category code (clinic, errand, home, visit, other).
CATEGORY = "category."

MAIYAMOK = "ๆ"
BE_OFFSET = 543  # Buddhist Era year = Common Era year + 543
DIGIT_WORDS = dict(zip("0123456789", "ศูนย์ หนึ่ง สอง สาม สี่ ห้า หก เจ็ด แปด เก้า".split()))
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


# ── Numbers and durations ────────────────────────────────────────────────────────


def number_words(n: int) -> str:
    """21 → "ยี่สิบเอ็ด", 101 → "หนึ่งร้อยเอ็ด", -5 → "ลบห้า"."""
    return num_to_thaiword(int(n))


def digit_words(digits: str) -> str:
    """Read digits one by one: "081" → "ศูนย์ แปด หนึ่ง" (Thai or Arabic digits)."""
    return " ".join(DIGIT_WORDS[d] for d in normalize_digits(digits) if d in DIGIT_WORDS)


def minutes_words(m: int) -> str:
    """150 → "สองชั่วโมงครึ่ง", 135 → "สองชั่วโมงสิบห้านาที", 0 → "ศูนย์นาที"."""
    if m < 0:
        return "ลบ" + minutes_words(-m)
    hours, rest = divmod(m, 60)
    if not hours:
        return number_words(rest) + "นาที"
    spoken = number_words(hours) + "ชั่วโมง"
    if rest == 30:
        return spoken + "ครึ่ง"
    return spoken + (number_words(rest) + "นาที" if rest else "")


def minutes_text(m: int) -> str:
    """For screens and SMS: 150 → "2 ชั่วโมง 30 นาที", 45 → "45 นาที", 180 → "3 ชั่วโมง"."""
    if m < 0:
        return "-" + minutes_text(-m)
    hours, rest = divmod(m, 60)
    parts = [f"{hours} ชั่วโมง"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} นาที")
    return " ".join(parts)


# ── Dates (Buddhist Era) ─────────────────────────────────────────────────────────


def date_words(d: date, weekday: bool = True, *, year: bool = True) -> str:
    """2026-11-21 → "วันเสาร์ที่ยี่สิบเอ็ด พฤศจิกายน พุทธศักราช สองพันห้าร้อยหกสิบเก้า"."""
    head = thai_full_weekdays[d.weekday()] + "ที่" if weekday else "วันที่"
    return head + _day_month_words(d, year=year)


def date_text(d: date, weekday: bool = True, short: bool = False) -> str:
    """"วันเสาร์ที่ 21 พฤศจิกายน 2569"; short, for SMS and without weekday: "21 พ.ย. 69"."""
    if short:
        return f"{d.day} {thai_abbr_months[d.month - 1]} {(d.year + BE_OFFSET) % 100:02d}"
    body = f"{d.day} {thai_full_months[d.month - 1]} {d.year + BE_OFFSET}"
    return f"{thai_full_weekdays[d.weekday()]}ที่ {body}" if weekday else body


def relative_day_words(d: date, today: date) -> str:
    """วันนี้, พรุ่งนี้, มะรืนนี้, เมื่อวานนี้; else "วันอังคารที่ยี่สิบสี่".

    The month is said when it is not this month, the year when it is not this year.
    """
    near = {0: "วันนี้", 1: "พรุ่งนี้", 2: "มะรืนนี้", -1: "เมื่อวานนี้"}
    days = (d - today).days
    if days in near:
        return near[days]
    if (d.year, d.month) == (today.year, today.month):
        return thai_full_weekdays[d.weekday()] + "ที่" + number_words(d.day)
    return date_words(d, year=d.year != today.year)


def _day_month_words(d: date, *, year: bool = True) -> str:
    spoken = f"{number_words(d.day)} {thai_full_months[d.month - 1]}"
    return spoken + (f" พุทธศักราช {number_words(d.year + BE_OFFSET)}" if year else "")


# ── Clock times (everyday six-hour clock) ────────────────────────────────────────


def _clock(hour: int) -> tuple[str, int | None, str, str]:
    """(lead, number, unit, tail) of an hour: 14 → ("บ่าย", 2, "โมง", "")."""
    if 1 <= hour <= 5:
        return "ตี", hour, "", ""
    if 6 <= hour <= 11:
        return "", hour, "โมง", "เช้า"
    if hour == 13:
        return "บ่าย", None, "โมง", ""
    if hour in (14, 15):
        return "บ่าย", hour - 12, "โมง", ""
    if 16 <= hour <= 18:
        return "", hour - 12, "โมง", "เย็น"
    return "", hour - 18, "ทุ่ม", ""  # 19–23


_NAMED_HOURS = {0: "เที่ยงคืน", 12: "เที่ยง"}


def time_words(t: time) -> str:
    """09:00 → "เก้าโมงเช้า", 14:15 → "บ่ายสองโมงสิบห้านาที", 19:30 → "หนึ่งทุ่มครึ่ง"."""
    if t.hour in _NAMED_HOURS:
        spoken = _NAMED_HOURS[t.hour]
    else:
        lead, n, unit, tail = _clock(t.hour)
        keep_tail = not t.minute or t.hour in (6, 18)
        spoken = lead + (number_words(n) if n else "") + unit + (tail if keep_tail else "")
    if t.minute == 30:
        return spoken + "ครึ่ง"
    return spoken + (number_words(t.minute) + "นาที" if t.minute else "")


def time_text(t: time) -> str:
    """Short, for SMS: "9 โมงเช้า", "บ่าย 2 โมง", "1 ทุ่ม", "9 โมงครึ่ง"; else "14:15 น."."""
    if t.minute not in (0, 30):
        return f"{t.hour}:{t.minute:02d} น."  # "ตี 1 5 นาที" would puzzle a reader
    if t.hour in _NAMED_HOURS:
        written = _NAMED_HOURS[t.hour]
    elif t.hour == 13:
        written = "บ่ายโมง"
    else:
        lead, n, unit, tail = _clock(t.hour)
        keep_tail = not t.minute or t.hour in (6, 18)
        tail = tail if keep_tail else ""
        written = " ".join(part for part in (lead, str(n), unit + tail) if part)
    if t.minute == 30:
        return written + (" ครึ่ง" if written[-1].isdigit() else "ครึ่ง")
    return written


def part_of_day_words(part: str) -> str:
    """"morning" → "ช่วงเช้า"; also afternoon, evening (from the catalogue)."""
    return catalogue.text(PART_OF_DAY + part)


def category_words(code: str) -> str:
    """A help category's name: "clinic" → "พาไปหาหมอหรือไปอนามัย" (from the catalogue)."""
    return catalogue.text(CATEGORY + code)


# ── Phone numbers ────────────────────────────────────────────────────────────────


def phone_words(e164_or_local: str) -> str:
    """"+66812345678" or "081-234-5678" → "ศูนย์ แปด หนึ่ง, สอง สาม สี่, ห้า หก เจ็ด แปด"."""
    raw = normalize_digits(e164_or_local).strip()
    digits = "".join(ch for ch in raw if ch.isascii() and ch.isdigit())
    if not digits:
        raise ValueError(f"no digits in phone number {e164_or_local!r}")
    prefix = ""
    if raw.startswith("+"):
        if digits.startswith("66"):
            digits = "0" + digits[2:]
        else:
            prefix = "บวก "
    return prefix + ", ".join(digit_words(group) for group in _phone_groups(digits))


def _phone_groups(digits: str) -> list[str]:
    """Thai grouping: mobiles 3-3-4, Bangkok 02 2-3-4, provinces 3-3-3; else threes."""
    if len(digits) == 10:
        sizes = [3, 3, 4]
    elif len(digits) == 9:
        sizes = [2, 3, 4] if digits.startswith("02") else [3, 3, 3]
    else:
        sizes = [3] * (len(digits) // 3)
        if len(digits) % 3 == 1 and sizes:
            sizes[-1] += 1  # never leave one digit alone
        elif len(digits) % 3:
            sizes.append(len(digits) % 3)
    groups, start = [], 0
    for size in sizes:
        groups.append(digits[start : start + size])
        start += size
    return groups


# ── Text normalisation: the speakable() pipeline ─────────────────────────────────


def normalize_digits(text: str) -> str:
    """Thai digits to Arabic digits: "๒๕๖๙" → "2569"."""
    return text.translate(_THAI_DIGITS)


def expand_abbreviations(text: str) -> str:
    """Spell out abbreviations: "รพ.สต." → "โรงพยาบาลส่งเสริมสุขภาพตำบล", "14.00 น." → "บ่ายสองโมง".

    Numbers stay digits ("ม.5" → "หมู่ 5") for the number pass of speakable().
    """
    text = _TIME_WITH_NA.sub(_time_match_words, text)
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


def expand_repetition(text: str) -> str:
    """Mai yamok repeats the word before it: "ช้าๆ" → "ช้าช้า", "เด็ก ๆ มา" → "เด็กเด็ก มา"."""
    pieces = text.split(MAIYAMOK)
    out, word = pieces[0], ""
    for before, piece in zip(pieces, pieces[1:]):
        word = _last_word(before) or word  # "ๆๆ" repeats the same word again
        out = out.rstrip() + word + piece
    return out


def _last_word(text: str) -> str:
    """The word mai yamok repeats at the end of text; "" when there is none.

    pythainlp's segmenter keeps compounds whole ("บ้านเล็ก"), but "บ้านเล็กๆ" repeats
    only "เล็ก": a compound rarer than both its halves is cut, and its last half repeated.
    """
    tail = re.search(r"\S{1,40}$", text.rstrip())
    if not tail:
        return ""
    words = [word for word in word_tokenize(tail.group(0)) if word.strip()]
    if not words:
        return ""
    word, frequency = words[-1], _word_frequency()
    own = frequency.get(word, 0)
    halves = [
        word[cut:]
        for cut in range(2, len(word) - 1)
        if frequency.get(word[:cut], 0) > own and frequency.get(word[cut:], 0) > own
    ]
    return halves[-1] if halves else word


@cache
def _word_frequency() -> dict[str, int]:
    return dict(tnc.word_freqs())  # Thai National Corpus counts, shipped with pythainlp


def speakable(text: str) -> str:
    """All a TTS engine should get: dates, times, phones, numbers and abbreviations as Thai words.

    Never raises: what it cannot read it leaves as it was.
    """
    text = normalize_digits(text)
    text = expand_repetition(text)
    text = _SLASH_DATE.sub(_date_match_words, text)
    text = _ISO_DATE.sub(_date_match_words, text)
    text = expand_abbreviations(text)
    text = _CLOCK_TIME.sub(_time_match_words, text)
    text = _PHONE.sub(lambda match: phone_words(match.group(0)), text)
    text = _RANGE.sub(r"\1 ถึง \2", text)
    text = _NUMBER.sub(_number_match_words, text)
    return re.sub(r"\s+", " ", text).strip()


def _time_match_words(match: re.Match) -> str:
    hour, minute = (int(group) for group in match.groups() if group is not None)
    if hour > 23 or minute > 59:
        return match.group(0)
    return time_words(time(hour, minute))


def _date_match_words(match: re.Match) -> str:
    fields = {name: int(value) for name, value in match.groupdict().items()}
    year = fields["year"]
    if year < 100:
        year += 2500  # two-digit years are Buddhist Era: 69 → 2569
    if year >= 2400:
        year -= BE_OFFSET
    try:
        return _day_month_words(date(year, fields["month"], fields["day"]))
    except ValueError:  # 31/02/2569: not a date, leave it to the number pass
        return match.group(0)


def _number_match_words(match: re.Match) -> str:
    digits = match.group("int").replace(",", "")
    if len(digits) > 15:  # an id or account number, not a quantity
        spoken = digit_words(digits)
    else:
        spoken = ("ลบ" if match.group("minus") else "") + number_words(int(digits))
    if match.group("frac"):
        spoken += "จุด" + digit_words(match.group("frac")).replace(" ", "")
    return spoken + (match.group("unit") or match.group("gap"))


# ── Patterns and tables ──────────────────────────────────────────────────────────
# [0-9], not \d: \d also matches digits of other scripts, which int() and the digit
# words would not all know.

_THAI_CONSONANT = "\u0e01-\u0e2e"  # ก–ฮ
_THAI_LETTER_START = "\u0e01-\u0e2e\u0e40-\u0e44"  # a consonant or a leading vowel (เ แ โ ใ ไ)

_TIME_WITH_NA = re.compile(r"(?<![0-9.])([0-9]{1,2})[.:]([0-9]{2})\s*น\.")
_CLOCK_TIME = re.compile(
    r"(?<![0-9.:])([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?(?![0-9]|:[0-9])"
    # "เวลา 14.00" is a time, "ใช้เวลา 1.30 ชั่วโมง" a duration
    r"|(?:(?<=เวลา)|(?<=เวลา ))([0-9]{1,2})\.([0-9]{2})(?![0-9]|\.[0-9]|\s*(?:ชั่วโมง|ชม\.|นาที))"
)
_SLASH_DATE = re.compile(
    r"(?<![0-9/])(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4}|[0-9]{2})(?![0-9/])"
)
_ISO_DATE = re.compile(
    r"(?<![0-9-])(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})(?![0-9-])"
)
_PHONE = re.compile(r"(?<![0-9+])(?:\+66|0)(?:[ -]?[0-9]){8,9}(?![0-9])")
_RANGE = re.compile(r"(?<![0-9.,])([0-9]+)\s*-\s*([0-9]+)(?![0-9.,])")

#: Words counted by a number: "3 ชั่วโมง" is spoken as one word, "สามชั่วโมง".
UNIT_WORDS = sorted(
    "ชั่วโมง นาที วินาที วัน สัปดาห์ เดือน ปี คน ท่าน บาท โมง ทุ่ม นาฬิกา กิโลเมตร ครั้ง แต้ม หลัง"
    .split(),
    key=len,
    reverse=True,
)
_NUMBER = re.compile(
    r"(?P<minus>(?<![\w.])-)?(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?"
    r"(?P<gap>\s*)(?P<unit>" + "|".join(UNIT_WORDS) + ")?"
)


# Longest first: รพ.สต. before รพ., months (ต.ค.) before the single letters (ต.).
_DISTINCT = {
    "รพ.สต.": "โรงพยาบาลส่งเสริมสุขภาพตำบล",
    "อสม.": "อาสาสมัครสาธารณสุขประจำหมู่บ้าน",
    "ผญบ.": "ผู้ใหญ่บ้าน",
    "อบต.": "องค์การบริหารส่วนตำบล",
    "กทม.": "กรุงเทพมหานคร",
    "รพ.": "โรงพยาบาล",
    "พ.ศ.": "พุทธศักราช",
    "ค.ศ.": "คริสต์ศักราช",
    "น.ส.": "นางสาว",
    "ด.ช.": "เด็กชาย",
    "ด.ญ.": "เด็กหญิง",
}
_MONTHS = dict(zip(thai_abbr_months, thai_full_months))
_SHORT = {"ชม.": "ชั่วโมง", "กม.": "กิโลเมตร"}  # ชม is a word too: not after Thai letters
_PLACES = {"ต.": "ตำบล", "อ.": "อำเภอ", "จ.": "จังหวัด"}  # before a place name

def _after(lookbehind: str, abbreviation: str, lookahead: str = "") -> re.Pattern[str]:
    return re.compile(f"(?<![{lookbehind}]){re.escape(abbreviation)}{lookahead}")


_BEFORE_A_NAME = rf"(?=\s*[{_THAI_LETTER_START}])(?!\s*[{_THAI_CONSONANT}]\.)"
_ABBREVIATIONS: list[tuple[re.Pattern[str], str]] = [
    *((re.compile(re.escape(a)), full) for a, full in _DISTINCT.items()),
    *((_after(f"{_THAI_CONSONANT}.", a), full) for a, full in _MONTHS.items()),
    *((_after("\u0e00-\u0e7f.", a), full) for a, full in _SHORT.items()),
    *((_after(f"{_THAI_CONSONANT}.", a, _BEFORE_A_NAME), full) for a, full in _PLACES.items()),
    (_after(f"{_THAI_CONSONANT}.", "ม.", r"\s*(?=[0-9])"), "หมู่ "),  # ม.5 → หมู่ 5
    (re.compile(r"(?<=[0-9])\s*บ\."), " บาท"),  # 100 บ. → 100 บาท
    (re.compile(r"(?<=[0-9])\s*น\."), " นาฬิกา"),  # 10 น., a bare hour → 10 นาฬิกา
]
