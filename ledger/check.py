"""`wela ledger check`: recompute every balance from postings and verify every rule of the bank.

Each rule is a small pure checker over plain rows that returns problems as values (Beancount's
way); `run_checks` streams the books out of the database once and feeds every checker.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.clock import as_utc
from ledger.orm import Account, Hold, MonthClose, Posting, Transfer
from ledger.policy import Policy
from ledger.settings import load_policy


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass
class AccountRow:
    id: int
    code: str
    kind: str
    balance: int
    held: int


@dataclass
class Books:
    """Everything the checkers read, as plain values."""

    policy: Policy
    accounts: dict[int, AccountRow]
    # (transfer id, kind, effective date, created at, reverses id) in id order
    transfers: list[tuple[int, str, date, datetime, int | None]] = field(default_factory=list)
    transfer_sums: dict[int, int] = field(default_factory=dict)
    transfer_legs: dict[int, int] = field(default_factory=dict)
    recomputed: dict[int, int] = field(default_factory=dict)
    running_breaks: list[Problem] = field(default_factory=list)
    pending_held: dict[int, int] = field(default_factory=dict)
    closes: dict[tuple[int, int], datetime] = field(default_factory=dict)
    posting_count: int = 0


def check_zero_sum(b: Books) -> Iterator[Problem]:
    for tid, total in b.transfer_sums.items():
        if total != 0:
            yield Problem("zero-sum", f"transfer {tid} postings sum to {total}, not 0")
    for tid, legs in b.transfer_legs.items():
        if legs < 2:
            yield Problem("zero-sum", f"transfer {tid} has {legs} posting(s); a transfer needs two or more")
    for tid, *_ in b.transfers:
        if tid not in b.transfer_legs:
            yield Problem("zero-sum", f"transfer {tid} has no postings")


def check_stored_balances(b: Books) -> Iterator[Problem]:
    for a in b.accounts.values():
        computed = b.recomputed.get(a.id, 0)
        if computed != a.balance:
            yield Problem("balance", f"account {a.code}: stored balance {a.balance}, postings say {computed}")


def check_holds(b: Books) -> Iterator[Problem]:
    for a in b.accounts.values():
        held = b.pending_held.get(a.id, 0)
        if held != a.held:
            yield Problem("holds", f"account {a.code}: stored held {a.held}, pending holds say {held}")
        if a.kind == "member" and a.held > a.balance:
            yield Problem("holds", f"account {a.code}: holds {a.held} exceed balance {a.balance}")


def check_limits(b: Books) -> Iterator[Problem]:
    """Limits now, and (from the running balances) at every moment in the books' history."""
    p = b.policy
    for a in b.accounts.values():
        if a.kind == "member" and not 0 <= a.balance <= p.balance_cap_minutes:
            yield Problem("cap", f"account {a.code}: balance {a.balance} outside 0…{p.balance_cap_minutes}")
        if a.kind == "loan" and not -p.loan_limit_minutes <= a.balance <= 0:
            yield Problem("loan-limit", f"account {a.code}: owes {-a.balance}, limit {p.loan_limit_minutes}")
        if a.kind == "pool" and a.balance < 0:
            yield Problem("pool", f"the community pool is negative ({a.balance})")
    yield from b.running_breaks


def check_closed_months(b: Books) -> Iterator[Problem]:
    for tid, _kind, day, created, _rev in b.transfers:
        closed_at = b.closes.get((day.year, day.month))
        if closed_at is not None and as_utc(created) > as_utc(closed_at):
            yield Problem("closed-month", f"transfer {tid} dated {day} was entered after {day:%Y-%m} closed")


def check_reversals(b: Books) -> Iterator[Problem]:
    ids = {t[0]: t for t in b.transfers}
    for tid, kind, _day, _created, reverses in b.transfers:
        if (kind == "reversal") != (reverses is not None):
            yield Problem("reversal", f"transfer {tid} kind {kind} with reverses={reverses}")
        if reverses is not None and (reverses not in ids or ids[reverses][1] == "reversal"):
            yield Problem("reversal", f"transfer {tid} reverses {reverses}, which cannot be reversed")


CHECKS = [check_zero_sum, check_stored_balances, check_holds, check_limits, check_closed_months,
          check_reversals]


def load_books(s: Session, *, batch: int = 50_000) -> Books:
    """Stream the books once: postings in transfer order give every account's running balance."""
    policy = load_policy(s)
    accounts = {a.id: AccountRow(a.id, a.code, a.kind, a.balance, a.held)
                for a in s.scalars(select(Account))}
    b = Books(policy=policy, accounts=accounts)
    b.transfers = [tuple(r) for r in s.execute(  # type: ignore[misc]
        select(Transfer.id, Transfer.kind, Transfer.effective_on, Transfer.created_at,
               Transfer.reverses_id).order_by(Transfer.id))]
    running: dict[int, int] = defaultdict(int)
    flagged: set[int] = set()
    sums: dict[int, int] = defaultdict(int)
    legs: dict[int, int] = defaultdict(int)
    rows = s.execute(select(Posting.transfer_id, Posting.account_id, Posting.amount)
                     .order_by(Posting.transfer_id, Posting.id).execution_options(yield_per=batch))
    for tid, aid, amount in rows:
        b.posting_count += 1
        sums[tid] += amount
        legs[tid] += 1
        running[aid] += amount
        kind = accounts[aid].kind if aid in accounts else "?"
        value = running[aid]
        broken = ((kind == "member" and not 0 <= value <= policy.balance_cap_minutes)
                  or (kind == "loan" and not -policy.loan_limit_minutes <= value <= 0)
                  or (kind == "pool" and value < 0))
        if broken and aid not in flagged:
            flagged.add(aid)
            b.running_breaks.append(Problem(
                "history", f"account {accounts[aid].code if aid in accounts else aid} reached {value} "
                           f"after transfer {tid}, outside the bank's limits"))
    b.transfer_sums, b.transfer_legs, b.recomputed = dict(sums), dict(legs), dict(running)
    for payer, amount in s.execute(select(Hold.payer_account_id, Hold.amount).where(Hold.state == "pending")):
        b.pending_held[payer] = b.pending_held.get(payer, 0) + amount
    b.closes = {(c.year, c.month): c.closed_at for c in s.scalars(select(MonthClose))}
    return b


def run_checks(books: Books, checks: Iterable = CHECKS) -> list[Problem]:
    problems: list[Problem] = []
    for check in checks:
        problems.extend(check(books))
    return problems
