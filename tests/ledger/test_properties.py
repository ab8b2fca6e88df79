"""Random sequences of ledger operations against a plain-Python model of the bank: the books never break.

A hypothesis state machine plays a village bank on a migrated SQLite file: payments, holds that are
posted or voided, loans and repayments, donations, grants, reversals, month closes as the clock moves
on, and retried webhooks that repeat an idempotency key with the same or another payload. A small
model (dicts of minutes) predicts every outcome from the handbook's rules; after each step the
database must agree with it, `ledger check` must find nothing, and a refused operation must have
changed nothing at all.
"""
from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from ledger import service
from ledger.check import load_books, run_checks
from ledger.clock import BANGKOK, FakeClock, local_date
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken, WelaError
from ledger.members import register_member
from ledger.orm import Account, Hold, MonthClose, Transfer
from ledger.policy import Policy
from ledger.settings import set_policy
from tests.databases import migrated_sqlite
from wela.db import atomic, make_engine, make_sessions

POLICY = Policy(starting_minutes=120, loan_limit_minutes=120, loan_repay_percent=50, balance_cap_minutes=300)
PEOPLE = [("ยายสมศรี", "081-234-5678", "elder"), ("สมชาย", "089-111-2233", "volunteer"),
          ("มาลี", "089-111-4455", "both")]
START = datetime(2026, 11, 21, 9, 0, tzinfo=BANGKOK)
FIRST_DAY = date(2026, 9, 1)            # entries may be back-dated to any day since September

MINUTES = st.sampled_from([15, 30, 45, 60, 60, 90, 120, 150, 0, -15])   # now and then a bad amount
WHO = st.integers(0, len(PEOPLE) - 1)
OTHER = st.sampled_from([1, 2, 1, 2, 0])     # whom to pay, counted on from the payer: now and then oneself


class Refused(Exception):
    """The model's prediction that the bank says no, with the error family it must use."""

    def __init__(self, error: type[WelaError]) -> None:
        super().__init__(error.__name__)
        self.error = error


@dataclass
class Entry:
    kind: str
    source: str
    target: str
    amount: int
    legs: dict[str, int]
    reverses: Optional[int] = None


@dataclass
class HoldRow:
    payer: int
    payee: int
    amount: int
    state: str = "pending"
    transfer_id: Optional[int] = None


@dataclass
class Outcome:
    """What a successful operation does: a new entry (legs), a replayed one, or only holds/closes."""

    entry: Optional[Entry] = None
    key: Optional[str] = None
    fingerprint: tuple = ()
    replay_of: Optional[int] = None
    hold_replay_of: Optional[int] = None
    earning: bool = False                  # the receipt tells how the payment split


def m(i: int) -> str:
    return f"member{i}"


def loan(i: int) -> str:
    return f"loan{i}"


