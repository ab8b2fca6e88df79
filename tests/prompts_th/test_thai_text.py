"""Speakable Thai: what the IVR and the loudspeaker say, and what an SMS shows."""

import re
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompts_th import catalogue
from prompts_th.thai_text import (
    category_words,
    date_text,
    date_words,
    expand_abbreviations,
    expand_repetition,
    minutes_text,
    minutes_words,
    normalize_digits,
    number_words,
    part_of_day_words,
    phone_words,
    relative_day_words,
    speakable,
    time_text,
    time_words,
)

# The meeting day every table below comes back to: Saturday 21 November 2026 (BE 2569).
MEETING_DAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "ศูนย์"),
        (1, "หนึ่ง"),
        (11, "สิบเอ็ด"),
        (20, "ยี่สิบ"),
        (21, "ยี่สิบเอ็ด"),
        (101, "หนึ่งร้อยเอ็ด"),
        (2569, "สองพันห้าร้อยหกสิบเก้า"),
        (-5, "ลบห้า"),
    ],
)
def test_number_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("minutes", "words", "text"),
    [
        (0, "ศูนย์นาที", "0 นาที"),
        (30, "สามสิบนาที", "30 นาที"),
        (45, "สี่สิบห้านาที", "45 นาที"),
        (60, "หนึ่งชั่วโมง", "1 ชั่วโมง"),
        (90, "หนึ่งชั่วโมงครึ่ง", "1 ชั่วโมง 30 นาที"),
        (135, "สองชั่วโมงสิบห้านาที", "2 ชั่วโมง 15 นาที"),
        (150, "สองชั่วโมงครึ่ง", "2 ชั่วโมง 30 นาที"),
        (180, "สามชั่วโมง", "3 ชั่วโมง"),
        (-90, "ลบหนึ่งชั่วโมงครึ่ง", "-1 ชั่วโมง 30 นาที"),  # a member paying back a loan
    ],
)
def test_minutes_spoken_and_written(minutes, words, text):
    assert minutes_words(minutes) == words
    assert minutes_text(minutes) == text


@pytest.mark.parametrize(
    ("day", "weekday", "words"),
    [
        (MEETING_DAY, True, "วันเสาร์ที่ยี่สิบเอ็ด พฤศจิกายน พุทธศักราช สองพันห้าร้อยหกสิบเก้า"),
        (MEETING_DAY, False, "วันที่ยี่สิบเอ็ด พฤศจิกายน พุทธศักราช สองพันห้าร้อยหกสิบเก้า"),
        (date(2027, 1, 1), True, "วันศุกร์ที่หนึ่ง มกราคม พุทธศักราช สองพันห้าร้อยเจ็ดสิบ"),
    ],
)
def test_date_words_speak_the_buddhist_era_in_full(day, weekday, words):
    assert date_words(day, weekday=weekday) == words


def test_date_words_can_leave_out_the_year():
    assert date_words(MEETING_DAY, year=False) == "วันเสาร์ที่ยี่สิบเอ็ด พฤศจิกายน"


@pytest.mark.parametrize(
    ("day", "weekday", "short", "text"),
    [
        (MEETING_DAY, True, False, "วันเสาร์ที่ 21 พฤศจิกายน 2569"),
        (MEETING_DAY, False, False, "21 พฤศจิกายน 2569"),
        (MEETING_DAY, True, True, "21 พ.ย. 69"),
        (date(2027, 3, 5), False, True, "5 มี.ค. 70"),
    ],
)
def test_date_text(day, weekday, short, text):
    assert date_text(day, weekday=weekday, short=short) == text


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (MEETING_DAY, "วันนี้"),
        (date(2026, 11, 22), "พรุ่งนี้"),
        (date(2026, 11, 23), "มะรืนนี้"),
        (date(2026, 11, 20), "เมื่อวานนี้"),
        (date(2026, 11, 24), "วันอังคารที่ยี่สิบสี่"),
        (date(2026, 12, 2), "วันพุธที่สอง ธันวาคม"),
        (date(2027, 1, 2), "วันเสาร์ที่สอง มกราคม พุทธศักราช สองพันห้าร้อยเจ็ดสิบ"),
    ],
)
def test_relative_day_words(day, words):
    assert relative_day_words(day, today=MEETING_DAY) == words


