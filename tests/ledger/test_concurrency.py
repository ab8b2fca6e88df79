"""Many threads paying, holding, lending and retrying against few accounts: the books stay exact."""
import random
import threading

import pytest
from sqlalchemy import func, select

from ledger import service
from ledger.check import load_books, run_checks
from ledger.errors import WelaError
from ledger.members import register_member
from ledger.orm import Hold, Transfer
from ledger.settings import set_policy
from wela.db import atomic

THREADS = 8
OPS_PER_THREAD = 40


def _members(db, clock, n=5):
    def work(s):
        set_policy(s, balance_cap_minutes=400, loan_limit_minutes=120, starting_minutes=120)
        return [register_member(s, clock=clock, entered_by="t", name=f"สมาชิก {i}",
                                phone=f"08{i}-555-01{i:02d}", role="both").id for i in range(n)]
    return atomic(db.sessions, work)


def _operation(rng, ids, thread, i):
    a, b = rng.sample(ids, 2)
    minutes = rng.choice([15, 30, 45, 60, 90, 120])
    key = f"op-{thread}-{i}"
    kind = rng.choice(["transfer", "transfer", "hold", "borrow", "donate", "repay"])
    return kind, a, b, minutes, key


def _do(db, clock, kind, a, b, minutes, key, outcomes):
    def work(s):
        if kind == "transfer":
            return service.transfer(s, payer_id=a, payee_id=b, minutes=minutes, key=key, clock=clock,
                                    entered_by="t").transfer_id
        if kind == "borrow":
            return service.borrow(s, member_id=a, minutes=minutes, key=key, clock=clock, entered_by="t").transfer_id
        if kind == "repay":
            return service.repay(s, member_id=a, minutes=minutes, key=key, clock=clock, entered_by="t").transfer_id
        if kind == "donate":
            return service.donate(s, donor_id=a, minutes=minutes, key=key, clock=clock, entered_by="t").transfer_id
        h = service.hold(s, payer_id=a, payee_id=b, minutes=minutes, key=key, clock=clock, entered_by="t")
        return ("hold", h.id)
    try:
        result = atomic(db.sessions, work, attempts=20)
    except WelaError:
        return None
    outcomes.append((key, result))
    return result


def _finish_hold(db, clock, hold_id, post, outcomes):
    def work(s):
        if post:
            return service.post_hold(s, hold_id=hold_id, clock=clock, entered_by="t").transfer_id
        service.void_hold(s, hold_id=hold_id, clock=clock, entered_by="t")
        return None
    try:
        tid = atomic(db.sessions, work, attempts=20)
    except WelaError:
        return
    if tid is not None:
        outcomes.append((f"hold:{hold_id}", tid))


def _hammer(db, clock, ids, seed):
    outcomes: list = []
    errors: list = []

    def worker(t):
        rng = random.Random(seed * 100 + t)
        try:
            for i in range(OPS_PER_THREAD):
                op = _operation(rng, ids, t, i)
                result = _do(db, clock, *op, outcomes)
                if rng.random() < 0.5:          # a retried webhook: the same key again
                    _do(db, clock, *op, outcomes)
                if isinstance(result, tuple):
                    post = rng.random() < 0.6
                    _finish_hold(db, clock, result[1], post, outcomes)
                    if rng.random() < 0.5:
                        _finish_hold(db, clock, result[1], post, outcomes)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    return outcomes


def _assert_exact(db, outcomes):
    with db.sessions() as s:
        problems = run_checks(load_books(s))
        keys = dict(s.execute(select(Transfer.key, Transfer.id)).all())
        assert s.scalar(select(func.count(Hold.id)).where(Hold.state == "pending")) >= 0
    assert problems == [], problems
    # every success a client saw is in the books, under the one id it was told, and only once
    seen: dict = {}
    for key, result in outcomes:
        if isinstance(result, tuple):
            continue
        seen.setdefault(key, set()).add(result)
    for key, ids in seen.items():
        assert len(ids) == 1, f"{key} answered with two different transfers {ids}"
        assert keys[key] == ids.pop()
    assert all(k in seen or k.startswith("opening:") for k in keys)


def test_concurrent_postings_with_retries_keep_the_books_exact_on_sqlite(sqlite_db, clock):
    ids = _members(sqlite_db, clock)
    _assert_exact(sqlite_db, _hammer(sqlite_db, clock, ids, seed=1))


@pytest.mark.postgres
def test_concurrent_postings_with_retries_keep_the_books_exact_on_postgresql(pg_db, clock):
    ids = _members(pg_db, clock)
    _assert_exact(pg_db, _hammer(pg_db, clock, ids, seed=2))
