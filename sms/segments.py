"""How many SMS parts a text costs: GSM-7 when every character fits it, UCS-2 (all Thai) otherwise.

GSM-7 (3GPP TS 23.038 default alphabet) counts septets: a basic character is 1, a character of the
extension table (``^ { } \\ [ ~ ] | €`` and form feed) is 2 (escape + character). UCS-2 counts UTF-16
code units: Thai is 1 per character, an emoji outside the Basic Multilingual Plane is 2.
One message holds 160 septets or 70 units; a multipart message loses room to its header and holds
153 septets or 67 units per part. Parts are filled in order and an escape pair or a surrogate pair
is never split across two parts, as phones and gateways do, so a part may hold one unit less.
An empty text is one (empty) message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMIT: dict[Encoding, int] = {"GSM-7": 160, "UCS-2": 70}
PART_LIMIT: dict[Encoding, int] = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: Encoding
    units: int          # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int


def _costs(text: str) -> tuple[Encoding, list[int]]:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> SegmentInfo:
    """The encoding, size in units and number of SMS parts needed to send ``text``."""
    encoding, costs = _costs(text)
    units = sum(costs)
    if units <= SINGLE_LIMIT[encoding]:
        return SegmentInfo(encoding, units, 1)
    room, parts, used = PART_LIMIT[encoding], 1, 0
    for cost in costs:
        if used + cost > room:
            parts, used = parts + 1, 0
        used += cost
    return SegmentInfo(encoding, units, parts)


def fits_one_sms(text: str) -> bool:
    """True when ``text`` goes out as a single SMS."""
    return segments(text).parts == 1