@pytest.mark.parametrize(
    ("clock", "words", "text"),
    [
        (time(0, 0), "เที่ยงคืน", "เที่ยงคืน"),
        (time(1, 0), "ตีหนึ่ง", "ตี 1"),
        (time(5, 0), "ตีห้า", "ตี 5"),
        (time(6, 0), "หกโมงเช้า", "6 โมงเช้า"),
        (time(7, 0), "เจ็ดโมงเช้า", "7 โมงเช้า"),
        (time(9, 0), "เก้าโมงเช้า", "9 โมงเช้า"),
        (time(9, 30), "เก้าโมงครึ่ง", "9 โมงครึ่ง"),
        (time(11, 0), "สิบเอ็ดโมงเช้า", "11 โมงเช้า"),
        (time(12, 0), "เที่ยง", "เที่ยง"),
        (time(12, 30), "เที่ยงครึ่ง", "เที่ยงครึ่ง"),
        (time(13, 0), "บ่ายโมง", "บ่ายโมง"),
        (time(14, 0), "บ่ายสองโมง", "บ่าย 2 โมง"),
        (time(14, 15), "บ่ายสองโมงสิบห้านาที", "14:15 น."),
        (time(15, 0), "บ่ายสามโมง", "บ่าย 3 โมง"),
        (time(16, 0), "สี่โมงเย็น", "4 โมงเย็น"),
        (time(17, 0), "ห้าโมงเย็น", "5 โมงเย็น"),
        (time(18, 0), "หกโมงเย็น", "6 โมงเย็น"),
        (time(18, 30), "หกโมงเย็นครึ่ง", "6 โมงเย็นครึ่ง"),  # not "หกโมงครึ่ง": morning or evening?
        (time(19, 0), "หนึ่งทุ่ม", "1 ทุ่ม"),
        (time(19, 30), "หนึ่งทุ่มครึ่ง", "1 ทุ่มครึ่ง"),
        (time(20, 0), "สองทุ่ม", "2 ทุ่ม"),
        (time(23, 0), "ห้าทุ่ม", "5 ทุ่ม"),
        (time(1, 5), "ตีหนึ่งห้านาที", "1:05 น."),
    ],
)
def test_clock_times_in_everyday_thai(clock, words, text):
    assert time_words(clock) == words
    assert time_text(clock) == text


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("+66812345678", "ศูนย์ แปด หนึ่ง, สอง สาม สี่, ห้า หก เจ็ด แปด"),
        ("081-234-5678", "ศูนย์ แปด หนึ่ง, สอง สาม สี่, ห้า หก เจ็ด แปด"),
        ("๐๘๑ ๒๓๔ ๕๖๗๘", "ศูนย์ แปด หนึ่ง, สอง สาม สี่, ห้า หก เจ็ด แปด"),
        ("02-123-4567", "ศูนย์ สอง, หนึ่ง สอง สาม, สี่ ห้า หก เจ็ด"),  # Bangkok
        ("053 123 456", "ศูนย์ ห้า สาม, หนึ่ง สอง สาม, สี่ ห้า หก"),  # Chiang Mai
        ("1669", "หนึ่ง หก หก เก้า"),  # the emergency line
    ],
)
def test_phone_words_read_digit_by_digit_in_groups(number, words):
    assert phone_words(number) == words


def test_phone_words_refuses_a_number_without_digits():
    with pytest.raises(ValueError, match="no digits"):
        phone_words("โทรหายาย")


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("นัดวันที่ 21 พ.ย. 69", "นัดวันที่ 21 พฤศจิกายน 69"),
        ("ม.ค. ก.พ. มี.ค. เม.ย. ธ.ค.", "มกราคม กุมภาพันธ์ มีนาคม เมษายน ธันวาคม"),
        ("เวลา 14.00 น.", "เวลา บ่ายสองโมง"),
        ("เริ่ม 9:30 น.", "เริ่ม เก้าโมงครึ่ง"),
        ("ศาลา ม.5", "ศาลา หมู่ 5"),
        ("ศาลา ม. 5", "ศาลา หมู่ 5"),
        ("แจ้งผญบ.ก่อน", "แจ้งผู้ใหญ่บ้านก่อน"),
        ("กลุ่มอสม.", "กลุ่มอาสาสมัครสาธารณสุขประจำหมู่บ้าน"),
        ("พาไปรพ.สต.บ้านใหม่", "พาไปโรงพยาบาลส่งเสริมสุขภาพตำบลบ้านใหม่"),
        ("ส่งตัวไป รพ.ลำพูน", "ส่งตัวไป โรงพยาบาลลำพูน"),
        ("ต.บ้านใหม่ อ.เมือง จ.ลำพูน", "ตำบลบ้านใหม่ อำเภอเมือง จังหวัดลำพูน"),
        ("พ.ศ. 2569", "พุทธศักราช 2569"),
        ("2 ชม. 30 นาที", "2 ชั่วโมง 30 นาที"),
        ("อีก 3 กม.", "อีก 3 กิโลเมตร"),
        ("ค่ารถ 50 บ.", "ค่ารถ 50 บาท"),
        ("ผู้ชม.", "ผู้ชม."),  # ชม inside a word stays a word
        ("จ.ส.ต.สมชาย", "จ.ส.ต.สมชาย"),  # an unknown title is not "จังหวัด"
    ],
)
def test_expand_abbreviations(written, spoken):
    assert expand_abbreviations(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("ช้าๆ", "ช้าช้า"),
        ("เด็กๆ มา", "เด็กเด็ก มา"),
        ("เด็ก ๆ มา", "เด็กเด็ก มา"),
        ("ไปๆมาๆ", "ไปไปมามา"),
        ("เด็กๆๆ", "เด็กเด็กเด็ก"),
        ("บ้านเล็กๆ", "บ้านเล็กเล็ก"),  # the segmenter's compound is cut: only เล็ก repeats
        ("ผ้าสีแดงๆ", "ผ้าสีแดงแดง"),
        ("มาบ่อยๆ", "มาบ่อยบ่อย"),  # บ่อย is one word, not บ่ + อย
        ("บ้านสะอาดๆ", "บ้านสะอาดสะอาด"),
        ("ๆ", ""),  # nothing to repeat
    ],
)
def test_expand_repetition(written, spoken):
    assert expand_repetition(written) == spoken