@dataclass
class Bank:
    """The plain-Python model: balances per account, keys seen, entries, holds and closed months."""

    members: list[int]
    balance: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    keys: dict[str, tuple[tuple, int]] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)
    reversed: set[int] = field(default_factory=set)
    holds: dict[int, HoldRow] = field(default_factory=dict)
    hold_keys: dict[str, tuple[tuple, int]] = field(default_factory=dict)
    closed: set[tuple[int, int]] = field(default_factory=set)

    def bal(self, account: str) -> int:
        return self.balance.get(account, 0)

    def available(self, i: int) -> int:
        return self.bal(m(i)) - self.held.get(m(i), 0)

    def owed(self, i: int) -> int:
        return -self.bal(loan(i))

    # --- the handbook's rules, written again plainly ------------------------------------------

    @staticmethod
    def minutes(n: int) -> None:
        if n <= 0:
            raise Refused(InvalidInput)

    def replay(self, key: str, fingerprint: tuple) -> Optional[int]:
        if key in self.keys:
            if self.keys[key][0] != fingerprint:
                raise Refused(Conflict)
            return self.keys[key][1]
        return None

    def dated(self, on: Optional[date], today: date) -> None:
        day = on or today
        if day > today:
            raise Refused(InvalidInput)
        if (day.year, day.month) in self.closed:
            raise Refused(RuleBroken)

    def earning(self, amount: int, payee: int, repays_loan: bool) -> dict[str, int]:
        """How a payment splits: a share repays the open loan, what passes the cap goes to the pool."""
        owed = self.owed(payee)
        to_loan = min(owed, amount * POLICY.loan_repay_percent // 100) if repays_loan else 0
        room = POLICY.balance_cap_minutes - self.bal(m(payee))
        to_pool = max(0, amount - to_loan - room)
        if repays_loan:                        # overflow repays more of the loan before the pool
            more = min(owed - to_loan, to_pool)
            to_loan, to_pool = to_loan + more, to_pool - more
        return {m(payee): amount - to_loan - to_pool, loan(payee): to_loan, "pool": to_pool}

    def pay(self, kind: str, payer: int, payee: int, amount: int, key: str, on: Optional[date],
            today: date, repays_loan: bool) -> Outcome:
        if payer == payee:
            raise Refused(InvalidInput)
        fp = (kind, m(payer), m(payee), amount, on)
        if (replayed := self.replay(key, fp)) is not None:
            return Outcome(replay_of=replayed)
        if self.available(payer) < amount:
            raise Refused(RuleBroken)
        split = self.earning(amount, payee, repays_loan)
        self.dated(on, today)
        return Outcome(Entry(kind, m(payer), m(payee), amount, {m(payer): -amount, **split}), key, fp,
                       earning=True)

    def simple(self, kind: str, source: str, target: str, amount: int, key: str, on: Optional[date],
               today: date, *checks: bool) -> Outcome:
        fp = (kind, source, target, amount, on)
        if (replayed := self.replay(key, fp)) is not None:
            return Outcome(replay_of=replayed)
        if not all(checks):
            raise Refused(RuleBroken)
        self.dated(on, today)
        return Outcome(Entry(kind, source, target, amount, {source: -amount, target: amount}), key, fp)

    def reverse(self, transfer_id: int, key: str, on: Optional[date], today: date) -> Outcome:
        if transfer_id not in self.entries:
            raise Refused(NotFound)
        original = self.entries[transfer_id]
        fp = ("reversal", original.target, original.source, original.amount, on, transfer_id)
        if (replayed := self.replay(key, fp)) is not None:
            return Outcome(replay_of=replayed)
        if original.kind == "reversal":
            raise Refused(RuleBroken)
        if transfer_id in self.reversed:
            raise Refused(Conflict)
        legs = {account: -delta for account, delta in original.legs.items()}
        for account, delta in legs.items():
            after = self.bal(account) + delta
            if account.startswith("member") and not self.held.get(account, 0) <= after <= POLICY.balance_cap_minutes:
                raise Refused(RuleBroken)
            if account == "pool" and after < 0:
                raise Refused(RuleBroken)
            if account.startswith("loan") and not -POLICY.loan_limit_minutes <= after <= 0:
                raise Refused(RuleBroken)
        self.dated(on, today)
        return Outcome(Entry("reversal", original.target, original.source, original.amount, legs, transfer_id),
                       key, fp)

    # --- applying what happened ---------------------------------------------------------------

    def record(self, outcome: Outcome, transfer_id: int) -> None:
        entry = outcome.entry
        assert entry is not None
        entry.legs = {a: d for a, d in entry.legs.items() if d}
        for account, delta in entry.legs.items():
            self.balance[account] = self.bal(account) + delta
        self.entries[transfer_id] = entry
        if entry.reverses is not None:
            self.reversed.add(entry.reverses)
        if outcome.key is not None:
            self.keys[outcome.key] = (outcome.fingerprint, transfer_id)


class VillageBank(RuleBasedStateMachine):
    """ยายสมศรี, สมชาย and มาลี use the bank at random; the model says what must happen."""

    def __init__(self) -> None:
        super().__init__()
        self.folder: Optional[Path] = None
        self.engine = None
        self.history: list[tuple] = []
        self.next_key = 0

    # --- set-up and tear-down -------------------------------------------------------------------

    @initialize()
    def open_the_bank(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="wela-prop-"))
        self.engine = make_engine(migrated_sqlite(self.folder))
        self.sessions = make_sessions(self.engine)
        self.clock = FakeClock(START)

        def join(s):
            set_policy(s, **{name: getattr(POLICY, name) for name in Policy.names()})
            return [register_member(s, clock=self.clock, entered_by="test", name=n, phone=p, role=r).id
                    for n, p, r in PEOPLE]
        ids = atomic(self.sessions, join)
        self.bank = Bank(members=ids)
        with self.sessions() as s:
            openings = s.execute(select(Transfer.id, Transfer.key).where(Transfer.kind == "opening")).all()
        for tid, key in openings:
            i = ids.index(int(key.split(":")[1]))
            self.bank.record(Outcome(Entry("opening", "issuance", m(i), 120,
                                           {"issuance": -120, m(i): 120})), tid)

    def teardown(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return local_date(self.clock.now())

    def key(self, data) -> str:
        """A fresh key most of the time; sometimes one already used (a retry, maybe with another payload)."""
        used = sorted(self.bank.keys)
        if used and data.draw(st.integers(0, 3), label="reuse a key?") == 0:
            return data.draw(st.sampled_from(used), label="reused key")
        self.next_key += 1
        return f"k{self.next_key}"

    def day(self, data) -> Optional[date]:
        """Today (None) mostly; sometimes a back-dated day, now and then tomorrow."""
        choice = data.draw(st.integers(0, 9), label="date")
        if choice <= 5:
            return None
        if choice == 9:
            return self.today + timedelta(days=1)
        span = (self.today - FIRST_DAY).days
        return FIRST_DAY + timedelta(days=data.draw(st.integers(0, span), label="days since 1 Sep"))

    def snapshot(self) -> tuple:
        with self.sessions() as s:
            return (s.execute(select(Account.code, Account.balance, Account.held).order_by(Account.code)).all(),
                    s.execute(select(Transfer.id, Transfer.key).order_by(Transfer.id)).all(),
                    s.execute(select(Hold.id, Hold.state).order_by(Hold.id)).all(),
                    s.execute(select(MonthClose.year, MonthClose.month).order_by(MonthClose.year,
                                                                                 MonthClose.month)).all())

    def play(self, predict, work):
        """Predict on a copy of the model, run the real operation, and compare."""
        model = copy.deepcopy(self.bank)
        try:
            expected = predict(model)
        except Refused as refusal:
            expected = refusal
        before = self.snapshot()
        try:
            result = atomic(self.sessions, work)
        except WelaError as err:
            assert isinstance(expected, Refused), f"the bank refused ({err}) but the model expected {expected}"
            assert type(err) is expected.error, f"{type(err).__name__} ({err}), expected {expected.error.__name__}"
            assert err.th and err.en
            assert self.snapshot() == before, "a refused operation changed the books"
            return None
        assert not isinstance(expected, Refused), f"the model expected {expected.error.__name__}, got {result}"
        self.bank = model
        return expected, result

    def receipt(self, model_outcome: Outcome, receipt: service.Receipt) -> None:
        if model_outcome.replay_of is not None:
            assert receipt.replayed and receipt.transfer_id == model_outcome.replay_of
        else:
            assert not receipt.replayed
            entry = model_outcome.entry
            if model_outcome.earning:
                payee = entry.target.replace("member", "")
                assert (receipt.to_member, receipt.to_loan, receipt.to_pool) == (
                    entry.legs[entry.target], entry.legs[f"loan{payee}"], entry.legs["pool"])
            self.bank.record(model_outcome, receipt.transfer_id)

    def payment(self, predict, work) -> None:
        played = self.play(predict, work)
        if played:
            self.receipt(*played)

    # --- the operations ----------------------------------------------------------------------------

    @rule(payer=WHO, other=OTHER, minutes=MINUTES, data=st.data())
    def pay_for_help(self, payer, other, minutes, data):
        payee = (payer + other) % len(PEOPLE)
        key, on = self.key(data), self.day(data)
        self.history.append(("pay_for_help", payer, payee, minutes, key, on))
        self._pay(payer, payee, minutes, key, on)

    def _pay(self, payer, payee, minutes, key, on):
        ids = self.bank.members

        def predict(b: Bank):
            b.minutes(minutes)
            return b.pay("service", payer, payee, minutes, key, on, self.today, repays_loan=True)
        self.payment(predict, lambda s: service.transfer(
            s, payer_id=ids[payer], payee_id=ids[payee], minutes=minutes, key=key, clock=self.clock,
            entered_by="test", on=on))

    @rule(donor=WHO, to=st.one_of(st.none(), WHO), minutes=MINUTES, data=st.data())
    def donate(self, donor, to, minutes, data):
        key, on = self.key(data), self.day(data)
        self.history.append(("donate", donor, to, minutes, key, on))
        self._donate(donor, to, minutes, key, on)

    def _donate(self, donor, to, minutes, key, on):
        ids = self.bank.members

        def predict(b: Bank):
            b.minutes(minutes)
            if to is not None:
                return b.pay("donation", donor, to, minutes, key, on, self.today, repays_loan=False)
            return b.simple("donation", m(donor), "pool", minutes, key, on, self.today,
                            b.available(donor) >= minutes)
        self.payment(predict, lambda s: service.donate(
            s, donor_id=ids[donor], to_member_id=None if to is None else ids[to], minutes=minutes, key=key,
            clock=self.clock, entered_by="test", on=on))

    @rule(who=WHO, minutes=MINUTES, data=st.data())
    def grant_from_the_pool(self, who, minutes, data):
        key, on = self.key(data), self.day(data)
        self.history.append(("grant_from_the_pool", who, minutes, key, on))
        self._grant(who, minutes, key, on)

    def _grant(self, who, minutes, key, on):
        ids = self.bank.members

        def predict(b: Bank):
            b.minutes(minutes)
            return b.simple("grant", "pool", m(who), minutes, key, on, self.today,
                            b.bal("pool") >= minutes,
                            b.bal(m(who)) + minutes <= POLICY.balance_cap_minutes)
        self.payment(predict, lambda s: service.grant(
            s, member_id=ids[who], minutes=minutes, key=key, clock=self.clock, entered_by="coordinator", on=on))

    @rule(who=WHO, minutes=MINUTES, data=st.data())
    def borrow(self, who, minutes, data):
        key, on = self.key(data), self.day(data)
        self.history.append(("borrow", who, minutes, key, on))
        self._borrow(who, minutes, key, on)

    def _borrow(self, who, minutes, key, on):
        ids = self.bank.members

        def predict(b: Bank):
            b.minutes(minutes)
            return b.simple("loan", loan(who), m(who), minutes, key, on, self.today,
                            b.owed(who) + minutes <= POLICY.loan_limit_minutes,
                            b.bal(m(who)) + minutes <= POLICY.balance_cap_minutes)
        self.payment(predict, lambda s: service.borrow(
            s, member_id=ids[who], minutes=minutes, key=key, clock=self.clock, entered_by="coordinator", on=on))

    @rule(who=WHO, minutes=MINUTES, data=st.data())
    def repay(self, who, minutes, data):
        key, on = self.key(data), self.day(data)
        self.history.append(("repay", who, minutes, key, on))
        self._repay(who, minutes, key, on)

    def _repay(self, who, minutes, key, on):
        ids = self.bank.members

        def predict(b: Bank):
            b.minutes(minutes)
            return b.simple("repay", m(who), loan(who), minutes, key, on, self.today,
                            minutes <= b.owed(who), b.available(who) >= minutes)
        self.payment(predict, lambda s: service.repay(
            s, member_id=ids[who], minutes=minutes, key=key, clock=self.clock, entered_by="test", on=on))

    @rule(data=st.data())
    def reverse_an_entry(self, data):
        known = sorted(self.bank.entries)
        transfer_id = data.draw(st.sampled_from([*known, 10_000]), label="transfer")
        key, on = self.key(data), self.day(data)
        self.history.append(("reverse_an_entry", transfer_id, key, on))
        self._reverse(transfer_id, key, on)

    def _reverse(self, transfer_id, key, on):
        self.payment(lambda b: b.reverse(transfer_id, key, on, self.today),
                     lambda s: service.reverse(s, transfer_id=transfer_id, key=key, clock=self.clock,
                                               entered_by="manager", reason="บันทึกผิด", on=on))

    @rule(payer=WHO, other=OTHER, minutes=MINUTES, data=st.data())
    def book_help(self, payer, other, minutes, data):
        """A hold: the elder's credits are reserved when help is booked."""
        payee = (payer + other) % len(PEOPLE)
        used = sorted(self.bank.hold_keys)
        if used and data.draw(st.integers(0, 3), label="reuse a hold key?") == 0:
            key = data.draw(st.sampled_from(used), label="hold key")
        else:
            self.next_key += 1
            key = f"h{self.next_key}"
        self.history.append(("book_help", payer, payee, minutes, key))
        self._hold(payer, payee, minutes, key)

    def _hold(self, payer, payee, minutes, key):
        ids = self.bank.members

        def predict(b: Bank):
            b.minutes(minutes)
            if payer == payee:
                raise Refused(InvalidInput)
            fp = (ids[payer], ids[payee], minutes)
            if key in b.hold_keys:
                if b.hold_keys[key][0] != fp:
                    raise Refused(Conflict)
                return Outcome(hold_replay_of=b.hold_keys[key][1])
            if b.available(payer) < minutes:
                raise Refused(RuleBroken)
            b.held[m(payer)] = b.held.get(m(payer), 0) + minutes
            return Outcome(key=key, fingerprint=fp)

        played = self.play(predict, lambda s: service.hold(
            s, payer_id=ids[payer], payee_id=ids[payee], minutes=minutes, key=key, clock=self.clock,
            entered_by="scheduler"))
        if played:
            outcome, h = played
            if outcome.hold_replay_of is not None:
                assert h.id == outcome.hold_replay_of
            else:
                self.bank.holds[h.id] = HoldRow(payer, payee, minutes)
                self.bank.hold_keys[key] = (outcome.fingerprint, h.id)

    def _some_hold(self, data) -> int:
        return data.draw(st.sampled_from([*sorted(self.bank.holds), 10_000]), label="hold")

    @precondition(lambda self: self.bank.holds)
    @rule(data=st.data(), minutes=st.one_of(st.none(), MINUTES))
    def confirm_help(self, data, minutes):
        """Post a hold, for the booked time or the time both sides agree on."""
        hold_id = self._some_hold(data)
        self.history.append(("confirm_help", hold_id, minutes))
        self._post(hold_id, minutes)

    def _post(self, hold_id, minutes):
        def predict(b: Bank):
            if hold_id not in b.holds:
                raise Refused(NotFound)
            h = b.holds[hold_id]
            if h.state == "posted":
                return Outcome(replay_of=h.transfer_id)
            if h.state == "voided":
                raise Refused(Conflict)
            amount = h.amount if minutes is None else minutes
            b.minutes(amount)
            b.held[m(h.payer)] -= h.amount
            if b.available(h.payer) < amount:
                raise Refused(RuleBroken)
            split = b.earning(amount, h.payee, repays_loan=True)
            h.state = "posted"
            return Outcome(Entry("service", m(h.payer), m(h.payee), amount, {m(h.payer): -amount, **split}),
                           earning=True)

        played = self.play(predict, lambda s: service.post_hold(s, hold_id=hold_id, minutes=minutes,
                                                                clock=self.clock, entered_by="ivr"))
        if played:
            outcome, receipt = played
            self.receipt(outcome, receipt)
            self.bank.holds[hold_id].transfer_id = receipt.transfer_id

    @precondition(lambda self: self.bank.holds)
    @rule(data=st.data())
    def cancel_help(self, data):
        hold_id = self._some_hold(data)
        self.history.append(("cancel_help", hold_id))
        self._void(hold_id)

    def _void(self, hold_id):
        def predict(b: Bank):
            if hold_id not in b.holds:
                raise Refused(NotFound)
            h = b.holds[hold_id]
            if h.state == "posted":
                raise Refused(Conflict)
            if h.state == "pending":
                b.held[m(h.payer)] -= h.amount
                h.state = "voided"
            return Outcome()

        self.play(predict, lambda s: service.void_hold(s, hold_id=hold_id, clock=self.clock, entered_by="t"))

    @rule(days=st.sampled_from([1, 10, 31]))
    def time_passes(self, days):
        self.clock.advance(days=days)

    @rule(months_back=st.integers(0, 3))
    def close_a_month(self, months_back):
        y, mo = self.today.year, self.today.month - months_back
        if mo < 1:
            y, mo = y - 1, mo + 12

        def predict(b: Bank):
            if (y, mo) >= (self.today.year, self.today.month):
                raise Refused(RuleBroken)
            b.closed.add((y, mo))
            return Outcome()

        self.play(predict, lambda s: service.close_month(s, year=y, month=mo, clock=self.clock, closed_by="t"))

    @rule(data=st.data())
    def a_webhook_is_retried(self, data):
        """The same request again, exactly as it was sent the first time."""
        if not self.history:
            return
        name, *args = data.draw(st.sampled_from(self.history), label="retried operation")
        replay = {"pay_for_help": self._pay, "donate": self._donate, "grant_from_the_pool": self._grant,
                  "borrow": self._borrow, "repay": self._repay, "reverse_an_entry": self._reverse,
                  "book_help": self._hold, "confirm_help": self._post, "cancel_help": self._void}[name]
        replay(*args)

    # --- what must always hold -------------------------------------------------------------------------

    @invariant()
    def the_books_check_clean_and_agree_with_the_model(self):
        if self.engine is None:
            return
        b = self.bank
        with self.sessions() as s:
            assert run_checks(load_books(s)) == []
            for i, member_id in enumerate(b.members):
                got = service.balance(s, member_id)
                assert (got.balance, got.held, got.loan_owed) == (b.bal(m(i)), b.held.get(m(i), 0), b.owed(i))
                assert 0 <= got.held <= got.balance <= POLICY.balance_cap_minutes
                assert 0 <= got.loan_owed <= POLICY.loan_limit_minutes
            assert service.pool_balance(s) == b.bal("pool") >= 0
            assert len(s.scalars(select(Transfer.id)).all()) == len(b.entries)
            states = dict(s.execute(select(Hold.id, Hold.state)).all())
            assert states == {i: h.state for i, h in b.holds.items()}
            assert {(c.year, c.month) for c in s.scalars(select(MonthClose))} == b.closed


VillageBank.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.filter_too_much])
test_random_days_at_the_village_bank_keep_the_books_exact = VillageBank.TestCase


