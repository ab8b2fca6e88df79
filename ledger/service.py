"""Ledger use cases shared by every channel: transfer, hold/post/void, loans, donations, reversal.

Each function works inside the caller's database transaction (``s``), locks the account rows it
touches (``SELECT … FOR UPDATE`` on PostgreSQL, a write transaction on SQLite), checks the
bank's rules against the locked balances and writes an immutable, zero-sum transfer through
``ledger.entries``. Every entry carries a client-chosen idempotency key: the same key with the
same payload returns the first result, with another payload it is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Callable, Optional

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ledger.clock import Clock, local_date
from ledger.entries import (Entry, Locked, Plan, Receipt, check_key, fingerprint, key_reused, lock_codes,
                            lock_ids, missing, move_held, receipt_of, record)
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken
from ledger.orm import Account, Hold, Member, MonthClose, Transfer
from ledger.policy import Minutes, Policy
from ledger.prepared import On, Prepared
from ledger.rules import (EarningSplit, check_minutes, require_available, require_loan_room,
                          require_under_cap, split_earning)
from ledger.settings import load_policy

POOL, ISSUANCE = "pool", "issuance"
KINDS = ("opening", "service", "transfer", "donation", "grant", "loan", "repay", "reversal")
__all__ = ["Receipt", "Balance", "transfer", "donate", "grant", "borrow", "repay", "reverse", "hold",
           "post_hold", "void_hold", "close_month", "balance", "pool_balance", "open_account"]


@dataclass(frozen=True)
class Balance:
    member_id: int
    balance: Minutes
    held: Minutes
    loan_owed: Minutes

    @property
    def available(self) -> Minutes:
        return self.balance - self.held


# --- accounts ---------------------------------------------------------------------------

def member_code(member_id: int) -> str:
    return f"member:{member_id}"


def loan_code(member_id: int) -> str:
    return f"loan:{member_id}"


def ensure_system_accounts(s: Session) -> None:
    for code in (POOL, ISSUANCE):
        if s.scalar(select(Account.id).where(Account.code == code)) is None:
            s.add(Account(code=code, kind=code, balance=0, held=0))
    s.flush()


def open_account(s: Session, member: Member, *, clock: Clock, entered_by: str) -> Optional[Receipt]:
    """Create the member's credit and loan accounts and pay the starting credits (once)."""
    ensure_system_accounts(s)
    code = member_code(member.id)
    if s.scalar(select(Account.id).where(Account.code == code)) is None:
        s.add_all([
            Account(code=code, kind="member", member_id=member.id, balance=0, held=0),
            Account(code=loan_code(member.id), kind="loan", member_id=member.id, balance=0, held=0),
        ])
        s.flush()
    starting = load_policy(s).starting_minutes
    if starting == 0:
        return None
    locked = lock_codes(s, [ISSUANCE, code])
    return _move(s, Entry(key=f"opening:{member.id}", kind="opening", source=locked[ISSUANCE],
                          target=locked[code], amount=starting, entered_by=entered_by,
                          reason="เครดิตเริ่มต้น / starting credits"),
                 EarningSplit(starting, 0, 0), clock)


def _account_id(s: Session, code: str) -> int:
    found = s.scalar(select(Account.id).where(Account.code == code))
    if found is None:
        raise missing(code)
    return found


@cache
def _balance_rows(dialect: Dialect) -> Prepared:
    accounts = Account.__table__
    return Prepared(select(accounts.c.code, accounts.c.balance, accounts.c.held)
                    .where(accounts.c.code.in_((bindparam("own"), bindparam("loan")))), dialect)


def balance(s: Session, member_id: int) -> Balance:
    """O(1): two indexed rows with stored balances, kept exact by ``wela ledger check``."""
    s.flush()
    return read_balance(s.connection(), member_id)


def read_balance(on: On, member_id: int) -> Balance:
    """``balance`` in a transaction with nothing unflushed to consider: the phone's hot path."""
    own, loan = member_code(member_id), loan_code(member_id)
    rows = _balance_rows(on.dialect).rows(on, {"own": own, "loan": loan})
    by_code = {code: (bal, held) for code, bal, held in rows}
    if own not in by_code:
        raise NotFound("ไม่พบบัญชีของสมาชิก", f"member {member_id} has no account")
    bal, held = by_code[own]
    return Balance(member_id=member_id, balance=bal, held=held, loan_owed=-by_code.get(loan, (0, 0))[0])


