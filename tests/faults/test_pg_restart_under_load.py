"""PostgreSQL restarts while volunteers are being paid: every payment a client saw succeed is in the
books exactly once, none is lost or doubled, and ``wela ledger check`` finds nothing wrong.

How the fault is made real: six threads pay each other round a ring of members through
``ledger.service.transfer`` (each payment with its own idempotency key) against a private cluster
(tests/faults/pgcluster.py), while the main thread restarts the server twice with
``pg_ctl restart`` — once ``fast`` (sessions cut), once ``immediate`` (a crash: recovery from
WAL). A client whose transaction died retries the same key until it gets an answer, as a webhook
retried by Twilio would; a commit whose answer was lost is replayed by its key, not paid again.
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from ledger import service
from ledger.check import load_books, run_checks
from ledger.members import register_member
from ledger.orm import Posting, Transfer
from ledger.settings import set_policy
from tests.faults.pgcluster import wait_until
from wela.app import create_app
from wela.cli import main
from wela.db import atomic, make_engine, make_sessions

pytestmark = pytest.mark.fault

THREADS = 6
MEMBERS = 8
START = 600                # every member starts with 10 hours: nobody runs short, nothing is capped
MAX_MINUTES = 5
RUN_SECONDS = 6.0
RETRY_FOR_SECONDS = 40.0   # a client keeps retrying one key at most this long


def _village(sessions, clock) -> list[int]:  # noqa: ANN001
    def work(s):  # noqa: ANN001, ANN202
        set_policy(s, balance_cap_minutes=100_000, loan_limit_minutes=0, starting_minutes=START)
        return [register_member(s, clock=clock, entered_by="fault", name=f"สมาชิก {i}",
                                phone=f"08{i}-555-02{i:02d}", role="both").id for i in range(MEMBERS)]
    return atomic(sessions, work)


def _pay_until_answered(sessions, clock, payer: int, payee: int, minutes: int, key: str,  # noqa: ANN001
                        retries: Counter) -> int:
    """One payment, retried with the same key through any connection failure; its transfer id."""
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        try:
            return atomic(sessions, lambda s: service.transfer(
                s, payer_id=payer, payee_id=payee, minutes=minutes, key=key, clock=clock,
                entered_by="fault").transfer_id, attempts=3)
        except DBAPIError:
            retries[key] += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_restarting_server_loses_and_doubles_no_payment(cluster, clock, tmp_path):
    url = cluster.fresh_database()
    engine = make_engine(url, pool_size=THREADS, max_overflow=2)
    sessions = make_sessions(engine)
    try:
        ids = _village(sessions, clock)
        seen: dict[str, tuple[int, int, int, int]] = {}       # key → (transfer id, payer, payee, minutes)
        retries: Counter = Counter()
        errors: list[BaseException] = []
        stop = threading.Event()
        lock = threading.Lock()

        def client(n: int) -> None:
            rng = random.Random(n)
            i = 0
            try:
                while not stop.is_set() and i < 10_000:
                    a = rng.randrange(MEMBERS)
                    payer, payee = ids[a], ids[(a + 1 + rng.randrange(MEMBERS - 1)) % MEMBERS]
                    minutes, key = rng.randint(1, MAX_MINUTES), f"fault:{n}:{i}"
                    tid = _pay_until_answered(sessions, clock, payer, payee, minutes, key, retries)
                    with lock:
                        seen[key] = (tid, payer, payee, minutes)
                    i += 1
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(THREADS)]
        for t in threads:
            t.start()
        try:
            time.sleep(RUN_SECONDS / 3)
            cluster.restart("fast")
            time.sleep(RUN_SECONDS / 3)
            cluster.restart("immediate")
            time.sleep(RUN_SECONDS / 3)
        finally:
            stop.set()
            for t in threads:
                t.join(RETRY_FOR_SECONDS + 10)
        assert not [t for t in threads if t.is_alive()], "a client never got an answer"
        assert not errors, errors[:3]
        assert wait_until(lambda: cluster.running(), 10)
        assert sum(retries.values()) > 0, "the restarts never reached a client: the fault did not happen"
        assert len(seen) > 50

        with sessions() as s:
            books = {key: (tid, amount) for key, tid, amount in
                     s.execute(select(Transfer.key, Transfer.id, Transfer.amount).where(Transfer.kind == "service"))}
            legs = Counter(dict(s.execute(select(Posting.transfer_id, func.count())
                                           .group_by(Posting.transfer_id)).all()))
            problems = run_checks(load_books(s))
            balances = {m: service.balance(s, m).balance for m in ids}

        # Every key a client saw succeed is in the books once, under the id the client was told;
        # no payment is there that no client saw.
        assert set(books) == set(seen)
        for key, (tid, _payer, _payee, minutes) in seen.items():
            assert books[key] == (tid, minutes), key
            assert legs[tid] == 2, key                            # one debit and one credit, no more
        # Balances are exactly the starting credits plus what the clients saw paid in, minus out.
        expected = {m: START for m in ids}
        for _tid, payer, payee, minutes in seen.values():
            expected[payer] -= minutes
            expected[payee] += minutes
        assert balances == expected
        assert problems == [], [str(p) for p in problems]
        assert _wela_ledger_check(url, tmp_path) == {"ok": True, "transfers": len(seen) + MEMBERS, "problems": []}
    finally:
        engine.dispose()


def _wela_ledger_check(url: str, tmp_path) -> dict:  # noqa: ANN001
    """`wela ledger check --json` against the restarted server, as the coordinator would run it."""
    app = create_app({"database_url": url, "instance_path": tmp_path / "instance"})
    try:
        result = app.test_cli_runner().invoke(main, ["ledger", "check", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        return {k: report[k] for k in ("ok", "transfers", "problems")}
    finally:
        app.extensions["wela"].close()
