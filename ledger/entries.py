"""The ledger's write path: lock accounts, record a zero-sum transfer, move the stored balances.

Every payment runs through here, so it is written with Core statements built once at import
(no ORM objects, no statement building per call). Accounts are locked in one statement in id
order (``FOR UPDATE`` on PostgreSQL; SQLite's write transaction already excludes other
writers). A transfer's idempotency key is claimed by the insert itself (``ON CONFLICT DO
NOTHING``): a key already recorded with the same payload gives back the first receipt, with
another payload it is refused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Optional

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger.clock import Clock, local_date
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken, WelaError
from ledger.orm import Account, MonthClose, Posting, Transfer
from ledger.policy import Minutes
from ledger.rules import EarningSplit


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


@dataclass(frozen=True, slots=True)
class Locked:
    """An account row as read under its lock."""

    id: int
    code: str
    kind: str
    balance: Minutes
    held: Minutes

    @property
    def available(self) -> Minutes:
        return self.balance - self.held


@dataclass(frozen=True)
class Entry:
    """One transfer to write: who pays whom how much, when, by whose hand and why."""

    key: str
    kind: str
    source: Locked
    target: Locked
    amount: Minutes
    entered_by: str
    reason: str = ""
    on: Optional[date] = None
    on_behalf_of: Optional[int] = None
    reverses_id: Optional[int] = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(kind=self.kind, source=self.source.id, target=self.target.id,
                           amount=self.amount, on=self.on, reverses=self.reverses_id)


@dataclass(frozen=True)
class Plan:
    """How the rules move the minutes: legs (account id, minutes) that sum to zero, and the split."""

    legs: tuple[tuple[int, Minutes], ...]
    split: EarningSplit


def fingerprint(**payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def key_reused(key: str) -> Conflict:
    return Conflict("รหัสรายการนี้ถูกใช้กับรายการอื่นแล้ว",
                    f"idempotency key {key!r} was already used with a different payload")


def check_key(key: str) -> None:
    if not key or len(key) > 120:
        raise InvalidInput("รหัสรายการไม่ถูกต้อง", "an idempotency key of 1–120 characters is required")


# --- statements, built once ---------------------------------------------------------------------

_accounts, _transfers, _postings = Account.__table__, Transfer.__table__, Posting.__table__
_ROW = (_accounts.c.id, _accounts.c.code, _accounts.c.kind, _accounts.c.balance, _accounts.c.held)
_LOCK_CODES = (select(*_ROW).where(_accounts.c.code.in_(bindparam("codes", expanding=True)))
               .order_by(_accounts.c.id).with_for_update())
_LOCK_IDS = (select(*_ROW).where(_accounts.c.id.in_(bindparam("ids", expanding=True)))
             .order_by(_accounts.c.id).with_for_update())
_MOVE = (update(_accounts).where(_accounts.c.id == bindparam("aid"))
         .values(balance=_accounts.c.balance + bindparam("delta")))
_HOLD = (update(_accounts).where(_accounts.c.id == bindparam("aid"))
         .values(held=_accounts.c.held + bindparam("delta")))
_POST = _postings.insert()
_FIND = select(_transfers.c.id, _transfers.c.kind, _transfers.c.amount, _transfers.c.fingerprint,
               _transfers.c.from_account_id, _transfers.c.to_account_id).where(_transfers.c.key == bindparam("key"))
_LEGS = (select(_postings.c.account_id, _postings.c.amount, _accounts.c.kind)
         .join(_accounts, _accounts.c.id == _postings.c.account_id)
         .where(_postings.c.transfer_id == bindparam("tid")))
_INSERT = {name: (dialect.insert(_transfers).on_conflict_do_nothing(index_elements=["key"])
                  .returning(_transfers.c.id))
           for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}


def _connection(s: Session) -> Connection:
    s.flush()                        # ORM changes waiting in the session reach the rows we lock
    return s.connection()


# --- locking -------------------------------------------------------------------------------------

def lock_codes(s: Session, codes: Iterable[str]) -> dict[str, Locked]:
    """Find and lock accounts by code in one statement (id order: no deadlocks)."""
    wanted = set(codes)
    found = {row.code: Locked(*row) for row in _connection(s).execute(_LOCK_CODES, {"codes": list(wanted)})}
    for code in sorted(wanted - set(found)):
        raise missing(code)
    return found


def lock_ids(s: Session, ids: Iterable[int]) -> dict[int, Locked]:
    """Lock account rows by id, in id order."""
    return {row.id: Locked(*row) for row in _connection(s).execute(_LOCK_IDS, {"ids": sorted(set(ids))})}


def missing(code: str) -> NotFound:
    if code.startswith(("member:", "loan:")):
        return NotFound("ไม่พบบัญชีของสมาชิก", f"no account {code}")
    return NotFound("ยังไม่ได้ตั้งบัญชีของธนาคาร", f"system account {code} missing; run wela db upgrade")


def move_held(s: Session, account_id: int, delta: Minutes) -> None:
    """Reserve (+) or release (−) credits on a locked account."""
    _connection(s).execute(_HOLD, {"aid": account_id, "delta": delta})
    _forget(s, [account_id])


# --- recording -----------------------------------------------------------------------------------

def record(s: Session, entry: Entry, plan: Callable[[], Plan], clock: Clock) -> Receipt:
    """Check the rules (`plan`), write one zero-sum transfer and move the stored balances.

    The accounts must be locked. If the key is already recorded, nothing is written and the
    first receipt comes back, even when the rules would refuse the entry now (a retry after
    the balance moved); a key used for another payload is refused with Conflict.
    """
    check_key(entry.key)
    try:
        planned = plan()
        day = effective_date(s, entry.on, clock)
    except WelaError:
        replay = replayed(s, entry.key, entry.fingerprint)
        if replay is not None:
            return replay
        raise
    merged: dict[int, int] = {}
    for account_id, delta in planned.legs:
        merged[account_id] = merged.get(account_id, 0) + delta
    assert sum(merged.values()) == 0, "a transfer's postings must sum to zero"
    conn = _connection(s)
    transfer_id = conn.execute(_INSERT[conn.dialect.name], {
        "key": entry.key, "kind": entry.kind, "from_account_id": entry.source.id,
        "to_account_id": entry.target.id, "amount": entry.amount, "effective_on": day,
        "created_at": clock.now(), "entered_by": entry.entered_by[:120], "on_behalf_of_id": entry.on_behalf_of,
        "reason": entry.reason, "reverses_id": entry.reverses_id, "fingerprint": entry.fingerprint,
    }).scalar()
    if transfer_id is None:                     # the key is taken: a retry, or a reuse
        replay = replayed(s, entry.key, entry.fingerprint)
        assert replay is not None, "ON CONFLICT without a row"
        return replay
    moves = [{"aid": account_id, "delta": delta} for account_id, delta in merged.items() if delta]
    conn.execute(_POST, [{"transfer_id": transfer_id, "account_id": m["aid"], "amount": m["delta"]}
                         for m in moves])
    conn.execute(_MOVE, moves)
    _forget(s, merged)
    split = planned.split
    return Receipt(transfer_id=transfer_id, key=entry.key, kind=entry.kind, amount=entry.amount,
                   to_member=split.to_member, to_loan=split.to_loan, to_pool=split.to_pool)


def replayed(s: Session, key: str, fingerprint_: str) -> Optional[Receipt]:
    """The receipt of a transfer already recorded under `key`, or None; Conflict if its payload differs."""
    check_key(key)
    found = _connection(s).execute(_FIND, {"key": key}).first()
    if found is None:
        return None
    if found.fingerprint != fingerprint_:
        raise key_reused(key)
    return receipt_of(s, found.id, key=key, replayed=True)


def receipt_of(s: Session, transfer_id: int, *, key: Optional[str] = None, replayed: bool = True) -> Receipt:
    """Rebuild the receipt of a recorded transfer from its postings."""
    conn = _connection(s)
    t = conn.execute(select(_transfers).where(_transfers.c.id == transfer_id)).one()
    legs = conn.execute(_LEGS, {"tid": transfer_id}).all()
    extra = [leg for leg in legs
             if leg.amount > 0 and leg.account_id not in (t.from_account_id, t.to_account_id)]
    return Receipt(transfer_id=t.id, key=key or t.key, kind=t.kind, amount=t.amount,
                   to_member=sum(leg.amount for leg in legs if leg.account_id == t.to_account_id),
                   to_loan=sum(leg.amount for leg in extra if leg.kind == "loan"),
                   to_pool=sum(leg.amount for leg in extra if leg.kind == "pool"),
                   replayed=replayed)


def closed(s: Session, on: date) -> bool:
    return s.get(MonthClose, (on.year, on.month)) is not None


def effective_date(s: Session, on: Optional[date], clock: Clock) -> date:
    today = local_date(clock.now())
    day = on or today
    if day > today:
        raise InvalidInput("ลงรายการล่วงหน้าไม่ได้", f"cannot date an entry in the future ({day})")
    if (day.year, day.month) != (today.year, today.month) and closed(s, day):  # this month is never closed
        raise RuleBroken(f"เดือน {day.month}/{day.year + 543} ปิดบัญชีแล้ว ลงรายการในเดือนนี้ไม่ได้",
                         f"{day:%Y-%m} is closed; no new entries dated inside it")
    return day


def _forget(s: Session, account_ids: Iterable[int]) -> None:
    """Account objects the session loaded before these Core updates would show old balances: expire them."""
    if not s.identity_map:
        return
    ids = set(account_ids)
    for obj in list(s.identity_map.values()):
        if isinstance(obj, Account) and obj.id in ids:
            s.expire(obj, ["balance", "held"])
