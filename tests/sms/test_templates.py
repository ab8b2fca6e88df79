"""Every SMS text fits one screen: each sms.* template, filled with the longest realistic data, is one SMS."""
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts_th import catalogue
from sms.commands import Accept, Balance, Decline, Done, Help, Pause, Start, Stop, parse
from sms.render import STYLES, clip, render, short_date, short_name, template_for, words
from sms.segments import segments

SMS_KEYS = [k for k in catalogue.keys("sms.") if not k.startswith("sms.category.")]

# What a village bank's texts really carry, at their longest: a long formal name, the longest
# category label, a Sunday date, the longest everyday time ("บ่าย 2 โมงครึ่ง"), a long village name
# with its หมู่, a visit of almost eight hours, a coordinator's longest reason.
LONGEST = dict(
    request=99999, name="นางสาวประภาพรรณพิไลวรรณ ศรีสุวรรณวงศ์", category="errand", day="2026-11-29",
    start="14:30", village="บ้านโนนสะอาดพัฒนาใหม่ หมู่ 12", minutes=475, code="999",
    reason="เวลาคงเหลือของผู้ขอไม่พอ ต้องให้กองกลางช่วย", to_pool=475, to_loan=238, phone="081-000-1234",
)
TYPICAL = dict(request=12, name="ยายสมศรี ใจดี", category="clinic", day="2026-11-22", start="09:00",
               village="บ้านหนองบัว", minutes=120, code="482", reason="ไม่มีจิตอาสาที่ว่างตรงเวลา",
               to_pool=0, to_loan=0, phone="081-000-1234")


@pytest.mark.parametrize("key", SMS_KEYS)
def test_every_template_with_the_longest_realistic_data_is_one_sms(key):
    text = render(key, LONGEST)
    info = segments(text)
    assert info.encoding == "UCS-2" and info.units <= 70 and info.parts == 1, (key, info.units, text)


@pytest.mark.parametrize("key", SMS_KEYS)
def test_every_template_with_everyday_data_is_one_sms_and_fills_every_slot(key):
    text = render(key, TYPICAL)
    assert segments(text).parts == 1
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("category", ["clinic", "errand", "home", "visit", "other"])
def test_each_help_category_has_a_short_sms_label(category):
    label = catalogue.text("sms.category." + category)
    assert 0 < len(label) <= 8


def test_an_everyday_offer_keeps_name_task_weekday_date_time_place_and_reply_keys():
    text = render("sms.offer", TYPICAL)
    assert text == "ช่วยยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว ตอบ 1 รับ 2 ไม่รับ"


def test_a_coded_offer_names_its_code_in_both_reply_keys():
    text = render("sms.offer_coded", TYPICAL)
    assert "ตอบ 1 482 รับ 2 482 ไม่รับ" in text and "ยายสมศรี" in text and "22 พ.ย." in text


def test_the_longest_offer_still_says_who_what_when_and_how_to_answer():
    text = render("sms.offer", LONGEST)
    assert text.startswith("ช่วยประภา")
    for part in ("ไปทำธุระ", "29 พ.ย.", "บ่าย 2 โมงครึ่ง", "ตอบ 1 รับ 2 ไม่รับ"):
        assert part in text


def test_the_reply_keys_the_texts_teach_are_the_ones_the_parser_understands():
    assert parse("1") == Accept() and parse("2") == Decline() and parse("3") == Done()
    assert parse("1 482") == Accept("482") and parse("2 482") == Decline("482")
    assert parse("เสร็จ 90") == Done(None, 90) and parse("เสร็จ 2 ชม") == Done(None, 120)
    assert parse("ยอด") == Balance() and parse("พัก 7") == Pause(7)
    assert parse("หยุด") == Stop() and parse("เริ่ม") == Start() and parse("ช่วย") == Help()


def test_dates_are_dates_never_tomorrow_because_a_held_text_is_read_later():
    assert short_date(date(2026, 11, 21)) == "ส. 21 พ.ย. 69"
    assert short_date(date(2026, 11, 21), year=False) == "ส. 21 พ.ย."
    assert short_date(date(2026, 11, 21), weekday=False, year=False) == "21 พ.ย."
    for key in SMS_KEYS:
        assert "พรุ่งนี้" not in catalogue.text(key, **words(TYPICAL))


def test_village_names_are_short_and_kind():
    assert short_name("ยายสมศรี ใจดี") == "ยายสมศรี"
    assert short_name("ยาย สมศรี ใจดี") == "ยายสมศรี"
    assert short_name("นางสาวมาลี ศรีสุข") == "มาลี"
    assert short_name("นาย สมชาย รักษ์ดี") == "สมชาย"
    assert short_name("") == ""


def test_a_payment_that_overflowed_the_cap_or_repaid_a_loan_says_so():
    assert template_for("sms.paid", {"to_pool": 0, "to_loan": 0}) == "sms.paid"
    assert template_for("sms.paid", {"to_pool": 30, "to_loan": 0}) == "sms.paid_pool"
    assert template_for("sms.paid", {"to_pool": 0, "to_loan": 45}) == "sms.paid_loan"
    assert "เกินเพดาน 30 นาที" in render("sms.paid_pool", {**TYPICAL, "to_pool": 30})


thai_letters = st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E4E), min_size=1,
                       max_size=40)


@settings(max_examples=300, deadline=None)
@given(name=thai_letters, village=thai_letters, minutes=st.integers(15, 480),
       day=st.integers(0, 400), half_hour=st.integers(12, 40), key=st.sampled_from(SMS_KEYS))
def test_any_thai_name_and_village_still_fit_one_sms(name, village, minutes, day, half_hour, key):
    start = time(half_hour // 2, 30 * (half_hour % 2))
    slots = {**LONGEST, "name": name, "village": village, "minutes": minutes,
             "to_pool": minutes // 2, "to_loan": minutes // 3,
             "day": (date(2026, 11, 21) + timedelta(days=day)).isoformat(), "start": start.isoformat("minutes")}
    assert segments(render(key, slots)).parts == 1


@given(st.text(min_size=0, max_size=60), st.integers(2, 30))
def test_clipping_never_grows_a_text_nor_splits_a_letter_from_its_marks(text, limit):
    clipped = clip(text, limit)
    assert len(clipped) <= max(limit, 1) or clipped == " ".join(text.split())
    if clipped.endswith("…") and len(clipped) > 1:
        assert clipped[-2] not in "เแโใไ"


def test_the_styles_go_from_fullest_to_shortest():
    lengths = [len(catalogue.text("sms.offer_coded", **words(LONGEST, style))) for style in STYLES]
    assert lengths == sorted(lengths, reverse=True)
