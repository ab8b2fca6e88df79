"""Ledger use cases shared by every channel: transfer, hold/post/void, loans, donations, reversal.

Each function works inside the caller's database transaction (``s``), locks the account rows it
touches (``SELECT … FOR UPDATE`` on PostgreSQL, a write transaction on SQLite), checks the
bank's rules against the locked balances and writes an immutable, zero-sum transfer. Every
entry carries a client-chosen idempotency key: the same key with the same payload returns the
first result, with another payload it is refused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ledger.clock import Clock, local_date
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken
from ledger.orm import Account, Hold, Member, MonthClose, Posting, Transfer
from ledger.policy import Minutes
from ledger.rules import (EarningSplit, check_minutes, require_available, require_loan_room,
                          require_under_cap, split_earning)
from ledger.settings import load_policy

POOL, ISSUANCE = "pool", "issuance"
KINDS = ("opening", "service", "transfer", "donation", "grant", "loan", "repay", "reversal")


@dataclass(frozen=True)
class Receipt:
    """What a transfer did, in words a channel can tell the member."""

    transfer_id: int
    key: str
    kind: str
    amount: Minutes
    to_member: Minutes
    to_loan: Minutes
    to_pool: Minutes
    replayed: bool = False


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
    if s.scalar(select(Account.id).where(Account.code == member_code(member.id))) is None:
        s.add_all([
            Account(code=member_code(member.id), kind="member", member_id=member.id, balance=0, held=0),
            Account(code=loan_code(member.id), kind="loan", member_id=member.id, balance=0, held=0),
        ])
        s.flush()
    policy = load_policy(s)
    if policy.starting_minutes == 0:
        return None
    issuance = _account(s, ISSUANCE)
    account = _account(s, member_code(member.id))
    return _record(s, key=f"opening:{member.id}", kind="opening", source=issuance, target=account,
                   amount=policy.starting_minutes, legs=[(issuance, -policy.starting_minutes),
                                                        (account, policy.starting_minutes)],
                   clock=clock, entered_by=entered_by, reason="เครดิตเริ่มต้น / starting credits",
                   on=None, on_behalf_of=None,
                   split=EarningSplit(policy.starting_minutes, 0, 0))


def _account(s: Session, code: str) -> Account:
    account = s.scalar(select(Account).where(Account.code == code))
    if account is None:
        if code.startswith(("member:", "loan:")):
            raise NotFound("ไม่พบบัญชีของสมาชิก", f"no account {code}")
        raise NotFound("ยังไม่ได้ตั้งบัญชีของธนาคาร", f"system account {code} missing; run wela db upgrade")
    return account


def _lock_codes(s: Session, codes: Iterable[str]) -> dict[str, Account]:
    """Find and lock accounts by code in one statement (id order: no deadlocks)."""
    wanted = set(codes)
    rows = s.scalars(select(Account).where(Account.code.in_(wanted)).order_by(Account.id)
                     .with_for_update().execution_options(populate_existing=True)).all()
    found = {a.code: a for a in rows}
    for code in wanted - set(found):
        _account(s, code)                       # raises the right NotFound
    return found


def _lock(s: Session, ids: Iterable[int]) -> dict[int, Account]:
    """Lock account rows in id order (no deadlocks) and return them fresh from the database."""
    wanted = sorted(set(ids))
    rows = s.scalars(select(Account).where(Account.id.in_(wanted)).order_by(Account.id)
                     .with_for_update().execution_options(populate_existing=True)).all()
    return {a.id: a for a in rows}


def balance(s: Session, member_id: int) -> Balance:
    """O(1): two indexed rows with stored balances, kept exact by ``wela ledger check``."""
    rows = s.execute(select(Account.code, Account.balance, Account.held)
                     .where(Account.code.in_([member_code(member_id), loan_code(member_id)]))).all()
    by_code = {code: (bal, held) for code, bal, held in rows}
    if member_code(member_id) not in by_code:
        raise NotFound("ไม่พบบัญชีของสมาชิก", f"member {member_id} has no account")
    bal, held = by_code[member_code(member_id)]
    loan = by_code.get(loan_code(member_id), (0, 0))[0]
    return Balance(member_id=member_id, balance=bal, held=held, loan_owed=-loan)


def pool_balance(s: Session) -> Minutes:
    return s.scalar(select(Account.balance).where(Account.code == POOL)) or 0


# --- the one place entries are written ----------------------------------------------------

def _fingerprint(**payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(s: Session, model: type, key: str, fingerprint: str):
    if not key or len(key) > 120:
        raise InvalidInput("รหัสรายการไม่ถูกต้อง", "an idempotency key of 1–120 characters is required")
    found = s.scalar(select(model).where(model.key == key))
    if found is not None and found.fingerprint != fingerprint:
        raise Conflict("รหัสรายการนี้ถูกใช้กับรายการอื่นแล้ว",
                       f"idempotency key {key!r} was already used with a different payload")
    return found


def _receipt(s: Session, t: Transfer, replayed: bool) -> Receipt:
    """Rebuild the receipt of a recorded transfer from its postings (for a replayed key)."""
    kinds = dict(s.execute(select(Account.id, Account.kind)
                           .where(Account.id.in_([p.account_id for p in t.postings]))).all())
    extra = [p for p in t.postings
             if p.amount > 0 and p.account_id not in (t.from_account_id, t.to_account_id)]
    return Receipt(transfer_id=t.id, key=t.key, kind=t.kind, amount=t.amount,
                   to_member=sum(p.amount for p in t.postings if p.account_id == t.to_account_id),
                   to_loan=sum(p.amount for p in extra if kinds[p.account_id] == "loan"),
                   to_pool=sum(p.amount for p in extra if kinds[p.account_id] == "pool"),
                   replayed=replayed)


def closed(s: Session, on: date) -> bool:
    return s.get(MonthClose, (on.year, on.month)) is not None


def _effective_date(s: Session, on: Optional[date], clock: Clock) -> date:
    today = local_date(clock.now())
    day = on or today
    if day > today:
        raise InvalidInput("ลงรายการล่วงหน้าไม่ได้", f"cannot date an entry in the future ({day})")
    if (day.year, day.month) != (today.year, today.month) and closed(s, day):  # this month is never closed
        raise RuleBroken(f"เดือน {day.month}/{day.year + 543} ปิดบัญชีแล้ว ลงรายการในเดือนนี้ไม่ได้",
                         f"{day:%Y-%m} is closed; no new entries dated inside it")
    return day


def _record(s: Session, *, key: str, kind: str, source: Account, target: Account, amount: Minutes,
            legs: list[tuple[Account, int]], clock: Clock, entered_by: str, reason: str,
            on: Optional[date], on_behalf_of: Optional[int],
            split: EarningSplit, reverses_id: Optional[int] = None) -> Receipt:
    """Write one zero-sum transfer and move the stored balances. Accounts must be locked."""
    merged: dict[int, int] = {}
    for account, delta in legs:
        merged[account.id] = merged.get(account.id, 0) + delta
    assert sum(merged.values()) == 0, "a transfer's postings must sum to zero"
    day = _effective_date(s, on, clock)
    accounts = {a.id: a for a, _ in legs}
    # Core statements, not the unit of work: this is the ledger's hot path.
    transfer_id = s.execute(insert(Transfer).values(
        key=key, kind=kind, from_account_id=source.id, to_account_id=target.id, amount=amount,
        effective_on=day, created_at=clock.now(), entered_by=entered_by[:120],
        on_behalf_of_id=on_behalf_of, reason=reason, reverses_id=reverses_id,
        fingerprint=_fingerprint_for(kind, source.id, target.id, amount, on, reverses_id),
    ).returning(Transfer.id)).scalar_one()
    rows = [{"transfer_id": transfer_id, "account_id": account_id, "amount": delta}
            for account_id, delta in merged.items() if delta != 0]
    s.execute(insert(Posting), rows)
    s.connection().execute(
        update(Account.__table__).where(Account.__table__.c.id == bindparam("aid"))
        .values(balance=Account.__table__.c.balance + bindparam("delta")),
        [{"aid": row["account_id"], "delta": row["amount"]} for row in rows])
    for row in rows:                            # keep the locked objects in step, not dirty
        account = accounts[row["account_id"]]
        set_committed_value(account, "balance", account.balance + row["amount"])
    return Receipt(transfer_id=transfer_id, key=key, kind=kind, amount=amount,
                   to_member=split.to_member, to_loan=split.to_loan, to_pool=split.to_pool)


def _fingerprint_for(kind: str, source: int, target: int, amount: int, on: Optional[date],
                     reverses_id: Optional[int]) -> str:
    return _fingerprint(kind=kind, source=source, target=target, amount=amount, on=on,
                        reverses=reverses_id)


def _existing(s: Session, key: str, kind: str, source: int, target: int, amount: int,
              on: Optional[date], reverses_id: Optional[int] = None) -> Optional[Receipt]:
    found = _replay(s, Transfer, key, _fingerprint_for(kind, source, target, amount, on, reverses_id))
    return _receipt(s, found, replayed=True) if found is not None else None


# --- paying: the earning rules --------------------------------------------------------------

def _pay(s: Session, *, kind: str, payer_code: str, payee_member_id: int, amount: Minutes, key: str,
         clock: Clock, entered_by: str, reason: str, on: Optional[date], on_behalf_of: Optional[int],
         repays_loan: bool) -> Receipt:
    """Move `amount` to a member, applying loan repayment and the cap overflow.

    The payer, payee and payee's loan rows are found and locked in one statement; the key is
    checked under the lock (a racing twin that won is replayed). The pool row is locked only
    when something overflows to it, so ordinary payments do not queue behind one hot row.
    """
    payee_code = member_code(payee_member_id)
    if payer_code == payee_code:
        raise InvalidInput("โอนเวลาให้ตัวเองไม่ได้", "cannot transfer to yourself")
    locked = _lock_codes(s, [payer_code, payee_code, loan_code(payee_member_id)])
    payer, payee, loan = locked[payer_code], locked[payee_code], locked[loan_code(payee_member_id)]
    replay = _existing(s, key, kind, payer.id, payee.id, amount, on)
    if replay:
        return replay
    if payer.kind in ("member", "pool"):
        require_available(payer.balance - payer.held, amount)
    policy = load_policy(s)
    split = split_earning(amount, payee.balance, -loan.balance, policy, repays_loan=repays_loan)
    legs = [(payer, -amount), (payee, split.to_member)]
    if split.to_loan:
        legs.append((loan, split.to_loan))
    if split.to_pool:
        legs.append((_lock_codes(s, [POOL])[POOL], split.to_pool))
    return _record(s, key=key, kind=kind, source=payer, target=payee, amount=amount, legs=legs,
                   clock=clock, entered_by=entered_by, reason=reason, on=on,
                   on_behalf_of=on_behalf_of, split=split)


def _pair(s: Session, source_code: str, target_code: str, key: str, kind: str, amount: Minutes,
          on: Optional[date]) -> tuple[Account, Account, Optional[Receipt]]:
    """Lock a two-legged entry's accounts, and the receipt if its key was already recorded."""
    locked = _lock_codes(s, [source_code, target_code])
    source, target = locked[source_code], locked[target_code]
    return source, target, _existing(s, key, kind, source.id, target.id, amount, on)


