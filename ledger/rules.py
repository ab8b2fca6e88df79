"""Pure rules of the bank: how an earning is split and what limits an operation must respect."""
from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import InvalidInput, RuleBroken
from ledger.policy import Minutes, Policy


@dataclass(frozen=True)
class EarningSplit:
    """Where the minutes of one earning go. The parts add up to the earning."""

    to_member: Minutes
    to_loan: Minutes
    to_pool: Minutes

    @property
    def total(self) -> Minutes:
        return self.to_member + self.to_loan + self.to_pool


def check_minutes(minutes: object) -> Minutes:
    """Minutes are whole, positive numbers; anything else is refused with a clear message."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInput("จำนวนนาทีต้องเป็นจำนวนเต็ม", f"minutes must be a whole number, got {minutes!r}")
    if minutes <= 0:
        raise InvalidInput("จำนวนนาทีต้องมากกว่าศูนย์", f"minutes must be more than zero, got {minutes}")
    return minutes


def split_earning(amount: Minutes, balance: Minutes, loan_owed: Minutes, policy: Policy,
                  *, repays_loan: bool = True) -> EarningSplit:
    """Split an earning between the member, their open loan and the community pool.

    A share of every earning (``loan_repay_percent``) repays an open loan. What would lift the
    balance past the cap repays more of the loan first and only then overflows to the pool.
    Donations received do not repay loans (``repays_loan=False``) but still respect the cap.
    """
    check_minutes(amount)
    to_loan = min(loan_owed, amount * policy.loan_repay_percent // 100) if repays_loan else 0
    remaining = amount - to_loan
    overflow = min(remaining, max(0, balance + remaining - policy.balance_cap_minutes))
    if repays_loan:
        extra = min(loan_owed - to_loan, overflow)
        to_loan += extra
        overflow -= extra
    to_member = amount - to_loan - overflow
    return EarningSplit(to_member=to_member, to_loan=to_loan, to_pool=overflow)


def require_available(available: Minutes, amount: Minutes) -> None:
    if amount > available:
        raise RuleBroken(
            f"เวลาคงเหลือไม่พอ มีอยู่ {available} นาที ต้องใช้ {amount} นาที",
            f"not enough credit: {available} minutes available, {amount} needed",
            available=available, needed=amount)


def require_under_cap(balance: Minutes, amount: Minutes, policy: Policy) -> None:
    if balance + amount > policy.balance_cap_minutes:
        raise RuleBroken(
            f"เกินเพดานเวลาสะสม {policy.balance_cap_minutes // 60} ชั่วโมง",
            f"over the balance cap of {policy.balance_cap_minutes} minutes "
            f"(balance {balance}, adding {amount})",
            cap=policy.balance_cap_minutes)


def require_loan_room(owed: Minutes, amount: Minutes, policy: Policy) -> None:
    if owed + amount > policy.loan_limit_minutes:
        raise RuleBroken(
            f"เกินวงเงินยืมเวลา {policy.loan_limit_minutes // 60} ชั่วโมง (ยืมอยู่ {owed} นาที)",
            f"past the loan limit of {policy.loan_limit_minutes} minutes (owes {owed}, asking {amount})",
            limit=policy.loan_limit_minutes)
