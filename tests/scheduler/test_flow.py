"""From an elder's request to a paid visit with no person in the loop."""
from datetime import timedelta

import pytest

from ledger import service as ledger
from ledger.check import load_books, run_checks
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken
from scheduler import offers, requests, visits
from scheduler.runner import Runner
from wela.db import atomic


def run(db, fn):
    return atomic(db.sessions, fn)


def test_a_clinic_ride_tomorrow_is_offered_accepted_done_confirmed_and_paid_once(db, env, clock, village):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                  when="tomorrow", part="morning", minutes=120,
                                                  channel="ivr", key="call-1"))
    again = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                    when="tomorrow", part="morning", minutes=120,
                                                    channel="ivr", key="call-1"))
    assert again.id == req.id
    runner = Runner(db.sessions, env)
    runner.tick()
    offer_sms = [m for m in env.notifier.sent if m.purpose == "offer"]
    assert [m.member_id for m in offer_sms] == [village.somchai]     # clinic needs the clinic skill
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    with pytest.raises(NotFound):
        run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    with db.sessions() as s:
        assert ledger.balance(s, village.somsri).held == 120
        assert requests.load_request(s, req.id).state == "assigned"
    clock.advance(hours=26)                                # tomorrow 11:00, after the 09:00 start
    run(db, lambda s: visits.report_done(s, env, volunteer_id=village.somchai, minutes=90))
    clock.advance(minutes=15)
    runner.tick()
    assert [c.purpose for c in env.calls.placed] == ["reminder", "confirm"]
    run(db, lambda s: visits.confirm_service(s, env, request_id=req.id, received=True, actor="ivr",
                                             minutes=90))
    run(db, lambda s: visits.confirm_service(s, env, request_id=req.id, received=True, actor="ivr",
                                             minutes=90))
    with db.sessions() as s:
        assert requests.load_request(s, req.id).state == "paid"
        assert ledger.balance(s, village.somsri).balance == 30
        assert ledger.balance(s, village.somchai).balance == 210
        kinds = [e.kind for e in requests.history(s, req.id)]
        assert run_checks(load_books(s)) == []
    assert kinds[:3] == ["created", "offered", "assigned"] and kinds[-2:] == ["confirmed", "paid"]


def test_a_decline_passes_the_offer_to_the_next_volunteer(db, env, clock, village):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="errand",
                                                  when="tomorrow", part="afternoon", minutes=60))
    Runner(db.sessions, env).tick()
    first = env.notifier.sent[-1].member_id
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=first, accept=False))
    second = [m for m in env.notifier.sent if m.purpose == "offer"][-1].member_id
    assert {first, second} == {village.somchai, village.malee}
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=second, accept=False))
    with db.sessions() as s:
        r = requests.load_request(s, req.id)
        assert r.state == "open" and r.stuck_reason
    assert any(m.purpose == "alert" and m.member_id == village.headman for m in env.notifier.sent)


def test_an_unanswered_offer_expires_to_the_next_candidate(db, env, clock, village):
    run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="errand",
                                            when="tomorrow", part="afternoon"))
    runner = Runner(db.sessions, env)
    runner.tick()
    clock.advance(hours=3)
    runner.tick()
    assert len([m for m in env.notifier.sent if m.purpose == "offer"]) == 2


def test_cancel_releases_the_hold_and_tells_the_volunteer(db, env, clock, village):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                  when="tomorrow", part="afternoon"))
    Runner(db.sessions, env).tick()
    volunteer = env.notifier.sent[-1].member_id
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=volunteer, accept=True))
    run(db, lambda s: requests.cancel_request(s, env, req.id, actor="ivr"))
    with db.sessions() as s:
        assert ledger.balance(s, village.somsri).held == 0
    assert env.notifier.sent[-1].purpose == "cancelled"


def test_an_elder_who_says_nobody_came_opens_a_dispute_the_coordinator_resolves(db, env, clock, village):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                  when="today", part="afternoon"))
    Runner(db.sessions, env).tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=env.notifier.sent[-1].member_id, accept=True))
    clock.advance(hours=8)
    run(db, lambda s: visits.confirm_service(s, env, request_id=req.id, received=False, actor="ivr"))
    with db.sessions() as s:
        assert requests.load_request(s, req.id).state == "disputed"
    run(db, lambda s: visits.resolve_dispute(s, env, request_id=req.id, pay_minutes=None, actor="headman"))
    with db.sessions() as s:
        assert requests.load_request(s, req.id).state == "no_show"
        assert ledger.balance(s, village.somsri).available == 120


@pytest.mark.parametrize("args, error", [
    (dict(category="flying"), InvalidInput),
    (dict(when="date", on="past"), InvalidInput),
    (dict(when="yesterday"), InvalidInput),
    (dict(minutes=0), InvalidInput),
    (dict(member_id=999), NotFound),
])
def test_bad_requests_are_refused_and_change_nothing(db, env, clock, village, args, error):
    base = dict(member_id=village.somsri, category="visit", when="tomorrow", part="morning")
    base.update(args)
    if base.get("on") == "past":
        base["on"] = clock.now().date() - timedelta(days=2)
    with pytest.raises(error):
        run(db, lambda s: requests.request_help(s, env, **base))
    with db.sessions() as s:
        assert requests.list_requests(s) == []


