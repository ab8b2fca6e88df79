"""An SMS costs one part up to 160 GSM-7 characters or 70 Thai ones; longer texts are split and cost more."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms.segments import SegmentInfo, fits_one_sms, segments

THAI = "ก"


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 160, SegmentInfo("GSM-7", 160, 1)),
    ("a" * 161, SegmentInfo("GSM-7", 161, 2)),
    ("a" * 306, SegmentInfo("GSM-7", 306, 2)),
    ("a" * 307, SegmentInfo("GSM-7", 307, 3)),
    (THAI * 70, SegmentInfo("UCS-2", 70, 1)),
    (THAI * 71, SegmentInfo("UCS-2", 71, 2)),
    (THAI * 134, SegmentInfo("UCS-2", 134, 2)),
    (THAI * 135, SegmentInfo("UCS-2", 135, 3)),
    ("", SegmentInfo("GSM-7", 0, 1)),
])
def test_the_part_boundaries(text, expected):
    assert segments(text) == expected


def test_a_thai_offer_is_ucs2_and_counts_every_vowel_and_tone_mark():
    offer = "ยายสมศรีขอให้ช่วยซื้อของ ตอบ 1 รับ 2 ไม่รับ"
    info = segments(offer)
    assert info.encoding == "UCS-2"
    assert info.units == len(offer)
    assert fits_one_sms(offer)


def test_one_thai_letter_turns_a_whole_english_text_into_ucs2():
    assert segments("a" * 69 + "ก") == SegmentInfo("UCS-2", 70, 1)
    assert segments("a" * 70 + "ก") == SegmentInfo("UCS-2", 71, 2)


@pytest.mark.parametrize("char", list("€{}[]~|^\\") + ["\f"])
def test_extension_characters_stay_gsm7_but_count_two(char):
    assert segments(char) == SegmentInfo("GSM-7", 2, 1)
    assert segments("a" * 158 + char) == SegmentInfo("GSM-7", 160, 1)
    assert segments("a" * 159 + char) == SegmentInfo("GSM-7", 161, 2)


def test_an_escape_pair_is_never_split_between_parts():
    # 152 septets, then € (2) would straddle the 153 boundary: it moves to part two.
    info = segments("a" * 152 + "€" + "a" * 152)
    assert info == SegmentInfo("GSM-7", 306, 3)
    assert segments("a" * 151 + "€" + "a" * 153) == SegmentInfo("GSM-7", 306, 2)


def test_gsm7_accents_and_greek_are_one_septet():
    text = "Café à Ørsted: Δ Ω £5 @home ¿qué? ñ"
    assert segments(text) == SegmentInfo("GSM-7", len(text), 1)


def test_characters_outside_gsm7_force_ucs2():
    assert segments("smart ’quotes’").encoding == "UCS-2"
    assert segments("ç").encoding == "UCS-2"           # only the capital Ç is in GSM-7
    assert segments("`").encoding == "UCS-2"
    assert segments("sí").encoding == "UCS-2"           # ì is GSM-7, í is not


def test_an_emoji_counts_two_ucs2_units():
    assert segments("👍") == SegmentInfo("UCS-2", 2, 1)
    assert segments("ก" * 68 + "👍") == SegmentInfo("UCS-2", 70, 1)
    assert segments("ก" * 69 + "👍") == SegmentInfo("UCS-2", 71, 2)


def test_a_surrogate_pair_is_never_split_between_parts():
    assert segments("ก" * 66 + "👍" + "ก" * 66) == SegmentInfo("UCS-2", 134, 3)
    assert segments("ก" * 65 + "👍" + "ก" * 67) == SegmentInfo("UCS-2", 134, 2)


def test_fits_one_sms():
    assert fits_one_sms("a" * 160)
    assert not fits_one_sms("a" * 161)
    assert fits_one_sms(THAI * 70)
    assert not fits_one_sms(THAI * 71)


@given(st.text(max_size=500))
def test_segments_never_raise_and_parts_cover_the_units(text):
    info = segments(text)
    assert info.encoding in ("GSM-7", "UCS-2")
    per_part = 153 if info.encoding == "GSM-7" else 67
    assert info.parts >= 1
    single = 160 if info.encoding == "GSM-7" else 70
    if info.parts == 1:
        assert info.units <= single
    else:
        assert single < info.units <= info.parts * per_part
    assert fits_one_sms(text) == (info.units <= single)