def transfer(s: Session, *, payer_id: int, payee_id: int, minutes: Minutes, key: str, clock: Clock,
             entered_by: str, reason: str = "", on: Optional[date] = None,
             on_behalf_of: Optional[int] = None) -> Receipt:
    """Pay a member for help given: an earning (repays an open loan, respects the cap)."""
    check_minutes(minutes)
    return _pay(s, kind="service", payer_code=member_code(payer_id), payee_member_id=payee_id, amount=minutes, key=key,
                clock=clock, entered_by=entered_by, reason=reason, on=on,
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
    donor, pool, replay = _pair(s, member_code(donor_id), POOL, key, "donation", minutes, on)
    if replay:
        return replay
    require_available(donor.balance - donor.held, minutes)
    return _record(s, key=key, kind="donation", source=donor, target=pool, amount=minutes,
                   legs=[(donor, -minutes), (pool, minutes)], clock=clock, entered_by=entered_by,
                   reason=reason, on=on, on_behalf_of=on_behalf_of,
                   split=EarningSplit(0, 0, minutes))


def grant(s: Session, *, member_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
          reason: str = "", on: Optional[date] = None) -> Receipt:
    """The coordinator grants pool credits to a member in need; refused past the cap."""
    check_minutes(minutes)
    pool, account, replay = _pair(s, POOL, member_code(member_id), key, "grant", minutes, on)
    if replay:
        return replay
    require_available(pool.balance, minutes)
    require_under_cap(account.balance, minutes, load_policy(s))
    return _record(s, key=key, kind="grant", source=pool, target=account, amount=minutes,
                   legs=[(pool, -minutes), (account, minutes)], clock=clock, entered_by=entered_by,
                   reason=reason, on=on, on_behalf_of=member_id,
                   split=EarningSplit(minutes, 0, 0))


def borrow(s: Session, *, member_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
           reason: str = "", on: Optional[date] = None) -> Receipt:
    """A time-credit loan, up to the loan limit, repaid later from earnings."""
    check_minutes(minutes)
    loan, account, replay = _pair(s, loan_code(member_id), member_code(member_id), key, "loan", minutes, on)
    if replay:
        return replay
    policy = load_policy(s)
    require_loan_room(-loan.balance, minutes, policy)
    require_under_cap(account.balance, minutes, policy)
    return _record(s, key=key, kind="loan", source=loan, target=account, amount=minutes,
                   legs=[(loan, -minutes), (account, minutes)], clock=clock, entered_by=entered_by,
                   reason=reason, on=on, on_behalf_of=member_id,
                   split=EarningSplit(minutes, 0, 0))


def repay(s: Session, *, member_id: int, minutes: Minutes, key: str, clock: Clock, entered_by: str,
          reason: str = "", on: Optional[date] = None) -> Receipt:
    """Repay an open loan by hand (earnings also repay it automatically)."""
    check_minutes(minutes)
    account, loan, replay = _pair(s, member_code(member_id), loan_code(member_id), key, "repay", minutes, on)
    if replay:
        return replay
    if minutes > -loan.balance:
        raise RuleBroken(f"คืนเกินยอดที่ยืม (ยืมอยู่ {-loan.balance} นาที)",
                         f"repaying {minutes} minutes but only {-loan.balance} are owed")
    require_available(account.balance - account.held, minutes)
    return _record(s, key=key, kind="repay", source=account, target=loan, amount=minutes,
                   legs=[(account, -minutes), (loan, minutes)], clock=clock, entered_by=entered_by,
                   reason=reason, on=on, on_behalf_of=member_id,
                   split=EarningSplit(0, minutes, 0))


def reverse(s: Session, *, transfer_id: int, key: str, clock: Clock, entered_by: str, reason: str,
            on: Optional[date] = None) -> Receipt:
    """Correct a mistake with a reversing entry: the same postings, negated. Never an edit."""
    if not reason.strip():
        raise InvalidInput("กรุณาบอกเหตุผลที่กลับรายการ", "a reason is required to reverse an entry")
    original = s.get(Transfer, transfer_id)
    if original is None:
        raise NotFound(f"ไม่พบรายการเลขที่ {transfer_id}", f"no transfer {transfer_id}")
    replay = _existing(s, key, "reversal", original.to_account_id, original.from_account_id,
                       original.amount, on, reverses_id=original.id)
    if replay:
        return replay
    if original.kind == "reversal":
        raise RuleBroken("รายการกลับรายการแล้ว กลับซ้ำไม่ได้", "a reversal cannot itself be reversed")
    if s.scalar(select(Transfer.id).where(Transfer.reverses_id == original.id)) is not None:
        raise Conflict(f"รายการเลขที่ {transfer_id} ถูกกลับรายการไปแล้ว",
                       f"transfer {transfer_id} is already reversed")
    locked = _lock(s, [p.account_id for p in original.postings])
    legs = [(locked[p.account_id], -p.amount) for p in original.postings]
    policy = load_policy(s)
    for account, delta in legs:
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
    return _record(s, key=key, kind="reversal", source=locked[original.to_account_id],
                   target=locked[original.from_account_id], amount=original.amount, legs=legs,
                   clock=clock, entered_by=entered_by, reason=reason, on=on,
                   on_behalf_of=original.on_behalf_of_id,
                   split=EarningSplit(0, 0, 0), reverses_id=original.id)


# --- two-phase: hold, then post or void -------------------------------------------------------

def hold(s: Session, *, payer_id: int, payee_id: int, minutes: Minutes, key: str, clock: Clock,
         entered_by: str, reason: str = "") -> Hold:
    """Reserve the payer's credits for booked help. Refused if the payer cannot cover it."""
    check_minutes(minutes)
    if payer_id == payee_id:
        raise InvalidInput("จองเวลาให้ตัวเองไม่ได้", "cannot hold credits for yourself")
    payee = _account(s, member_code(payee_id))
    payer = _lock_codes(s, [member_code(payer_id)])[member_code(payer_id)]
    fingerprint = _fingerprint(op="hold", payer=payer.id, payee=payee.id, amount=minutes)
    found = _replay(s, Hold, key, fingerprint)
    if found:
        return found
    require_available(payer.balance - payer.held, minutes)
    payer.held += minutes
    h = Hold(key=key, fingerprint=fingerprint, payer_account_id=payer.id, payee_account_id=payee.id,
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
        t = s.get(Transfer, h.transfer_id)
        return _receipt(s, t, replayed=True)
    if h.state == "voided":
        raise Conflict("การจองนี้ถูกยกเลิกแล้ว จ่ายไม่ได้", f"hold {hold_id} was voided")
    amount = check_minutes(minutes if minutes is not None else h.amount)
    payer = _lock(s, [h.payer_account_id])[h.payer_account_id]
    payee_member = s.get(Account, h.payee_account_id).member_id
    payer.held -= h.amount
    s.flush()
    receipt = _pay(s, kind="service", payer_code=payer.code, payee_member_id=payee_member, amount=amount,
                   key=f"hold:{h.id}", clock=clock, entered_by=entered_by, reason=h.reason,
                   on=None, on_behalf_of=on_behalf_of, repays_loan=True)
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
    payer = _lock(s, [h.payer_account_id])[h.payer_account_id]
    payer.held -= h.amount
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
