"""Phone numbers as the bank stores them: E.164, parsed with phonenumbers, default region TH."""
from __future__ import annotations

import phonenumbers

from ledger.errors import InvalidInput

PhoneNumber = str

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def parse_phone(raw: str, region: str = "TH") -> PhoneNumber:
    """Return `raw` in E.164 (`+66812345678`) or raise InvalidInput with a Thai message."""
    text = (raw or "").strip().translate(_THAI_DIGITS)
    if not text:
        raise InvalidInput("กรุณาใส่เบอร์โทรศัพท์", "a phone number is required")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"เบอร์โทรศัพท์ไม่ถูกต้อง: {raw}", f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"เบอร์โทรศัพท์ไม่ถูกต้อง: {raw}", f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    """True when `text` is mostly digits, so a member reference should be read as a phone."""
    digits = sum(ch.isdigit() for ch in text.translate(_THAI_DIGITS))
    return digits >= 9


def display_phone(e164: PhoneNumber) -> str:
    """`+66812345678` → `081-234-5678`, the way Thai people write it."""
    try:
        number = phonenumbers.parse(e164, "TH")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 66:
        national = "0" + str(number.national_number)
        if len(national) == 10:
            return f"{national[:3]}-{national[3:6]}-{national[6:]}"
        if len(national) == 9:
            return f"{national[:2]}-{national[2:5]}-{national[5:]}"
        return national
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
