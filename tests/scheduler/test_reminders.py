"""Reminders, quiet hours, the confirmation call, the 3-day timeout, and weekly recurring requests."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from ledger.clock import BANGKOK, as_utc
from scheduler import offers, requests, visits
from scheduler.orm import HelpRequest, Offer, RequestEvent
from scheduler.runner import Runner
from wela.db import atomic

MONDAY = date(2026, 11, 23)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


def run(db, fn):
    return atomic(db.sessions, fn)


@pytest.fixture
def runner(db, env):
    return Runner(db.sessions, env)


def at(clock, runner, moment):
    clock.set(moment)
    runner.tick()


def sms(env, purpose, member_id=None):
    return [m for m in env.notifier.sent if m.purpose == purpose and member_id in (None, m.member_id)]


def calls(env, purpose, member_id=None):
    return [c for c in env.calls.placed if c.purpose == purpose and member_id in (None, c.member_id)]


@pytest.fixture
def monday_clinic_ride(db, env, clock, village, runner):
    """On Saturday ยายสมศรี asks for a clinic ride on Monday morning; สมชาย accepts at once."""
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                  when="date", on=MONDAY, part="morning", minutes=60))
    runner.tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    return req.id


def test_the_volunteer_is_reminded_the_evening_before_and_an_hour_before(db, env, clock, village, runner,
                                                                         monday_clinic_ride):
    sunday = MONDAY - timedelta(days=1)
    at(clock, runner, local(sunday, 17, 59))
    assert sms(env, "reminder") == []
    at(clock, runner, local(sunday, 18, 0))
    evening = sms(env, "reminder", village.somchai)
    assert [(m.template, m.urgent) for m in evening] == [("sms.reminder_evening", False)]
    assert evening[0].slots["day"] == "2026-11-23" and evening[0].slots["start"] == "09:00"
    at(clock, runner, local(MONDAY, 7, 59))
    assert len(sms(env, "reminder")) == 1
    at(clock, runner, local(MONDAY, 8, 0))
    assert [(m.template, m.urgent) for m in sms(env, "reminder", village.somchai)] == \
        [("sms.reminder_evening", False), ("sms.reminder_hour", True)]
    at(clock, runner, local(MONDAY, 8, 15))
    assert len(sms(env, "reminder")) == 2                      # each reminder once


def test_the_elder_gets_a_reminder_call_the_evening_before(db, env, clock, village, runner,
                                                           monday_clinic_ride):
    at(clock, runner, local(MONDAY - timedelta(days=1), 17, 45))
    assert calls(env, "reminder") == []
    at(clock, runner, local(MONDAY - timedelta(days=1), 18, 0))
    assert [(c.member_id, c.request_id) for c in calls(env, "reminder")] == [(village.somsri, monday_clinic_ride)]


def test_the_elder_is_called_to_confirm_half_an_hour_after_the_planned_end(db, env, clock, village, runner,
                                                                           monday_clinic_ride):
    at(clock, runner, local(MONDAY, 10, 29))                   # 09:00 + 60 minutes + 30
    assert calls(env, "confirm") == []
    at(clock, runner, local(MONDAY, 10, 30))
    assert [(c.member_id, c.request_id) for c in calls(env, "confirm")] == [(village.somsri, monday_clinic_ride)]


def test_the_elder_is_asked_once_when_the_volunteer_reports_done_after_the_call(db, env, clock, village,
                                                                             runner, monday_clinic_ride):
    at(clock, runner, local(MONDAY, 10, 30))                   # the planned end's call
    run(db, lambda s: visits.report_done(s, env, request_id=monday_clinic_ride, volunteer_id=village.somchai))
    at(clock, runner, local(MONDAY, 10, 45))                   # "done" asks again ten minutes later
    assert len(calls(env, "confirm")) == 1
    with db.sessions() as s:
        asked = s.scalars(select(RequestEvent.id).where(RequestEvent.request_id == monday_clinic_ride,
                                                        RequestEvent.kind == "confirmation_asked")).all()
    assert len(asked) == 1


def test_no_reminders_for_a_cancelled_visit(db, env, clock, village, runner, monday_clinic_ride):
    run(db, lambda s: requests.cancel_request(s, env, monday_clinic_ride, actor="ivr"))
    for hour in (18, 20):
        at(clock, runner, local(MONDAY - timedelta(days=1), hour))
    at(clock, runner, local(MONDAY, 12))
    assert sms(env, "reminder") == [] and env.calls.placed == []


def test_a_visit_never_confirmed_goes_to_the_coordinator_after_three_days(db, env, clock, village, runner,
                                                                          monday_clinic_ride):
    at(clock, runner, local(MONDAY, 10, 30))
    at(clock, runner, local(MONDAY + timedelta(days=3), 10, 29))
    with db.sessions() as s:
        assert requests.stuck_requests(s) == []
    at(clock, runner, local(MONDAY + timedelta(days=3), 10, 30))
    with db.sessions() as s:
        stuck = requests.stuck_requests(s)
        assert [(r.id, r.state, r.stuck_reason) for r in stuck] == \
            [(monday_clinic_ride, "assigned", "ผู้รับยังไม่ยืนยันเกิน 3 วัน")]
    alerts = sms(env, "alert", village.headman)
    assert [m.slots["reason"] for m in alerts] == ["ผู้รับยังไม่ยืนยันเกิน 3 วัน"]


def test_a_visit_confirmed_in_time_never_reaches_the_coordinator(db, env, clock, village, runner,
                                                                 monday_clinic_ride):
    at(clock, runner, local(MONDAY, 10, 30))
    run(db, lambda s: visits.confirm_service(s, env, request_id=monday_clinic_ride, received=True, actor="ivr"))
    at(clock, runner, local(MONDAY + timedelta(days=4), 9))
    assert sms(env, "alert") == []


def test_an_evening_visit_running_late_is_confirmed_the_next_morning_not_at_night(db, env, clock, village,
                                                                                  runner):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit", when="date",
                                                  on=MONDAY, part="evening", minutes=240))
    runner.tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.malee, accept=True))
    at(clock, runner, local(MONDAY, 20, 0))
    clock.set(local(MONDAY, 20, 55))                           # มาลี reports done just before nine
    run(db, lambda s: visits.report_done(s, env, volunteer_id=village.malee, minutes=230))
    at(clock, runner, local(MONDAY, 21, 5))
    at(clock, runner, local(MONDAY, 21, 30))                   # 17:00 + 4 hours + 30 minutes
    at(clock, runner, local(MONDAY + timedelta(days=1), 6, 59))
    assert calls(env, "confirm") == []
    at(clock, runner, local(MONDAY + timedelta(days=1), 7, 0))
    assert [(c.member_id, c.request_id) for c in calls(env, "confirm")] == [(village.somsri, req.id)]


# --- quiet hours: the offers' send moment ----------------------------------------------------

def offer_of(db, request_id):
    with db.sessions() as s:
        return s.scalar(select(Offer).where(Offer.request_id == request_id).order_by(Offer.id.desc()).limit(1))


def test_an_offer_made_at_night_waits_for_seven_and_its_answer_time_starts_then(db, env, clock, village, runner):
    clock.set(local(date(2026, 11, 21), 22, 0))                # Saturday night, visit on Monday
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                  when="date", on=MONDAY, part="morning"))
    runner.tick()
    [offer_sms] = sms(env, "offer")
    assert offer_sms.urgent is False                           # the outbox holds it until 07:00
    assert as_utc(offer_of(db, req.id).expires_at) == local(date(2026, 11, 22), 9, 0)   # 07:00 + 2 hours
    at(clock, runner, local(date(2026, 11, 22), 1, 0))
    assert len(sms(env, "offer")) == 1                         # not expired in the night


def test_an_offer_for_the_next_morning_is_urgent_and_may_wake_the_volunteer(db, env, clock, village, runner):
    clock.set(local(date(2026, 11, 21), 22, 0))
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                  when="tomorrow", part="morning"))
    runner.tick()
    [offer_sms] = sms(env, "offer")
    assert offer_sms.urgent is True
    assert as_utc(offer_of(db, req.id).expires_at) == local(date(2026, 11, 22), 0, 0)  # 2 hours, well before 08:30


def test_daytime_offers_go_at_once_with_two_hours_to_answer(db, env, clock, village, runner):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                  when="date", on=MONDAY, part="afternoon"))
    runner.tick()
    assert [m.urgent for m in sms(env, "offer")] == [False]
    assert as_utc(offer_of(db, req.id).expires_at) == clock.now() + timedelta(hours=2)


# --- recurring requests ----------------------------------------------------------------------

def test_every_monday_morning_is_planned_once_a_week(db, env, clock, village, runner):
    first = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                    when="date", on=MONDAY, part="morning", minutes=30,
                                                    recurring="weekly:mon:morning", notes="ไปวัด"))
    for _ in range(12 * 7 * 3):                                 # three weeks, a tick every two hours
        clock.advance(hours=2)
        runner.tick()
    with db.sessions() as s:
        reqs = s.scalars(select(HelpRequest).order_by(HelpRequest.earliest_day)).all()
    days = [r.earliest_day for r in reqs]
    assert days == [MONDAY + timedelta(weeks=n) for n in range(4)]
    assert {r.part for r in reqs} == {"morning"} and {r.category for r in reqs} == {"visit"}
    assert [r.channel for r in reqs] == ["cli", "recurring", "recurring", "recurring"]
    assert [r.key for r in reqs[1:]] == [f"recurring:{first.id}:{d.isoformat()}" for d in days[1:]]
    assert {r.notes for r in reqs} == {"ไปวัด"}


def test_a_cancelled_series_plans_no_more_visits(db, env, clock, village, runner):
    first = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                    when="date", on=MONDAY, part="morning", minutes=30,
                                                    recurring="weekly:mon:morning"))
    run(db, lambda s: requests.cancel_request(s, env, first.id, actor="ivr"))
    clock.advance(days=8)
    runner.tick()
    with db.sessions() as s:
        assert [r.id for r in requests.list_requests(s)] == [first.id]
