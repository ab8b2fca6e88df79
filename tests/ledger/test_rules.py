"""The bank's rules as pure functions: no database."""
import pytest
from hypothesis import given, strategies as st

from ledger.errors import InvalidInput, RuleBroken
from ledger.policy import Policy
from ledger.rules import check_minutes, require_loan_room, require_under_cap, split_earning

POLICY = Policy()  # 2 h start, 5 h loan limit, half of earnings repay, 40 h cap


def test_an_earning_with_no_loan_and_room_under_the_cap_all_goes_to_the_member():
    split = split_earning(90, balance=120, loan_owed=0, policy=POLICY)
    assert (split.to_member, split.to_loan, split.to_pool) == (90, 0, 0)


def test_half_of_an_earning_repays_an_open_loan():
    split = split_earning(60, balance=0, loan_owed=300, policy=POLICY)
    assert (split.to_member, split.to_loan, split.to_pool) == (30, 30, 0)


def test_repayment_never_exceeds_what_is_owed():
    split = split_earning(120, balance=0, loan_owed=20, policy=POLICY)
    assert (split.to_member, split.to_loan) == (100, 20)


def test_what_would_pass_the_cap_goes_to_the_pool():
    split = split_earning(120, balance=2350, loan_owed=0, policy=POLICY)
    assert (split.to_member, split.to_pool) == (50, 70)


def test_overflow_repays_more_of_a_loan_before_reaching_the_pool():
    split = split_earning(120, balance=2390, loan_owed=100, policy=POLICY)
    # 60 repays by the share rule; of the other 60 only 10 fit under the cap: 50 more repays the loan
    assert (split.to_member, split.to_loan, split.to_pool) == (10, 100, 10)


def test_donations_received_do_not_repay_loans_but_respect_the_cap():
    split = split_earning(60, balance=2380, loan_owed=100, policy=POLICY, repays_loan=False)
    assert (split.to_member, split.to_loan, split.to_pool) == (20, 0, 40)


@given(amount=st.integers(1, 10_000), balance=st.integers(0, 2400), owed=st.integers(0, 300),
       share=st.integers(0, 100), cap=st.integers(0, 5000))
def test_a_split_always_adds_up_and_never_breaks_the_cap(amount, balance, owed, share, cap):
    policy = Policy(starting_minutes=0, loan_repay_percent=share, balance_cap_minutes=cap)
    balance = min(balance, cap)
    split = split_earning(amount, balance, owed, policy)
    assert split.total == amount
    assert min(split.to_member, split.to_loan, split.to_pool) >= 0
    assert split.to_loan <= owed
    assert balance + split.to_member <= cap


@pytest.mark.parametrize("bad", [0, -5, 1.5, "30", None, True])
def test_minutes_must_be_whole_and_positive(bad):
    with pytest.raises(InvalidInput) as err:
        check_minutes(bad)
    assert "นาที" in err.value.th


def test_limits_explain_themselves_in_thai_and_english():
    with pytest.raises(RuleBroken) as err:
        require_under_cap(2400, 1, POLICY)
    assert "เพดาน" in err.value.th and "cap" in err.value.en
    with pytest.raises(RuleBroken) as err:
        require_loan_room(250, 60, POLICY)
    assert "ยืม" in err.value.th and "loan limit" in err.value.en


@pytest.mark.parametrize("values", [dict(loan_repay_percent=101), dict(balance_cap_minutes=-1),
                                    dict(starting_minutes=3000)])
def test_a_policy_refuses_impossible_numbers(values):
    with pytest.raises(ValueError):
        Policy(**values)
