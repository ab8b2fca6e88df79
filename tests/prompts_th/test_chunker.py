"""Cutting Thai text for gTTS: never mid-word, never before a tone mark, nothing lost."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythainlp.tokenize import word_tokenize

from prompts_th.chunker import LEADING_VOWELS, THAI_MARKS, chunk_thai, is_mark

ANNOUNCEMENT = (
    "ประกาศจากธนาคารเวลาค่ะ พรุ่งนี้วันเสาร์ที่ยี่สิบเอ็ดพฤศจิกายน เวลาเก้าโมงเช้า "
    "ขอเชิญสมาชิกทุกท่านมาประชุมที่ศาลาวัดประจำหมู่บ้าน "
    "ยายสมศรีฝากขอบคุณจิตอาสาที่พาไปหาหมอเมื่อวานนี้ค่ะ\n"
    "ใครสะดวกช่วยซื้อของให้ตาบุญมีในวันจันทร์ กรุณาโทรหาธนาคารเวลาค่ะ"
)


def starts(text: str, chunks: list[str]) -> list[int]:
    """Where each chunk starts in text; fails unless only whitespace lies between chunks."""
    positions, at = [], 0
    for chunk in chunks:
        gap_end = text.index(chunk, at)
        assert text[at:gap_end].strip() == "", f"{text[at:gap_end]!r} was dropped between chunks"
        positions.append(gap_end)
        at = gap_end + len(chunk)
    assert text[at:].strip() == "", f"{text[at:]!r} was dropped at the end"
    return positions


def assert_contract(text: str, chunks: list[str], limit: int) -> list[int]:
    for chunk in chunks:
        assert chunk, "an empty chunk"
        assert chunk == chunk.strip(), f"{chunk!r} keeps whitespace at an end"
        assert len(chunk) <= limit, f"{chunk!r} is longer than {limit}"
    return starts(text, chunks)


def word_boundaries(text: str) -> set[int]:
    ends, at = set(), 0
    for token in word_tokenize(text, engine="newmm", keep_whitespace=True):
        at += len(token)
        ends.add(at)
    return ends


def test_short_text_is_one_chunk_without_the_outer_whitespace():
    assert chunk_thai("  สวัสดีค่ะ ยายสมศรี \n") == ["สวัสดีค่ะ ยายสมศรี"]


def test_nothing_to_say_gives_no_chunks():
    assert chunk_thai("") == []
    assert chunk_thai(" \n\t ") == []


def test_a_long_announcement_is_cut_at_spaces_and_words_not_inside_words():
    limit = 40
    chunks = chunk_thai(ANNOUNCEMENT, limit)
    positions = assert_contract(ANNOUNCEMENT, chunks, limit)
    boundaries = word_boundaries(ANNOUNCEMENT)
    for chunk, at in zip(chunks, positions):
        assert at == 0 or at in boundaries or ANNOUNCEMENT[at - 1].isspace()
        assert at + len(chunk) in boundaries


def test_unspaced_thai_longer_than_gtts_limit_is_cut_between_words():
    # gTTS's own splitter would cut this at exactly 100 characters, inside a word.
    text = "ธนาคารเวลาขอขอบคุณจิตอาสาทุกท่านที่ช่วยเหลือผู้สูงอายุในหมู่บ้านของเรา" * 3
    chunks = chunk_thai(text, 100)
    assert len(chunks) >= 3
    assert "".join(chunks) == text
    boundaries = word_boundaries(text)
    assert all(end in boundaries for end in _ends(chunks))


def test_a_sentence_end_is_preferred_to_a_later_space():
    text = "ยายสมศรีขอบคุณค่ะ. ตาบุญมีก็ขอบคุณ จิตอาสาทุกคนเลยค่ะ"
    assert chunk_thai(text, 40)[0] == "ยายสมศรีขอบคุณค่ะ."


def test_a_line_break_is_preferred_to_a_later_space():
    text = "ประชุมพรุ่งนี้ค่ะ\nที่ศาลาวัด เก้าโมงเช้า ทุกคนมานะคะ"
    assert chunk_thai(text, 40)[0] == "ประชุมพรุ่งนี้ค่ะ"


def test_whitespace_inside_a_chunk_is_kept_as_written():
    assert chunk_thai("ยาย  สมศรี") == ["ยาย  สมศรี"]


def test_a_word_longer_than_the_limit_is_cut_between_character_clusters():
    word = "กั้" * 20  # one "word" of 60 characters, every consonant carrying two marks
    chunks = chunk_thai(word, 10)
    assert "".join(chunks) == word
    assert all(len(chunk) <= 10 and not is_mark(chunk[0]) for chunk in chunks)
    assert [len(chunk) for chunk in chunks] == [9] * 6 + [6]


def test_a_leading_vowel_stays_with_its_consonant():
    chunks = chunk_thai("เก" * 10, 5)
    assert all(chunk[-1] not in LEADING_VOWELS for chunk in chunks)
    assert "".join(chunks) == "เก" * 10


def test_a_cluster_longer_than_the_limit_is_the_only_place_a_mark_may_start_a_chunk():
    text = "ก" + "\u0e48" * 12
    chunks = chunk_thai(text, 5)
    assert "".join(chunks) == text and all(len(chunk) <= 5 for chunk in chunks)


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        chunk_thai("ก", 0)


# ── Properties over generated Thai ─────────────────────────────────────────────────

CONSONANTS = [chr(c) for c in range(0x0E01, 0x0E2F)]
MARKS = sorted(THAI_MARKS)
syllables = st.builds(
    lambda lead, consonant, marks, tail: lead + consonant + "".join(marks) + tail,
    st.sampled_from(["", "", "", *LEADING_VOWELS]),
    st.sampled_from(CONSONANTS),
    st.lists(st.sampled_from(MARKS), max_size=2),
    st.sampled_from(["", "", "า", "ะ", "ำ", "ง", "น"]),
)
separators = st.sampled_from([" ", "  ", "\n", ". ", "! ", ", ", "\t", "123", " 2569 "])
thai_text = st.lists(
    st.one_of(syllables, syllables, syllables, separators), max_size=120
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=thai_text, limit=st.integers(min_value=5, max_value=120))
def test_written_thai_is_never_cut_before_a_mark_or_after_a_leading_vowel(text, limit):
    chunks = chunk_thai(text, limit)
    assert_contract(text, chunks, limit)
    for chunk in chunks:
        assert not is_mark(chunk[0]), f"{chunk!r} starts with a combining mark"
        assert chunk[-1] not in LEADING_VOWELS, f"{chunk!r} ends with a leading vowel"


any_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),
        st.sampled_from([" ", "\n", "\u00a0", ".", "a", "\u0301", "😀"]),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(text=any_text, limit=st.integers(min_value=1, max_value=30))
def test_any_text_keeps_the_contract(text, limit):
    chunks = chunk_thai(text, limit)
    for chunk, at in zip(chunks, assert_contract(text, chunks, limit)):
        if is_mark(text[at]):
            assert_only_over_long_clusters_are_split(text, at, limit)


def assert_only_over_long_clusters_are_split(text: str, at: int, limit: int) -> None:
    """A chunk starting with a mark: its letter (if any) plus marks must exceed the limit."""
    base = at
    while base > 0 and is_mark(text[base - 1]):
        base -= 1
    base -= 1  # the character the marks sit on
    if base < 0 or text[base].isspace():
        return  # marks sitting on nothing: no letter was separated from them
    end = at
    while end < len(text) and is_mark(text[end]):
        end += 1
    assert end - base > limit, f"cut inside {text[base:end]!r}, which fits in {limit}"


def _ends(chunks: list[str]) -> list[int]:
    ends, at = [], 0
    for chunk in chunks:
        at += len(chunk)
        ends.append(at)
    return ends