def pool_balance(s: Session) -> Minutes:
    return s.scalar(select(Account.balance).where(Account.code == POOL)) or 0


def _move(s: Session, entry: Entry, split: EarningSplit, clock: Clock, *rules: Callable[[], None]) -> Receipt:
    """A two-legged entry: `entry.amount` from source to target, once every rule passes."""
    def plan() -> Plan:
        for rule in rules:
            rule()
        return Plan(((entry.source.id, -entry.amount), (entry.target.id, entry.amount)), split)
    return record(s, entry, plan, clock)


# --- paying: the earning rules --------------------------------------------------------------

def _pay(s: Session, *, kind: str, payer_code: str, payee_member_id: int, amount: Minutes, key: str,
         clock: Clock, entered_by: str, reason: str, on: Optional[date], on_behalf_of: Optional[int],
         repays_loan: bool, releasing: Minutes = 0) -> Receipt:
    """Move `amount` to a member, applying loan repayment and the cap overflow.

    The payer, payee and payee's loan rows are locked in one statement. `releasing` is a hold
    on the payer being paid out by this entry. The pool row is locked only when something
    overflows to it, so ordinary payments do not queue behind one hot row.
    """
    payee_code = member_code(payee_member_id)
    if payer_code == payee_code:
        raise InvalidInput("โอนเวลาให้ตัวเองไม่ได้", "cannot transfer to yourself")
    locked = lock_codes(s, [payer_code, payee_code, loan_code(payee_member_id)])
    payer, payee, loan = locked[payer_code], locked[payee_code], locked[loan_code(payee_member_id)]

    def plan() -> Plan:
        if payer.kind in ("member", "pool"):
            require_available(payer.available + releasing, amount)
        split = split_earning(amount, payee.balance, -loan.balance, load_policy(s), repays_loan=repays_loan)
        legs = [(payer.id, -amount), (payee.id, split.to_member)]
        if split.to_loan:
            legs.append((loan.id, split.to_loan))
        if split.to_pool:
            legs.append((lock_codes(s, [POOL])[POOL].id, split.to_pool))
        return Plan(tuple(legs), split)
    if releasing:
        move_held(s, payer.id, -releasing)
    return record(s, Entry(key=key, kind=kind, source=payer, target=payee, amount=amount,
                           entered_by=entered_by, reason=reason, on=on, on_behalf_of=on_behalf_of),
                  plan, clock)


def _pair(s: Session, source_code: str, target_code: str) -> tuple[Locked, Locked]:
    locked = lock_codes(s, [source_code, target_code])
    return locked[source_code], locked[target_code]


def transfer(s: Session, *, payer_id: int, payee_id: int, minutes: Minutes, key: str, clock: Clock,
             entered_by: str, reason: str = "", on: Optional[date] = None,
             on_behalf_of: Optional[int] = None) -> Receipt:
    """Pay a member for help given: an earning (repays an open loan, respects the cap)."""
    check_minutes(minutes)
    return _pay(s, kind="service", payer_code=member_code(payer_id), payee_member_id=payee_id, amount=minutes,
                key=key, clock=clock, entered_by=entered_by, reason=reason, on=on,
                on_behalf_of=on_behalf_of, repays_loan=True)


def donate(s: Session, *, donor_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
           to_member_id: Optional[int] = None, reason: str = "", on: Optional[date] = None,
           on_behalf_of: Optional[int] = None) -> Receipt:
    """Give credits to the community pool, or to a named member (a gift, not an earning)."""
    check_minutes(minutes)
    if to_member_id is not None:
        return _pay(s, kind="donation", payer_code=member_code(donor_id), payee_member_id=to_member_id,
                    amount=minutes, key=key, clock=clock, entered_by=entered_by, reason=reason, on=on,
                    on_behalf_of=on_behalf_of, repays_loan=False)
    donor, pool = _pair(s, member_code(donor_id), POOL)
    return _move(s, Entry(key=key, kind="donation", source=donor, target=pool, amount=minutes,
                          entered_by=entered_by, reason=reason, on=on, on_behalf_of=on_behalf_of),
                 EarningSplit(0, 0, minutes), clock,
                 lambda: require_available(donor.available, minutes))


def grant(s: Session, *, member_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
          reason: str = "", on: Optional[date] = None) -> Receipt:
    """The coordinator grants pool credits to a member in need; refused past the cap."""
    check_minutes(minutes)
    pool, account = _pair(s, POOL, member_code(member_id))
    return _move(s, Entry(key=key, kind="grant", source=pool, target=account, amount=minutes,
                          entered_by=entered_by, reason=reason, on=on, on_behalf_of=member_id),
                 EarningSplit(minutes, 0, 0), clock,
                 lambda: require_available(pool.balance, minutes),
                 lambda: require_under_cap(account.balance, minutes, load_policy(s)))


