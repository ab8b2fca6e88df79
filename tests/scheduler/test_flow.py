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
