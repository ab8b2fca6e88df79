"""Neighbours first: a request goes to the elder's own village (and to those who helped her before)
before anyone from further away, and the matcher reads only those volunteers until it must widen."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from ledger.members import register_member
from scheduler import offers, requests, visits
from scheduler.roster import Around, Roster
from scheduler.runner import Runner
from wela.db import atomic

HOME, AWAY = "บ้านหนองบัว", "บ้านโคกกลาง"


@pytest.fixture
def people(db, clock):
    """ยายสมศรี at home; บุญมี and สมใจ, neighbours who do not name errands as a skill; แดง, from
    another village, who does (and so scores higher); ต้อม, from a third village, free only in the
    mornings."""
    def work(s):
        def add(village, **fields):
            return register_member(s, clock=clock, entered_by="test", village=village, **fields).id
        return SimpleNamespace(
            somsri=add(HOME, name="ยายสมศรี ใจดี", phone="081-234-5678", role="elder", moo="5"),
            boonmee=add(HOME, name="บุญมี ใจงาม", phone="089-111-2233", role="volunteer", moo="3",
                        skills="visit", availability="ทุกวัน บ่าย"),
            somjai=add(HOME, name="สมใจ ดีงาม", phone="089-111-8899", role="both", moo="2",
                       skills="visit", availability="ทุกวัน บ่าย"),
            daeng=add(AWAY, name="แดง มีสุข", phone="089-111-4455", role="volunteer", moo="1",
                      skills="errand", availability="ทุกวัน บ่าย"),
            tom=add("บ้านนาดี", name="ต้อม ขยัน", phone="089-111-6677", role="volunteer", moo="2",
                    skills="errand", availability="ทุกวัน เช้า"),
            headman=add(HOME, name="ผู้ใหญ่สมศักดิ์ นำชัย", phone="086-000-1111", role="coordinator", moo="5"),
        )
    return atomic(db.sessions, work)


def run(db, fn):
    return atomic(db.sessions, fn)


def _errand(db, env, elder):
    return run(db, lambda s: requests.request_help(s, env, member_id=elder, category="errand",
                                                   when="tomorrow", part="afternoon", minutes=60))


def _offered(env):
    return [m.member_id for m in env.notifier.sent if m.purpose == "offer"]


def _helped_once(db, env, clock, people, volunteer):
    """`volunteer` takes an errand for ยายสมศรี, does it, and is paid (two days go by)."""
    req = _errand(db, env, people.somsri)
    run(db, lambda s: offers.assign_by_hand(s, env, req.id, volunteer, actor="test"))
    clock.advance(hours=48)
    run(db, lambda s: visits.report_done(s, env, volunteer_id=volunteer))
    run(db, lambda s: visits.confirm_service(s, env, request_id=req.id, received=True, actor="test"))


def test_a_neighbour_is_asked_before_a_better_scored_volunteer_from_another_village(db, env, people):
    req = _errand(db, env, people.somsri)
    with db.sessions() as s:
        ranked = offers.suggestions(s, env, req.id)
    assert [m.id for m, _, _ in ranked] == [people.boonmee, people.somjai]   # แดง would score higher
    Runner(db.sessions, env).tick()
    assert _offered(env) == [people.boonmee]


def test_a_decline_goes_to_the_next_neighbour_and_only_then_further_afield(db, env, people):
    _errand(db, env, people.somsri)
    Runner(db.sessions, env).tick()
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=people.boonmee, accept=False))
    assert _offered(env) == [people.boonmee, people.somjai]
    run(db, lambda s: offers.answer_offer(s, env, volunteer_id=people.somjai, accept=False))
    assert _offered(env) == [people.boonmee, people.somjai, people.daeng]   # ต้อม is not free then


def test_someone_who_helped_this_elder_before_counts_as_a_neighbour(db, env, clock, people):
    _helped_once(db, env, clock, people, people.daeng)
    _errand(db, env, people.somsri)
    Runner(db.sessions, env).tick()
    assert _offered(env) == [people.daeng]                           # familiar, and has the skill


def test_a_roster_around_a_request_reads_only_its_village_and_the_elders_helpers(db, env, clock, people):
    _helped_once(db, env, clock, people, people.tom)
    with db.sessions() as s:
        around = Around(frozenset({HOME}), frozenset({people.somsri}))
        roster = Roster(s, env, around=around)
        assert set(roster.members) == {people.boonmee, people.somjai, people.tom}
        assert roster.history[people.tom] == {people.somsri: 1}
        roster.widen()
        assert set(roster.members) == {people.boonmee, people.somjai, people.daeng, people.tom}
        elsewhere = Roster(s, env, around=Around(frozenset({AWAY}), frozenset()))
        assert set(elsewhere.members) == {people.daeng}
        assert Roster(s, env, around=Around(frozenset({"บ้านไม่มี"}), frozenset())).members == {}


def test_a_widened_roster_still_counts_the_offers_made_before_it_widened(db, env, people):
    req = _errand(db, env, people.somsri)

    def offer_then_widen(s):
        roster = Roster(s, env, around=Around.requests([requests.load_request(s, req.id)]))
        offers.offer_next(s, env, requests.load_request(s, req.id), roster=roster)
        roster.widen()
        return {h.member_id: h.visits_this_week for h in roster.week(env.today() + timedelta(days=1))}
    assert run(db, offer_then_widen) == {people.boonmee: 1, people.somjai: 0, people.daeng: 0, people.tom: 0}