def test_a_reversal_that_would_lift_a_member_past_the_cap_is_refused(sqlite_db, clock):
    """ยายสมศรี gives an hour to the pool, earns back up to the cap; reversing the gift would pass it."""
    db = sqlite_db

    def setup(s):
        set_policy(s, balance_cap_minutes=300)
        return [register_member(s, clock=clock, entered_by="t", name=n, phone=p, role=r).id for n, p, r in PEOPLE]
    somsri, somchai, _ = atomic(db.sessions, setup)
    gift = atomic(db.sessions, lambda s: service.donate(s, donor_id=somsri, minutes=60, key="gift", clock=clock,
                                                        entered_by="t"))
    atomic(db.sessions, lambda s: service.borrow(s, member_id=somchai, minutes=120, key="loan", clock=clock,
                                                 entered_by="t"))
    atomic(db.sessions, lambda s: service.transfer(s, payer_id=somchai, payee_id=somsri, minutes=240, key="pay",
                                                   clock=clock, entered_by="t"))
    with pytest.raises(RuleBroken) as err:
        atomic(db.sessions, lambda s: service.reverse(s, transfer_id=gift.transfer_id, key="undo", clock=clock,
                                                      entered_by="manager", reason="บันทึกผิด"))
    assert "เพดาน" in err.value.th
    with db.sessions() as s:
        assert service.balance(s, somsri).balance == 300
        assert run_checks(load_books(s)) == []
