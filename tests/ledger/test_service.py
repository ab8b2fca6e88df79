"""Ledger use cases against a real database: SQLite always, PostgreSQL when it answers."""
from datetime import date

import pytest

from ledger import service
from ledger.check import load_books, run_checks
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken
from ledger.settings import set_policy
from tests.ledger.helpers import villagers
from wela.db import atomic


@pytest.fixture
def people(db, clock):
    return atomic(db.sessions, lambda s: villagers(s, clock))


def run(db, fn):
    return atomic(db.sessions, fn)


def bal(db, member_id):
    with db.sessions() as s:
        return service.balance(s, member_id)


def assert_books_clean(db):
    with db.sessions() as s:
        assert run_checks(load_books(s)) == []


def test_every_new_member_starts_with_two_hours_from_the_bank(db, people):
    somsri, somchai, malee = people
    assert bal(db, somsri).balance == 120
    assert bal(db, somchai).available == 120
    assert_books_clean(db)


def test_a_visit_paid_moves_minutes_from_the_elder_to_the_volunteer(db, clock, people):
    somsri, somchai, _ = people
    r = run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=90,
                                           key="visit-1", clock=clock, entered_by="test"))
    assert (r.amount, r.to_member, r.replayed) == (90, 90, False)
    assert bal(db, somsri).balance == 30 and bal(db, somchai).balance == 210
    assert_books_clean(db)


def test_a_retried_payment_with_the_same_key_pays_once_and_returns_the_first_receipt(db, clock, people):
    somsri, somchai, _ = people
    pay = lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=60, key="sms-77",
                                     clock=clock, entered_by="sms")
    first, again = run(db, pay), run(db, pay)
    assert again.replayed and again.transfer_id == first.transfer_id
    assert bal(db, somchai).balance == 180


def test_a_used_key_with_another_payload_is_refused(db, clock, people):
    somsri, somchai, _ = people
    run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=60, key="k1",
                                       clock=clock, entered_by="t"))
    with pytest.raises(Conflict) as err:
        run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=30, key="k1",
                                           clock=clock, entered_by="t"))
    assert "รหัสรายการ" in err.value.th
    assert bal(db, somchai).balance == 180


def test_bad_transfers_change_nothing(db, clock, people):
    somsri, somchai, _ = people
    cases = [
        (dict(payer_id=somsri, payee_id=somsri, minutes=10), InvalidInput),
        (dict(payer_id=somsri, payee_id=somchai, minutes=0), InvalidInput),
        (dict(payer_id=somsri, payee_id=somchai, minutes=-30), InvalidInput),
        (dict(payer_id=somsri, payee_id=somchai, minutes=121), RuleBroken),
        (dict(payer_id=somsri, payee_id=9999, minutes=10), NotFound),
    ]
    for i, (args, error) in enumerate(cases):
        with pytest.raises(error):
            run(db, lambda s: service.transfer(s, key=f"bad-{i}", clock=clock, entered_by="t", **args))
    assert bal(db, somsri).balance == 120 and bal(db, somchai).balance == 120
    assert_books_clean(db)


def test_earnings_past_the_cap_overflow_to_the_pool_and_the_receipt_says_so(db, clock, people):
    somsri, somchai, malee = people
    run(db, lambda s: set_policy(s, balance_cap_minutes=200))
    r = run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=100,
                                           key="big", clock=clock, entered_by="t"))
    assert (r.to_member, r.to_pool) == (80, 20)
    with db.sessions() as s:
        assert service.pool_balance(s) == 20
    assert bal(db, somchai).balance == 200
    assert_books_clean(db)


def test_a_loan_is_repaid_from_half_of_later_earnings(db, clock, people):
    somsri, somchai, malee = people
    run(db, lambda s: service.borrow(s, member_id=somsri, minutes=180, key="loan-1", clock=clock,
                                     entered_by="coordinator"))
    assert bal(db, somsri).balance == 300 and bal(db, somsri).loan_owed == 180
    r = run(db, lambda s: service.transfer(s, payer_id=malee, payee_id=somsri, minutes=60, key="e1",
                                           clock=clock, entered_by="t"))
    assert (r.to_member, r.to_loan) == (30, 30)
    assert bal(db, somsri).loan_owed == 150 and bal(db, somsri).balance == 330
    run(db, lambda s: service.repay(s, member_id=somsri, minutes=150, key="r1", clock=clock, entered_by="t"))
    assert bal(db, somsri).loan_owed == 0
    with pytest.raises(RuleBroken):
        run(db, lambda s: service.repay(s, member_id=somsri, minutes=1, key="r2", clock=clock, entered_by="t"))
    assert_books_clean(db)


def test_a_loan_past_the_limit_is_refused(db, clock, people):
    somsri, *_ = people
    run(db, lambda s: service.borrow(s, member_id=somsri, minutes=300, key="l1", clock=clock, entered_by="t"))
    with pytest.raises(RuleBroken) as err:
        run(db, lambda s: service.borrow(s, member_id=somsri, minutes=1, key="l2", clock=clock, entered_by="t"))
    assert "วงเงิน" in err.value.th
    assert bal(db, somsri).loan_owed == 300


