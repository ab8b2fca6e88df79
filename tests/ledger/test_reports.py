"""The handbook's reports over a small village's books: hours given, who gives, who is stuck, statements."""
from datetime import date, datetime

import pytest

from ledger import service
from ledger.clock import BANGKOK
from ledger.errors import NotFound
from ledger.members import find_member, pause_member
from ledger.reports import (at_zero, hours_per_month, member_history, month_bounds, month_figures,
                            near_cap, open_loans, statement, summary)
from ledger.settings import set_policy
from tests.ledger.helpers import villagers
from wela.db import atomic

SEP_1, OCT_5, OCT_20, NOV_3 = date(2026, 9, 1), date(2026, 10, 5), date(2026, 10, 20), date(2026, 11, 3)


def on_day(clock, day: date) -> None:
    clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=BANGKOK))


@pytest.fixture
def village(db, clock):
    """Three months of บ้านหนองบัว, told in order (the clock ends on 21 November 2569).

    1 Sep: ยายสมศรี (elder), สมชาย (volunteer) and มาลี (both) join with 2 hours each.
    5 Oct: สมชาย takes ยายสมศรี to the clinic (60 min).   20 Oct: มาลี shops for her (30 min).
    3 Nov: มาลี visits ยายสมศรี (30 min): ยายสมศรี is now at zero.
    21 Nov: a payment from มาลี to สมชาย (30 min) is entered by mistake and reversed.
    Balances: ยายสมศรี 0, สมชาย 180, มาลี 180.
    """
    now = clock.now()
    on_day(clock, SEP_1)
    people = atomic(db.sessions, lambda s: villagers(s, clock))
    somsri, somchai, malee = people

    def pay(day, payer, payee, minutes, reason):
        on_day(clock, day)
        return atomic(db.sessions, lambda s: service.transfer(
            s, payer_id=payer, payee_id=payee, minutes=minutes, key=f"{day}:{reason}", clock=clock,
            entered_by="test", reason=reason))

    pay(OCT_5, somsri, somchai, 60, "พาไปคลินิก")
    pay(OCT_20, somsri, malee, 30, "ซื้อของ")
    pay(NOV_3, somsri, malee, 30, "เยี่ยม")
    clock.set(now)
    wrong = pay(date(2026, 11, 21), malee, somchai, 30, "งานบ้าน")
    atomic(db.sessions, lambda s: service.reverse(s, transfer_id=wrong.transfer_id, key="rev", clock=clock,
                                                  entered_by="manager", reason="บันทึกผิดคน"))
    return people


def balances(db, *ids):
    with db.sessions() as s:
        return [service.balance(s, i).balance for i in ids]


def test_the_village_story_leaves_the_balances_it_tells(db, village):
    assert balances(db, *village) == [0, 180, 180]


def test_month_bounds_cover_december_into_the_next_year():
    assert month_bounds(2026, 12) == (date(2026, 12, 1), date(2027, 1, 1))
    assert month_bounds(2026, 2) == (date(2026, 2, 1), date(2026, 3, 1))


def test_hours_given_per_month_count_help_paid_net_of_reversals(db, village):
    with db.sessions() as s:
        months = hours_per_month(s, date(2026, 11, 21), months=4)
    assert [(m.year, m.month, m.minutes_given) for m in months] == [
        (2026, 8, 0), (2026, 9, 0), (2026, 10, 90), (2026, 11, 30)]


def test_hours_per_month_walk_back_across_the_new_year(db):
    with db.sessions() as s:
        months = hours_per_month(s, date(2027, 2, 10), months=3)
    assert [(m.year, m.month) for m in months] == [(2026, 12), (2027, 1), (2027, 2)]


def test_givers_and_receivers_are_counted_once_and_a_reversed_entry_does_not_count(db, village):
    with db.sessions() as s:
        october, november, september = (month_figures(s, 2026, m) for m in (10, 11, 9))
    assert (october.givers, october.receivers) == (2, 1)     # สมชาย and มาลี helped ยายสมศรี
    assert (november.givers, november.receivers) == (1, 1)   # only มาลี's visit: the mistake was reversed
    assert (september.givers, september.receivers) == (0, 0)


def test_near_the_cap_lists_possible_hoarders(db, village):
    somsri, somchai, malee = village
    atomic(db.sessions, lambda s: set_policy(s, balance_cap_minutes=195))
    with db.sessions() as s:
        assert [(f.name, f.minutes) for f in near_cap(s)] == [("สมชาย", 180), ("มาลี", 180)]
        assert near_cap(s, share=0.95) == []


def test_members_at_zero_are_the_active_ones_with_nothing_left_to_spend(db, clock, village):
    somsri, somchai, malee = village
    with db.sessions() as s:
        assert [(f.name, f.minutes) for f in at_zero(s)] == [("ยายสมศรี", 0)]
    # มาลี books all of her time for help from สมชาย: nothing left to spend either
    atomic(db.sessions, lambda s: service.hold(s, payer_id=malee, payee_id=somchai, minutes=180, key="h",
                                               clock=clock, entered_by="test"))
    with db.sessions() as s:
        assert {f.name for f in at_zero(s)} == {"ยายสมศรี", "มาลี"}
    atomic(db.sessions, lambda s: pause_member(s, find_member(s, somsri)))
    with db.sessions() as s:
        assert [f.name for f in at_zero(s)] == ["มาลี"]          # a paused member is not stuck