def test_confirming_a_request_never_done_is_refused(db, env, village):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                  when="tomorrow", part="morning"))
    with pytest.raises(Conflict):
        run(db, lambda s: visits.confirm_service(s, env, request_id=req.id, received=True, actor="ivr"))


def test_a_paused_member_cannot_ask(db, env, village):
    from ledger.members import pause_member
    from ledger.orm import Member
    run(db, lambda s: pause_member(s, s.get(Member, village.somsri)))
    with pytest.raises(RuleBroken):
        run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="visit",
                                                when="tomorrow"))


# --- a volunteer's week: slots and the weekly cap belong to a calendar week -----------------

def _visit(db, env, village, on, part, category="errand"):
    return run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category=category,
                                                   when="date", on=on, part=part, minutes=60))


def _offered_to(env, request_id):
    return [m.member_id for m in env.notifier.sent if m.purpose == "offer" and m.request_id == request_id]


def test_a_volunteer_who_helped_last_monday_morning_is_free_again_next_monday_morning(db, env, clock, village):
    from datetime import date, datetime

    from ledger.clock import BANGKOK

    runner = Runner(db.sessions, env)
    first = _visit(db, env, village, date(2026, 11, 23), "morning", "clinic")
    runner.tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=BANGKOK))
    run(db, lambda s: visits.report_done(s, env, volunteer_id=village.somchai))
    run(db, lambda s: visits.confirm_service(s, env, request_id=first.id, received=True, actor="ivr"))
    second = _visit(db, env, village, date(2026, 11, 30), "morning", "clinic")
    runner.tick()
    assert _offered_to(env, second.id) == [village.somchai]


def test_the_weekly_cap_counts_the_week_of_the_visit_not_the_week_of_today(db, env, clock, village):
    import dataclasses
    from datetime import date

    from scheduler.context import SchedulerRules

    env = dataclasses.replace(env, rules=SchedulerRules(weekly_cap=1))
    runner = Runner(db.sessions, env)
    this_week = _visit(db, env, village, date(2026, 11, 22), "morning")          # Sunday
    runner.tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    next_monday = _visit(db, env, village, date(2026, 11, 23), "morning")
    runner.tick()
    assert _offered_to(env, this_week.id) == [village.somchai]
    assert _offered_to(env, next_monday.id) == [village.somchai]                 # a new week, a new cap
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    next_tuesday = _visit(db, env, village, date(2026, 11, 24), "morning")
    runner.tick()
    assert _offered_to(env, next_tuesday.id) == []                               # that week is full
    with db.sessions() as s:
        assert requests.load_request(s, next_tuesday.id).stuck_reason == "ไม่มีจิตอาสาที่ว่างตรงเวลา"


def test_an_elder_s_yes_for_a_longer_visit_than_she_can_cover_is_kept_and_the_pool_pays_the_rest(
        db, env, clock, village):
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                  when="tomorrow", part="morning", minutes=120))
    Runner(db.sessions, env).tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    clock.advance(hours=28)
    run(db, lambda s: visits.report_done(s, env, volunteer_id=village.somchai, minutes=180))
    confirmed = run(db, lambda s: visits.confirm_service(s, env, request_id=req.id, received=True,
                                                         actor="ivr", minutes=180))
    assert confirmed.state == "confirmed"                # her word is kept though the payment waits
    with db.sessions() as s:
        [stuck] = requests.stuck_requests(s)
        assert stuck.id == req.id and "กองกลาง" in stuck.stuck_reason
        assert ledger.balance(s, village.somsri).held == 120
    assert any(m.purpose == "alert" and m.member_id == village.headman for m in env.notifier.sent)
    with pytest.raises(Conflict):
        run(db, lambda s: visits.resolve_dispute(s, env, request_id=req.id, pay_minutes=None, actor="headman"))
    run(db, lambda s: ledger.donate(s, donor_id=village.malee, minutes=60, key="gift-1", clock=clock,
                                    entered_by="มาลี"))
    run(db, lambda s: ledger.grant(s, member_id=village.somsri, minutes=60, key="grant-1", clock=clock,
                                   entered_by="headman"))
    run(db, lambda s: visits.resolve_dispute(s, env, request_id=req.id, pay_minutes=180, actor="headman"))
    with db.sessions() as s:
        paid = requests.load_request(s, req.id)
        assert (paid.state, paid.paid_minutes, paid.stuck_reason) == ("paid", 180, None)
        assert ledger.balance(s, village.somsri).balance == 0
        assert run_checks(load_books(s)) == []


def test_a_stuck_request_is_told_to_the_village_s_own_coordinator_only(db, env, clock, village):
    from ledger.members import register_member
    other = run(db, lambda s: register_member(s, clock=clock, entered_by="t", name="กำนันบ้านโคก",
                                              phone="086-000-2222", role="coordinator", village="บ้านโคกกลาง").id)
    req = run(db, lambda s: requests.request_help(s, env, member_id=village.somsri, category="home",
                                                  when="tomorrow", part="morning"))
    Runner(db.sessions, env).tick()                      # nobody in the village does repairs
    alerted = {m.member_id for m in env.notifier.sent if m.purpose == "alert" and m.request_id == req.id}
    assert alerted == {village.headman} and other not in alerted
