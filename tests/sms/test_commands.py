"""The SMS parser reads what volunteers really type: Thai or English, digits, typos, codes and durations."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.commands import (
    COMMAND_TYPES, DIGIT_KEYS, Accept, Balance, Decline, Done, Help, Pause, Reason, Start, Stop, Unknown,
    parse,
)

# ป้าแดง อสม. has two open offers: 482 (ยายสมศรี's shopping) and 517 (ตาบุญมี's garden).
OPEN = frozenset({"482", "517"})

REPLIES = [
    # accepting an offer
    ("1", Accept()),
    ("๑", Accept()),
    ("１", Accept()),
    ("1️⃣", Accept()),
    ("รับ", Accept()),
    ("รับค่ะ", Accept()),
    ("รับครับ", Accept()),
    ("รับบบ", Accept()),
    ("  รับ งาน นะคะ  ", Accept()),
    ("ได้ค่ะ", Accept()),
    ("ได้เลยจ้า", Accept()),
    ("ตกลง", Accept()),
    ("ตกลล", Accept()),
    ("ตกลงงงค่ะ", Accept()),
    ("โอเค", Accept()),
    ("โอเคค่า", Accept()),
    ("ok", Accept()),
    ("OK!!", Accept()),
    ("oK", Accept()),
    ("0k", Accept()),
    ("o.k.", Accept()),
    ("Okay krub", Accept()),
    ("yes", Accept()),
    ("Y", Accept()),
    ("yse", Accept()),
    ("Yesss ka", Accept()),
    ("ยืนยัน", Accept()),
    ("ยืนยน", Accept()),
    ("ไป", Accept()),
    ("ไปค่ะ", Accept()),
    ("ไปได้จ้ะ", Accept()),
    ("ช่วยได้ค่ะ", Accept()),
    ("หนูว่างค่ะ", Accept()),
    ("รับ ค่ะ ขอบคุณมากค่ะ", Accept()),
    ("1 482", Accept("482")),
    ("๑ ๔๘๒", Accept("482")),
    ("รับ 482", Accept("482")),
    ("482 รับ", Accept("482")),
    ("รับ482ค่ะ", Accept("482")),
    ("ok 517", Accept("517")),
    ("1 รับ 517", Accept("517")),
    # declining
    ("2", Decline()),
    ("๒", Decline()),
    ("ไม่", Decline()),
    ("ไม่ได้", Decline()),
    ("ไม่ ได้ ค่ะ", Decline()),
    ("ไม่ได", Decline()),
    ("ไม่่ได้้", Decline()),
    ("ไม่ว่าง", Decline()),
    ("ม่ว่าง", Decline()),
    ("ไม่ว่างค่ะ", Decline()),
    ("ไม่รับ", Decline()),
    ("ไม่สะดวกค่ะ", Decline()),
    ("ไม่สะดวด", Decline()),
    ("ไม่ไป", Decline()),
    ("ไปไม่ได้ครับ", Decline()),
    ("ทำไม่ได้ค่ะ ขอโทษ", Decline()),
    ("no", Decline()),
    ("N", Decline()),
    ("Sorry, can't", Decline()),
    ("not available", Decline()),
    ("2 482", Decline("482")),
    ("ไม่ว่าง 517 ค่ะ", Decline("517")),
    ("no 482", Decline("482")),
    # done, with or without a duration and a code
    ("3", Done()),
    ("๓", Done()),
    ("เสร็จ", Done()),
    ("เสร็จแล้ว", Done()),
    ("เสร็จแล้วค่ะ", Done()),
    ("เสร็จเเล้ว", Done()),
    ("เสร็ด", Done()),
    ("เสด", Done()),
    ("done", Done()),
    ("Done.", Done()),
    ("เสร็จ 90", Done(None, 90)),
    ("เสร็จ ๙๐", Done(None, 90)),
    ("เสร็จ 90 นาที", Done(None, 90)),
    ("เสร็จ90นาทีค่ะ", Done(None, 90)),
    ("done 1.5ชม", Done(None, 90)),
    ("เสร็จ 2 ชม", Done(None, 120)),
    ("เสร็จ 2 ชม.", Done(None, 120)),
    ("เสร็จ 1 ชั่วโมงครึ่ง", Done(None, 90)),
    ("เสร็จ ชั่วโมงครึ่ง", Done(None, 90)),
    ("เสร็จ ครึ่งชั่วโมง", Done(None, 30)),
    ("เสร็จ สองชั่วโมง", Done(None, 120)),
    ("เสร็จแล้ว ชั่วโมงนึงค่ะ", Done(None, 60)),
    ("เสร็จ 1 ชม 30 นาที", Done(None, 90)),
    ("done 2h", Done(None, 120)),
    ("done 45m", Done(None, 45)),
    ("done 1h30", Done(None, 90)),
    ("Done, took 2 hours", Done(None, 120)),
    ("เสร็จค่ะ ใช้เวลา 2 ชม", Done(None, 120)),
    ("3 ชม เสร็จ", Done(None, 180)),
    ("done 1:30", Done(None, 90)),
    ("3 90", Done(None, 90)),
    ("3 482", Done("482")),
    ("เสร็จ 482", Done("482")),
    ("เสร็จ 482 90", Done("482", 90)),
    ("เสร็จ 90 482", Done("482", 90)),
    ("482 เสร็จ 2 ชม", Done("482", 120)),
    ("3 517 45", Done("517", 45)),
    ("เสร็จ 120", Done(None, 120)),
    ("เสร็จ 482 นาที", Done(None, 482)),
    # balance
    ("ยอด", Balance()),
    ("ยอดเวลา", Balance()),
    ("เวลาคงเหลือ", Balance()),
    ("เหลือกี่ชั่วโมงคะ", Balance()),
    ("เช็คยอดค่ะ", Balance()),
    ("แต้ม", Balance()),
    ("bal", Balance()),
    ("Balance please", Balance()),
    # pause
    ("พัก", Pause(7)),
    ("พัก 7", Pause(7)),
    ("พัก7วัน", Pause(7)),
    ("พัก ๓ วัน", Pause(3)),
    ("หยุดพัก 3", Pause(3)),
    ("ขอพัก 2 อาทิตย์นะคะ", Pause(14)),
    ("pause 7", Pause(7)),
    ("หยุดก่อนนะ", Pause(7)),
    ("pause for 10 days", Pause(10)),
    ("หยุด 5 วัน", Pause(5)),
    # stop and start
    ("หยุด", Stop()),
    ("stop", Stop()),
    ("STOP", Stop()),
    ("Stop please", Stop()),
    ("unsubscribe", Stop()),
    ("CANCEL", Stop()),
    ("ไม่ต้องส่งมาแล้วค่ะ", Stop()),
    ("เริ่ม", Start()),
    ("start", Start()),
    ("เริ่มใหม่ค่ะ", Start()),
    # help
    ("ช่วย", Help()),
    ("ช่วยด้วย", Help()),
    ("help", Help()),
    ("?", Help()),
    ("？？", Help()),
    ("วิธีใช้", Help()),
]


@pytest.mark.parametrize(("body", "expected"), REPLIES, ids=[body for body, _ in REPLIES])
def test_a_real_reply_reads_as_its_command(body, expected):
    assert parse(body, open_codes=OPEN) == expected


def test_the_table_is_big_enough_to_trust():
    assert len(REPLIES) >= 80


@pytest.mark.parametrize(("body", "reason"), [
    ("", Reason.EMPTY),
    ("   \n ", Reason.EMPTY),
    ("👍", Reason.NO_WORDS),
    ("😀🙏🏻", Reason.NO_WORDS),
    ("\x00\x01\x02", Reason.NO_WORDS),
    ("\x00ÿþ\x13", Reason.UNRECOGNISED),
    ("รับ" * 1500, Reason.TOO_LONG),
    ("a" * 4000, Reason.TOO_LONG),
    ("ค่ะ", Reason.UNRECOGNISED),              # a particle alone is not a yes
    ("ได้ไหม", Reason.UNRECOGNISED),           # a question is not an answer
    ("ไปไหน", Reason.UNRECOGNISED),            # ไป is only accept on its own
    ("ยายป่วย", Reason.UNRECOGNISED),          # one letter from ช่วย, but not help
    ("พักกี่วัน", Reason.UNRECOGNISED),          # a question, not a pause
    ("เสด็จ", Reason.UNRECOGNISED),            # a royal word, never Done
    ("4", Reason.UNRECOGNISED),                # only 1, 2 and 3 are keys
    ("482", Reason.UNRECOGNISED),              # a code without a command
    ("สวัสดีค่ะ", Reason.UNRECOGNISED),
    ("ยกเลิก", Reason.AMBIGUOUS),              # this job or the whole service?
    ("ยกเลิกค่ะ", Reason.AMBIGUOUS),
    ("cancel 482", Reason.AMBIGUOUS),
    ("รับ ไม่รับ", Reason.CONFLICTING),
    ("2 รับ", Reason.CONFLICTING),
    ("ok stop", Reason.CONFLICTING),
    ("รับ 482 517", Reason.SEVERAL_CODES),
    ("รับ 48", Reason.UNEXPECTED_NUMBER),
    ("1 2", Reason.UNEXPECTED_NUMBER),
    ("ยอด 5", Reason.UNEXPECTED_NUMBER),
    ("เสร็จ 90 2 ชม", Reason.UNEXPECTED_NUMBER),
    ("เสร็จ 0 นาที", Reason.MINUTES_OUT_OF_RANGE),
    ("เสร็จ 721", Reason.MINUTES_OUT_OF_RANGE),
    ("done 13h", Reason.MINUTES_OUT_OF_RANGE),
    ("เสร็จ 90.5", Reason.MINUTES_NOT_WHOLE),
    ("done 1.5", Reason.MINUTES_NOT_WHOLE),
    ("เสร็จ 2", Reason.DURATION_NEEDS_UNIT),    # 2 minutes? surely hours: ask
    ("เสร็จ 1.30 ชม", Reason.AMBIGUOUS),        # 1.3 hours or 1 h 30?
    ("พัก 0", Reason.DAYS_OUT_OF_RANGE),
    ("พัก 100 วัน", Reason.DAYS_OUT_OF_RANGE),
    ("พัก 2 ชม", Reason.UNEXPECTED_NUMBER),
])
def test_what_cannot_be_read_safely_is_unknown_with_a_reason(body, reason):
    result = parse(body, open_codes=OPEN)
    assert isinstance(result, Unknown)
    assert result.reason is reason


def test_a_three_digit_number_is_a_code_only_when_that_offer_is_open():
    assert parse("เสร็จ 482", open_codes=frozenset({"482"})) == Done("482", None)
    assert parse("เสร็จ 482") == Done(None, 482)
    assert parse("เสร็จ 517", open_codes=frozenset({"482"})) == Done(None, 517)
    assert parse("เสร็จ 900") == Unknown(Reason.MINUTES_OUT_OF_RANGE, "900 minutes")


def test_accepting_and_declining_read_any_three_digits_as_a_code():
    assert parse("รับ 999") == Accept("999")
    assert parse("ไม่รับ 048") == Decline("048")


def test_a_key_glued_to_an_open_code_is_split():
    assert parse("1482", open_codes=OPEN) == Accept("482")
    assert parse("2517", open_codes=OPEN) == Decline("517")
    assert isinstance(parse("1999", open_codes=OPEN), Unknown)


def test_carrier_opt_out_words_alone_stop_but_cancel_in_a_sentence_asks():
    for word in ("STOP", "stopall", "Unsubscribe", "cancel", "END", "quit"):
        assert parse(word) == Stop(), word
    assert parse("end 482").reason is Reason.AMBIGUOUS


def test_the_digit_keys_are_one_two_three():
    assert DIGIT_KEYS == {"1": Accept, "2": Decline, "3": Done}


def test_a_long_body_is_refused_without_reading_it_all():
    assert parse("1" + " " * 4000) == Unknown(Reason.TOO_LONG, "4001 characters")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_parse_never_raises_on_any_text(body):
    assert isinstance(parse(body), COMMAND_TYPES)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("รับไม่ได้เสร็จพักหยุดยอดชั่วโมงครึ่งนาทีค่ะ ๑๒๓๔๕๖๗๘๙๐0123456789.:?okdne")),
            max_size=60),
    st.frozensets(st.from_regex(r"\A[0-9]{3}\Z"), max_size=3),
)
def test_parse_never_raises_on_command_like_text(body, codes):
    result = parse(body, open_codes=codes)
    assert isinstance(result, COMMAND_TYPES)
    if isinstance(result, Done) and result.minutes is not None:
        assert 1 <= result.minutes <= 720
    if isinstance(result, Pause):
        assert 1 <= result.days <= 90
