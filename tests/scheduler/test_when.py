"""When help is wanted: today, tomorrow, this week or a date, and the parts of the day."""
from datetime import date, datetime

import pytest

from ledger.clock import BANGKOK
from ledger.errors import InvalidInput
from scheduler.when import PART_START, Window, part_of, slots, start_of, window

SATURDAY = date(2026, 11, 21)            # the day ยายสมศรี calls
WEDNESDAY = date(2026, 11, 25)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


def test_today_and_tomorrow_are_one_day_each():
    assert window("today", SATURDAY) == Window(SATURDAY, SATURDAY, None)
    assert window("tomorrow", SATURDAY, part="morning") == Window(date(2026, 11, 22), date(2026, 11, 22),
                                                                  "morning")


def test_this_week_runs_to_sunday():
    assert window("this_week", WEDNESDAY) == Window(WEDNESDAY, date(2026, 11, 29), None)


def test_this_week_asked_at_the_weekend_still_leaves_three_days():
    assert window("this_week", SATURDAY) == Window(SATURDAY, date(2026, 11, 23), None)
    sunday = date(2026, 11, 22)
    assert window("this_week", sunday) == Window(sunday, date(2026, 11, 24), None)


def test_a_date_is_that_day_and_today_is_still_allowed():
    assert window("date", SATURDAY, on=date(2026, 12, 5), part="afternoon") == \
        Window(date(2026, 12, 5), date(2026, 12, 5), "afternoon")
    assert window("date", SATURDAY, on=SATURDAY).earliest == SATURDAY


@pytest.mark.parametrize("when, on, part, words", [
    ("date", date(2026, 11, 20), None, "ผ่านไปแล้ว"),     # yesterday
    ("date", date(2025, 11, 21), None, "ผ่านไปแล้ว"),     # a year ago
    ("date", None, None, "ระบุวันที่"),
    ("date", date(2027, 3, 1), None, "90 วัน"),           # too far ahead
    ("yesterday", None, None, "ไม่เข้าใจ"),
    ("tomorrow", None, "night", "เช้า บ่าย หรือ เย็น"),
])
def test_past_dates_unknown_words_and_parts_are_refused_in_thai(when, on, part, words):
    with pytest.raises(InvalidInput) as err:
        window(when, SATURDAY, on=on, part=part)
    assert words in err.value.th


def test_slots_skip_the_parts_that_have_begun():
    w = window("today", SATURDAY)
    assert slots(w, at(SATURDAY, 8)) == [(SATURDAY, "morning"), (SATURDAY, "afternoon"),
                                         (SATURDAY, "evening")]
    assert slots(w, at(SATURDAY, 9)) == [(SATURDAY, "afternoon"), (SATURDAY, "evening")]
    assert slots(w, at(SATURDAY, 17, 30)) == []


def test_slots_of_a_window_with_a_part_are_that_part_each_day():
    w = window("this_week", SATURDAY, part="evening")
    assert slots(w, at(SATURDAY, 18)) == [(date(2026, 11, 22), "evening"), (date(2026, 11, 23), "evening")]


def test_parts_start_at_nine_one_and_five_in_bangkok():
    assert [PART_START[p].hour for p in ("morning", "afternoon", "evening")] == [9, 13, 17]
    start = start_of(date(2026, 11, 22), "afternoon", BANGKOK)
    assert start.utcoffset().total_seconds() == 7 * 3600 and start.hour == 13


@pytest.mark.parametrize("hour, part", [(7, "morning"), (11, "morning"), (12, "afternoon"),
                                        (16, "afternoon"), (17, "evening"), (22, "evening")])
def test_part_of_a_moment(hour, part):
    assert part_of(at(SATURDAY, hour)) == part