def test_donations_to_the_pool_and_grants_from_it(db, clock, people):
    somsri, somchai, malee = people
    run(db, lambda s: service.donate(s, donor_id=malee, minutes=60, key="d1", clock=clock, entered_by="t"))
    run(db, lambda s: service.donate(s, donor_id=somchai, to_member_id=somsri, minutes=30, key="d2",
                                     clock=clock, entered_by="t"))
    run(db, lambda s: service.grant(s, member_id=somsri, minutes=45, key="g1", clock=clock,
                                    entered_by="coordinator", reason="ยายอยู่คนเดียว"))
    with pytest.raises(RuleBroken):
        run(db, lambda s: service.grant(s, member_id=somsri, minutes=16, key="g2", clock=clock, entered_by="c"))
    assert bal(db, somsri).balance == 120 + 30 + 45
    with db.sessions() as s:
        assert service.pool_balance(s) == 15
    assert_books_clean(db)


def test_a_reversal_undoes_an_entry_once_and_never_edits_it(db, clock, people):
    somsri, somchai, _ = people
    r = run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=60, key="x",
                                           clock=clock, entered_by="t"))
    with pytest.raises(InvalidInput):
        run(db, lambda s: service.reverse(s, transfer_id=r.transfer_id, key="rev", clock=clock,
                                          entered_by="t", reason=" "))
    back = run(db, lambda s: service.reverse(s, transfer_id=r.transfer_id, key="rev", clock=clock,
                                             entered_by="t", reason="บันทึกผิดคน"))
    assert back.kind == "reversal"
    assert bal(db, somsri).balance == 120 and bal(db, somchai).balance == 120
    with pytest.raises(Conflict):
        run(db, lambda s: service.reverse(s, transfer_id=r.transfer_id, key="rev-2", clock=clock,
                                          entered_by="t", reason="again"))
    with pytest.raises(RuleBroken):
        run(db, lambda s: service.reverse(s, transfer_id=back.transfer_id, key="rev-3", clock=clock,
                                          entered_by="t", reason="undo the undo"))
    assert_books_clean(db)


def test_a_hold_reserves_credits_then_posts_the_actual_duration(db, clock, people):
    somsri, somchai, _ = people
    h = run(db, lambda s: service.hold(s, payer_id=somsri, payee_id=somchai, minutes=90, key="req-1",
                                       clock=clock, entered_by="scheduler"))
    b = bal(db, somsri)
    assert (b.balance, b.held, b.available) == (120, 90, 30)
    with pytest.raises(RuleBroken):
        run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=31, key="t",
                                           clock=clock, entered_by="t"))
    r = run(db, lambda s: service.post_hold(s, hold_id=h.id, minutes=60, clock=clock, entered_by="ivr"))
    again = run(db, lambda s: service.post_hold(s, hold_id=h.id, minutes=60, clock=clock, entered_by="ivr"))
    assert again.replayed and again.transfer_id == r.transfer_id
    b = bal(db, somsri)
    assert (b.balance, b.held) == (60, 0)
    assert bal(db, somchai).balance == 180
    with pytest.raises(Conflict):
        run(db, lambda s: service.void_hold(s, hold_id=h.id, clock=clock, entered_by="t"))
    assert_books_clean(db)


def test_a_voided_hold_gives_the_credits_back_and_cannot_be_paid(db, clock, people):
    somsri, somchai, _ = people
    h = run(db, lambda s: service.hold(s, payer_id=somsri, payee_id=somchai, minutes=60, key="req-2",
                                       clock=clock, entered_by="t"))
    run(db, lambda s: service.void_hold(s, hold_id=h.id, clock=clock, entered_by="t"))
    run(db, lambda s: service.void_hold(s, hold_id=h.id, clock=clock, entered_by="t"))
    assert bal(db, somsri).available == 120
    with pytest.raises(Conflict):
        run(db, lambda s: service.post_hold(s, hold_id=h.id, clock=clock, entered_by="t"))
    with pytest.raises(RuleBroken):
        run(db, lambda s: service.hold(s, payer_id=somsri, payee_id=somchai, minutes=121, key="req-3",
                                       clock=clock, entered_by="t"))
    assert_books_clean(db)


def test_a_closed_month_takes_no_new_entries_dated_inside_it(db, clock, people):
    somsri, somchai, _ = people
    with pytest.raises(RuleBroken):
        run(db, lambda s: service.close_month(s, year=2026, month=11, clock=clock, closed_by="t"))
    run(db, lambda s: service.close_month(s, year=2026, month=10, clock=clock, closed_by="manager"))
    with pytest.raises(RuleBroken) as err:
        run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=30, key="late",
                                           clock=clock, entered_by="t", on=date(2026, 10, 31)))
    assert "ปิดบัญชี" in err.value.th and "2569" in err.value.th
    with pytest.raises(InvalidInput):
        run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=30, key="future",
                                           clock=clock, entered_by="t", on=date(2026, 12, 1)))
    run(db, lambda s: service.transfer(s, payer_id=somsri, payee_id=somchai, minutes=30, key="ok",
                                       clock=clock, entered_by="t", on=date(2026, 11, 1)))
    assert_books_clean(db)


def test_check_finds_a_balance_that_drifted_from_its_postings(db, clock, people):
    somsri, *_ = people
    from sqlalchemy import update

    from ledger.orm import Account
    with db.sessions.begin() as s:
        s.execute(update(Account).where(Account.code == f"member:{somsri}").values(balance=999))
    with db.sessions() as s:
        problems = run_checks(load_books(s))
    assert any(p.rule == "balance" and f"member:{somsri}" in p.message for p in problems)