def test_open_loans_show_what_each_member_still_owes(db, clock, village):
    somsri, somchai, malee = village
    with db.sessions() as s:
        assert open_loans(s) == []
    atomic(db.sessions, lambda s: service.borrow(s, member_id=somsri, minutes=120, key="l", clock=clock,
                                                 entered_by="coordinator"))
    atomic(db.sessions, lambda s: service.transfer(s, payer_id=malee, payee_id=somsri, minutes=40, key="e",
                                                   clock=clock, entered_by="test"))
    with db.sessions() as s:
        loans = open_loans(s)
    assert [(f.name, f.village, f.minutes) for f in loans] == [("ยายสมศรี", "บ้านหนองบัว", 100)]


def test_the_summary_gathers_the_bank_at_a_glance(db, clock, village):
    somsri, somchai, malee = village
    atomic(db.sessions, lambda s: service.donate(s, donor_id=somchai, minutes=30, key="d", clock=clock,
                                                 entered_by="test"))
    with db.sessions() as s:
        sm = summary(s, date(2026, 11, 21))
    assert (sm.members, sm.pool) == (3, 30)
    assert (sm.this_month.minutes_given, sm.last_month.minutes_given) == (30, 90)
    assert [f.name for f in sm.at_zero] == ["ยายสมศรี"]
    assert sm.open_loans == [] and sm.near_cap == []


def test_a_statement_carries_the_opening_balance_every_line_and_the_closing(db, village):
    somsri, somchai, malee = village
    with db.sessions() as s:
        september, october, november = (statement(s, somsri, 2026, m) for m in (9, 10, 11))
    assert (september.opening, [(line.kind, line.amount) for line in september.lines], september.closing) == (
        0, [("opening", 120)], 120)
    assert (october.name, october.year, october.month) == ("ยายสมศรี", 2026, 10)
    assert october.opening == september.closing == 120
    assert [(line.day, line.kind, line.amount, line.running) for line in october.lines] == [
        (OCT_5, "service", -60, 60), (OCT_20, "service", -30, 30)]
    assert october.closing == november.opening == 30
    assert [(line.day, line.amount, line.running) for line in november.lines] == [(NOV_3, -30, 0)]
    assert november.closing == 0


def test_a_statement_names_the_other_side_and_the_reason(db, village):
    somsri, somchai, malee = village
    with db.sessions() as s:
        september, october = statement(s, somsri, 2026, 9), statement(s, somsri, 2026, 10)
    assert september.lines[0].description.startswith("เครดิตเริ่มต้น · ธนาคาร")
    assert october.lines[0].description == "ค่าบริการ · สมชาย · พาไปคลินิก"
    assert october.lines[1].description == "ค่าบริการ · มาลี · ซื้อของ"


def test_a_reversal_shows_on_the_statement_beside_the_entry_it_undoes(db, village):
    somsri, somchai, malee = village
    with db.sessions() as s:
        november = statement(s, malee, 2026, 11)
    assert november.opening == 150
    assert [(line.kind, line.amount, line.running) for line in november.lines] == [
        ("service", 30, 180), ("service", -30, 150), ("reversal", 30, 180)]
    assert november.lines[2].description == "กลับรายการ · สมชาย · บันทึกผิดคน"
    assert november.closing == 180


def test_a_loan_on_the_statement_names_no_other_person_and_the_debt_is_shown(db, clock, village):
    somsri, *_ = village
    atomic(db.sessions, lambda s: service.borrow(s, member_id=somsri, minutes=90, key="loan", clock=clock,
                                                 entered_by="coordinator"))
    atomic(db.sessions, lambda s: service.repay(s, member_id=somsri, minutes=30, key="repay", clock=clock,
                                                entered_by="coordinator"))
    with db.sessions() as s:
        november = statement(s, somsri, 2026, 11)
    assert [(line.description, line.amount) for line in november.lines][-2:] == [("ยืมเวลา", 90), ("คืนเวลาที่ยืม", -30)]
    assert (november.closing, november.loan_owed, november.held) == (60, 60, 0)


def test_held_credits_show_on_the_statement(db, clock, village):
    somsri, somchai, malee = village
    atomic(db.sessions, lambda s: service.hold(s, payer_id=malee, payee_id=somchai, minutes=45, key="h",
                                               clock=clock, entered_by="test"))
    with db.sessions() as s:
        assert statement(s, malee, 2026, 11).held == 45


def test_a_statement_for_someone_not_in_the_register_is_refused(db, village):
    with db.sessions() as s, pytest.raises(NotFound) as err:
        statement(s, 999, 2026, 11)
    assert "999" in err.value.th


def test_the_history_lists_the_latest_movements_first(db, village):
    somsri, somchai, malee = village
    with db.sessions() as s:
        history = member_history(s, malee)
        assert member_history(s, 999) == []
    assert [(h.kind, h.amount) for h in history] == [
        ("reversal", 30), ("service", -30), ("service", 30), ("service", 30), ("opening", 120)]
    assert history[0].description == "กลับรายการ · สมชาย"
    with db.sessions() as s:
        assert len(member_history(s, malee, limit=2)) == 2