def borrow(s: Session, *, member_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
           reason: str = "", on: Optional[date] = None) -> Receipt:
    """A time-credit loan, up to the loan limit, repaid later from earnings."""
    check_minutes(minutes)
    loan, account = _pair(s, loan_code(member_id), member_code(member_id))
    return _move(s, Entry(key=key, kind="loan", source=loan, target=account, amount=minutes,
                          entered_by=entered_by, reason=reason, on=on, on_behalf_of=member_id),
                 EarningSplit(minutes, 0, 0), clock,
                 lambda: require_loan_room(-loan.balance, minutes, load_policy(s)),
                 lambda: require_under_cap(account.balance, minutes, load_policy(s)))


def repay(s: Session, *, member_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
          reason: str = "", on: Optional[date] = None) -> Receipt:
    """Repay an open loan by hand (earnings also repay it automatically)."""
    check_minutes(minutes)
    account, loan = _pair(s, member_code(member_id), loan_code(member_id))

    def owed() -> None:
        if minutes > -loan.balance:
            raise RuleBroken(f"คืนเกินยอดที่ยืม (ยืมอยู่ {-loan.balance} นาที)",
                             f"repaying {minutes} minutes but only {-loan.balance} are owed")
    return _move(s, Entry(key=key, kind="repay", source=account, target=loan, amount=minutes,
                          entered_by=entered_by, reason=reason, on=on, on_behalf_of=member_id),
                 EarningSplit(0, minutes, 0), clock,
                 owed, lambda: require_available(account.available, minutes))


def reverse(s: Session, *, transfer_id: int, key: str, clock: Clock, entered_by: str, reason: str,
            on: Optional[date] = None) -> Receipt:
    """Correct a mistake with a reversing entry: the same postings, negated. Never an edit."""
    if not reason.strip():
        raise InvalidInput("กรุณาบอกเหตุผลที่กลับรายการ", "a reason is required to reverse an entry")
    original = s.get(Transfer, transfer_id)
    if original is None:
        raise NotFound(f"ไม่พบรายการเลขที่ {transfer_id}", f"no transfer {transfer_id}")
    postings = [(p.account_id, p.amount) for p in original.postings]
    locked = lock_ids(s, [account_id for account_id, _ in postings])

    def plan() -> Plan:
        if original.kind == "reversal":
            raise RuleBroken("รายการกลับรายการแล้ว กลับซ้ำไม่ได้", "a reversal cannot itself be reversed")
        if s.scalar(select(Transfer.id).where(Transfer.reverses_id == original.id)) is not None:
            raise Conflict(f"รายการเลขที่ {transfer_id} ถูกกลับรายการไปแล้ว",
                           f"transfer {transfer_id} is already reversed")
        policy = load_policy(s)
        for account_id, amount in postings:
            _check_reversal(locked[account_id], -amount, policy)
        return Plan(tuple((account_id, -amount) for account_id, amount in postings), EarningSplit(0, 0, 0))
    return record(s, Entry(key=key, kind="reversal", source=locked[original.to_account_id],
                           target=locked[original.from_account_id], amount=original.amount,
                           entered_by=entered_by, reason=reason, on=on,
                           on_behalf_of=original.on_behalf_of_id, reverses_id=original.id),
                  plan, clock)


def _check_reversal(account: Locked, delta: Minutes, policy: Policy) -> None:
    if account.kind == "member" and account.balance + delta > policy.balance_cap_minutes:
        raise RuleBroken("การกลับรายการทำให้เวลาสะสมของสมาชิกเกินเพดาน",
                         f"reversal would lift {account.code} past the balance cap")
    if account.kind == "member" and account.balance + delta < account.held:
        raise RuleBroken("เวลาคงเหลือของสมาชิกไม่พอสำหรับการกลับรายการ",
                         f"reversal would take account {account.code} below zero or its holds")
    if account.kind == "pool" and account.balance + delta < 0:
        raise RuleBroken("กองกลางมีเวลาไม่พอสำหรับการกลับรายการ",
                         "reversal would take the pool below zero")
    if account.kind == "loan" and not -policy.loan_limit_minutes <= account.balance + delta <= 0:
        raise RuleBroken("การกลับรายการทำให้ยอดยืมผิดวงเงิน", "reversal would break the loan limit")