def test_normalize_digits():
    assert normalize_digits("พ.ศ. ๒๕๖๙ หมู่ ๕") == "พ.ศ. 2569 หมู่ 5"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        (
            "ประชุมธนาคารเวลา วันเสาร์ที่ 21 พ.ย. 2569 เวลา 14.00 น. ที่ศาลาหมู่ 5",
            "ประชุมธนาคารเวลา วันเสาร์ที่ ยี่สิบเอ็ด พฤศจิกายน สองพันห้าร้อยหกสิบเก้า"
            " เวลา บ่ายสองโมง ที่ศาลาหมู่ ห้า",
        ),
        (
            "ยายสมศรีได้รับความช่วยเหลือ 2 ชม. 30 นาที",
            "ยายสมศรีได้รับความช่วยเหลือ สองชั่วโมง สามสิบนาที",
        ),
        ("โทร 081-234-5678", "โทร ศูนย์ แปด หนึ่ง, สอง สาม สี่, ห้า หก เจ็ด แปด"),
        ("ติดต่อ +66 81 234 5678", "ติดต่อ ศูนย์ แปด หนึ่ง, สอง สาม สี่, ห้า หก เจ็ด แปด"),
        ("๒ ชั่วโมง", "สองชั่วโมง"),
        ("เวลาคงเหลือ ๑ ชั่วโมง ๓๐ นาที", "เวลาคงเหลือ หนึ่งชั่วโมง สามสิบนาที"),
        (
            "นัด 21/11/2569 เวลา 9:30",
            "นัด ยี่สิบเอ็ด พฤศจิกายน พุทธศักราช สองพันห้าร้อยหกสิบเก้า เวลา เก้าโมงครึ่ง",
        ),
        ("นัด 21/11/2026", "นัด ยี่สิบเอ็ด พฤศจิกายน พุทธศักราช สองพันห้าร้อยหกสิบเก้า"),
        ("ตาบุญมีรับยา 19:00", "ตาบุญมีรับยา หนึ่งทุ่ม"),
        ("เจอกัน 9 โมง", "เจอกัน เก้าโมง"),
        ("ค่ารถ 1,500 บ. ระยะทาง 2.5 กม.", "ค่ารถ หนึ่งพันห้าร้อยบาท ระยะทาง สองจุดห้ากิโลเมตร"),
        ("เริ่มต้น 2-5 แต้ม", "เริ่มต้น สอง ถึง ห้าแต้ม"),
        ("เวลาคงเหลือ -90 นาที", "เวลาคงเหลือ ลบเก้าสิบนาที"),
        ("จิตอาสาช่วยกันช้าๆ  ไม่ต้องรีบ", "จิตอาสาช่วยกันช้าช้า ไม่ต้องรีบ"),
        (
            "รอ อสม. ที่ รพ.สต.",
            "รอ อาสาสมัครสาธารณสุขประจำหมู่บ้าน ที่ โรงพยาบาลส่งเสริมสุขภาพตำบล",
        ),
        # no such day: read as numbers
        ("นัด 31/02/2569", "นัด สามสิบเอ็ด/สอง/สองพันห้าร้อยหกสิบเก้า"),
        ("ใช้เวลา 1.5 ชั่วโมง", "ใช้เวลา หนึ่งจุดห้าชั่วโมง"),  # a duration, not a clock time
        ("เวลา 14.00 - 16.00 น.", "เวลา บ่ายสองโมง - สี่โมงเย็น"),
        # a long code, not a quantity: digit by digit
        (
            "รหัส 1234567890123456",
            "รหัส หนึ่ง สอง สาม สี่ ห้า หก เจ็ด แปด เก้า ศูนย์ หนึ่ง สอง สาม สี่ ห้า หก",
        ),
    ],
)
def test_speakable_village_sentences(written, spoken):
    assert speakable(written) == spoken


@given(st.text())
def test_speakable_never_raises(text):
    assert isinstance(speakable(text), str)


@given(st.text(alphabet="0123456789๐๑๒๓๔๕๖๗๘๙ .:/-+,นมชบพ.ศๆ"))
def test_speakable_never_raises_on_digit_soup(text):
    assert isinstance(speakable(text), str)


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_minutes_words_never_raises_and_speaks_no_digits(minutes):
    assert not re.search(r"[0-9๐-๙]", minutes_words(minutes))


def test_part_of_day_and_category_words_come_from_the_catalogue():
    assert part_of_day_words("morning") == "ช่วงเช้า"
    assert part_of_day_words("evening") == catalogue.text("time.part.evening")
    assert category_words("clinic") == catalogue.text("category.clinic")


def test_an_unknown_part_of_day_is_a_clear_error():
    with pytest.raises(KeyError, match="time.part.midnight"):
        part_of_day_words("midnight")