# --- two-phase: hold, then post or void -------------------------------------------------------

def hold(s: Session, *, payer_id: int, payee_id: int, minutes: Minutes, key: str, clock: Clock,
         entered_by: str, reason: str = "") -> Hold:
    """Reserve the payer's credits for booked help. Refused if the payer cannot cover it."""
    check_minutes(minutes)
    if payer_id == payee_id:
        raise InvalidInput("จองเวลาให้ตัวเองไม่ได้", "cannot hold credits for yourself")
    check_key(key)
    payee_account = _account_id(s, member_code(payee_id))
    payer = lock_codes(s, [member_code(payer_id)])[member_code(payer_id)]
    fp = fingerprint(op="hold", payer=payer.id, payee=payee_account, amount=minutes)
    found = s.scalar(select(Hold).where(Hold.key == key))
    if found is not None:
        if found.fingerprint != fp:
            raise key_reused(key)
        return found
    require_available(payer.available, minutes)
    move_held(s, payer.id, minutes)
    h = Hold(key=key, fingerprint=fp, payer_account_id=payer.id, payee_account_id=payee_account,
             amount=minutes, state="pending", created_at=clock.now(), entered_by=entered_by[:120],
             reason=reason)
    s.add(h)
    s.flush()
    return h


def _pending_hold(s: Session, hold_id: int) -> Hold:
    h = s.scalar(select(Hold).where(Hold.id == hold_id).with_for_update()
                 .execution_options(populate_existing=True))
    if h is None:
        raise NotFound(f"ไม่พบการจองเวลาเลขที่ {hold_id}", f"no hold {hold_id}")
    return h


def post_hold(s: Session, *, hold_id: int, clock: Clock, entered_by: str,
              minutes: Optional[Minutes] = None, on_behalf_of: Optional[int] = None) -> Receipt:
    """Pay a held amount (or the actual duration, when both sides agree on another one)."""
    h = _pending_hold(s, hold_id)
    if h.state == "posted":
        return receipt_of(s, h.transfer_id)
    if h.state == "voided":
        raise Conflict("การจองนี้ถูกยกเลิกแล้ว จ่ายไม่ได้", f"hold {hold_id} was voided")
    amount = check_minutes(minutes if minutes is not None else h.amount)
    payer_code, payee_member = s.execute(
        select(Account.code, select(Account.member_id).where(Account.id == h.payee_account_id).scalar_subquery())
        .where(Account.id == h.payer_account_id)).one()
    receipt = _pay(s, kind="service", payer_code=payer_code, payee_member_id=payee_member, amount=amount,
                   key=f"hold:{h.id}", clock=clock, entered_by=entered_by, reason=h.reason,
                   on=None, on_behalf_of=on_behalf_of, repays_loan=True, releasing=h.amount)
    h.state, h.finished_at, h.transfer_id = "posted", clock.now(), receipt.transfer_id
    s.flush()
    return receipt


def void_hold(s: Session, *, hold_id: int, clock: Clock, entered_by: str) -> Hold:
    """Release a hold (help cancelled): the payer gets the reserved credits back to spend."""
    h = _pending_hold(s, hold_id)
    if h.state == "voided":
        return h
    if h.state == "posted":
        raise Conflict("การจองนี้จ่ายไปแล้ว ยกเลิกไม่ได้ ให้กลับรายการแทน",
                       f"hold {hold_id} was already posted; reverse the transfer instead")
    move_held(s, h.payer_account_id, -h.amount)
    h.state, h.finished_at = "voided", clock.now()
    s.flush()
    return h


# --- month close ---------------------------------------------------------------------------

def close_month(s: Session, *, year: int, month: int, clock: Clock, closed_by: str) -> MonthClose:
    """Close a finished month: no new entries may be dated inside it afterwards."""
    if not 1 <= month <= 12:
        raise InvalidInput("เดือนต้องอยู่ระหว่าง 1 ถึง 12", f"month must be 1–12, got {month}")
    today = local_date(clock.now())
    if (year, month) >= (today.year, today.month):
        raise RuleBroken("ปิดได้เฉพาะเดือนที่ผ่านไปแล้ว", f"{year}-{month:02d} has not ended yet")
    existing = s.get(MonthClose, (year, month))
    if existing:
        return existing
    row = MonthClose(year=year, month=month, closed_at=clock.now(), closed_by=closed_by[:120])
    s.add(row)
    s.flush()
    return row
