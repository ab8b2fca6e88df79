"""Ledger benchmarks: payments per second with every rule on, and balance reads beside 1,000,000 postings.

Every figure is measured beside its baseline in the same run, on the same engine settings
(`wela.db.make_engine`: SQLite in WAL mode with BEGIN IMMEDIATE, PostgreSQL through psycopg 3):

* **transfers/s** — `ledger.service.transfer` inside `wela.db.atomic`, one transaction per payment
  (row locks, idempotency key, loan-repayment and cap split, zero-sum postings, stored balances),
  against a bare INSERT of the same rows: one transfer row and its two postings, one transaction
  each. Target: at least 40 % of the bare-insert rate.
* **balance read** — `ledger.service.balance` in its own session, with 1,000,000 postings in the
  table (bulk-loaded as balanced pairs, so `wela ledger check` passes), median and p99 in ms,
  against a bare primary-key SELECT on that postings table done the same way. Target: < 2 ms.

Run ``python -m bench.ledger [--postgres-url URL] [--postings N]``; ``run()`` returns the rows
for ``python -m bench``. PostgreSQL runs in a private database made on the given server (default:
``WELA_TEST_DATABASE_URL`` or ``postgresql://postgres@127.0.0.1/test``) and dropped afterwards; when
no server answers, those rows say why they were skipped.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Optional

from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.orm import Session

from ledger import service
from ledger.clock import SystemClock, local_date
from ledger.members import register_member
from ledger.orm import Account, Posting, Transfer
from ledger.settings import set_policy
from wela.db import atomic, make_engine, make_reads, make_sessions, normalise_url, upgrade

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1/test"
TRANSFERS = 1500           # payments per measurement (per variant, per database)
THREADS = 2                # client threads: the machine this was written for has two cores
POSTINGS = 1_000_000
READ_MEMBERS = 1000
READ_SAMPLES = 3000
STARTING = 1200            # starting credits in the payment benchmark: nobody runs dry


# --- databases ---------------------------------------------------------------------------------------

@contextmanager
def sqlite_database() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="wela-bench-")
    try:
        url = f"sqlite:///{folder}/bench.sqlite3"
        _migrate(url)
        yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def postgres_unavailable(admin_url: str) -> Optional[str]:
    try:
        engine = create_engine(normalise_url(admin_url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"no PostgreSQL at {admin_url}: {type(exc).__name__}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A private, migrated database on the server (as tests/databases.fresh_postgres), dropped after."""
    name = f"wela_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(admin_url).rsplit("/", 1)[0] + "/" + name
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


# --- payments per second --------------------------------------------------------------------------------

def _phone(i: int) -> str:
    return f"0891{i:06d}"


def _village(engine: Engine, members: int) -> list[int]:
    """Members registered through the use case, with enough credits to pay all day."""
    clock = SystemClock()
    sessions = make_sessions(engine)

    def work(s: Session) -> list[int]:
        set_policy(s, starting_minutes=STARTING, balance_cap_minutes=2400)
        return [register_member(s, clock=clock, entered_by="bench", name=f"สมาชิก {i}", phone=_phone(i),
                                role="both").id for i in range(members)]
    return atomic(sessions, work)


def _rings(ids: list[int], threads: int) -> list[list[int]]:
    """Each thread pays around its own ring of members: member k pays k+1, so balances stay level."""
    return [ids[t::threads] for t in range(threads)]


def _run_threads(threads: int, ks: range, one: Callable[[int, int], None]) -> float:
    """Run operation `k` for every k in `ks`, split over `threads`; the elapsed wall time in seconds."""
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for k in ks[t::threads]:
                one(t, k)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def service_payment(engine: Engine, threads: int) -> Callable[[int, int], None]:
    """Payment `k` through ledger.service.transfer in its own transaction, every rule on."""
    rings = _rings(_village(engine, 8 * threads), threads)
    sessions = make_sessions(engine)
    clock = SystemClock()

    def pay(t: int, k: int) -> None:
        ring, i = rings[t], k // len(rings)          # thread t does every len(rings)-th payment
        a, b = ring[i % len(ring)], ring[(i + 1) % len(ring)]
        atomic(sessions, lambda s: service.transfer(s, payer_id=a, payee_id=b, minutes=1, key=f"bench:{k}",
                                                    clock=clock, entered_by="bench"))
    return pay


def bare_payment(engine: Engine, threads: int) -> Callable[[int, int], None]:
    """The same rows, bare: one transfer row and its two postings per transaction, nothing else."""
    rings = _rings(_village(engine, 8 * threads), threads)
    with engine.connect() as conn:
        accounts = dict(conn.execute(select(Account.member_id, Account.id).where(Account.kind == "member")).all())
    transfers, postings = Transfer.__table__, Posting.__table__
    today = local_date(datetime.now(timezone.utc))

    def insert_one(t: int, k: int) -> None:
        ring, i = rings[t], k // len(rings)
        a, b = accounts[ring[i % len(ring)]], accounts[ring[(i + 1) % len(ring)]]
        with engine.begin() as conn:
            tid = conn.execute(insert(transfers).returning(transfers.c.id), {
                "key": f"bench:{k}", "fingerprint": "0" * 64, "kind": "service", "from_account_id": a,
                "to_account_id": b, "amount": 1, "effective_on": today, "created_at": datetime.now(timezone.utc),
                "entered_by": "bench", "on_behalf_of_id": None, "reason": "", "reverses_id": None}).scalar_one()
            conn.execute(insert(postings), [{"transfer_id": tid, "account_id": a, "amount": -1},
                                            {"transfer_id": tid, "account_id": b, "amount": 1}])
    return insert_one


def payments_per_second(database: Callable, count: int, threads: int, rounds: int = 6) -> tuple[float, float]:
    """(service rate, bare-insert rate), measured in alternating rounds so both see the same machine."""
    with database() as service_url, database() as bare_url:
        engines = [make_engine(service_url), make_engine(bare_url)]
        try:
            ops = [service_payment(engines[0], threads), bare_payment(engines[1], threads)]
            for op in ops:                               # warm the pools, caches and statements
                _run_threads(threads, range(count, count + 20 * threads), op)
            elapsed = [0.0, 0.0]
            step = max(1, count // rounds)
            for first in range(0, count, step):
                ks = range(first, min(count, first + step))
                for i, op in enumerate(ops):
                    elapsed[i] += _run_threads(threads, ks, op)
            return count / elapsed[0], count / elapsed[1]
        finally:
            for engine in engines:
                engine.dispose()


# --- balance reads beside a million postings -----------------------------------------------------------------

def bulk_load(engine: Engine, postings: int, members: int = READ_MEMBERS) -> int:
    """Members with their starting 2 hours, then balanced pairs of 1-minute payments (a→b, b→a).

    Written straight to the tables (COPY on PostgreSQL, executemany on SQLite), never through the
    service, and consistent: stored balances equal the postings and no limit is ever crossed, so
    `wela ledger check` passes. Returns the number of postings written.
    """
    start = 120
    pairs = max(0, (postings - 2 * members) // 4)
    sqlite = engine.dialect.name == "sqlite"
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    first_day = local_date(now) - timedelta(days=365)
    per_day = max(1, (2 * pairs) // 365 + 1)
    # values as each driver takes them in bulk: SQLite gets SQLAlchemy's own text forms
    days = [first_day + timedelta(days=d) for d in range(367)]
    if sqlite:
        days = [d.isoformat() for d in days]
    stamp: object = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now

    with engine.connect() as conn:
        system = dict(conn.execute(select(Account.code, Account.id)).all())   # pool and issuance
    issuance, first = system["issuance"], max(system.values()) + 1
    member_account = [first + 2 * i for i in range(members)]
    loan_account = [first + 2 * i + 1 for i in range(members)]
    partners = []
    for _ in range(pairs):
        a = rng.randrange(members)
        partners.append((member_account[a], member_account[(a + 1 + rng.randrange(members - 1)) % members]))

    member_rows = [(i + 1, f"สมาชิก {i + 1}", f"+6689{i + 1:07d}", "", None, "both", None, "[]", "", "", "{}",
                    False, None, "", "active", None, None, stamp) for i in range(members)]
    account_rows = []
    for i in range(members):
        account_rows.append((member_account[i], f"member:{i + 1}", "member", i + 1, start, 0))
        account_rows.append((loan_account[i], f"loan:{i + 1}", "loan", i + 1, 0, 0))

    def transfer_rows() -> Iterator[tuple]:
        for i in range(members):
            yield (i + 1, f"opening:{i + 1}", "0" * 64, "opening", issuance, member_account[i], start, days[0],
                   stamp, "bench", None, "", None)
        tid = members
        for p, (a, b) in enumerate(partners):
            day = days[(2 * p) // per_day]
            yield (tid + 1, f"bulk:{tid + 1}", "0" * 64, "service", a, b, 1, day, stamp, "bench", None, "", None)
            yield (tid + 2, f"bulk:{tid + 2}", "0" * 64, "service", b, a, 1, day, stamp, "bench", None, "", None)
            tid += 2

    def posting_rows() -> Iterator[tuple]:
        for i in range(members):
            yield (2 * i + 1, i + 1, issuance, -start)
            yield (2 * i + 2, i + 1, member_account[i], start)
        tid, pid = members, 2 * members
        for a, b in partners:
            yield (pid + 1, tid + 1, a, -1)
            yield (pid + 2, tid + 1, b, 1)
            yield (pid + 3, tid + 2, b, -1)
            yield (pid + 4, tid + 2, a, 1)
            tid, pid = tid + 2, pid + 4

    member_cols = ("id, name, phone, village, moo, role, birth_year, skills, needs, health_notes, availability, "
                   "speak_slowly, consent_on, consent_by, status, paused_until, pin_hash, joined_at")
    transfer_cols = ("id, key, fingerprint, kind, from_account_id, to_account_id, amount, effective_on, "
                     "created_at, entered_by, on_behalf_of_id, reason, reverses_id")
    tables = [("members", member_cols, lambda: iter(member_rows)),
              ("accounts", "id, code, kind, member_id, balance, held", lambda: iter(account_rows)),
              ("transfers", transfer_cols, transfer_rows),
              ("postings", "id, transfer_id, account_id, amount", posting_rows)]
    if sqlite:
        _executemany_sqlite(engine, tables)
    else:
        _copy_postgres(engine, tables)
    with engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET balance = :b WHERE code = 'issuance'"), {"b": -start * members})
        conn.exec_driver_sql("ANALYZE")              # fresh statistics, as after a nightly vacuum
    return 2 * members + 4 * pairs


def _bulk_ddl(engine: Engine) -> tuple[list[str], list[str]]:
    """DDL to drop, then rebuild, the secondary indexes (and on PostgreSQL the foreign keys) of the
    two big tables: a bulk load builds them once at the end instead of row by row."""
    from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

    tables = (Transfer.__table__, Posting.__table__)
    indexes = [ix for t in tables for ix in sorted(t.indexes, key=lambda i: i.name)]
    drop = [DropIndex(ix) for ix in indexes]
    build = [CreateIndex(ix) for ix in indexes]
    if engine.dialect.name == "postgresql":
        fks = [fk for t in tables for fk in sorted(t.foreign_key_constraints, key=lambda c: c.name)]
        drop += [DropConstraint(fk) for fk in fks]
        build += [AddConstraint(fk) for fk in fks]          # re-added = checked over every row
    return ([str(d.compile(dialect=engine.dialect)) for d in drop],
            [str(b.compile(dialect=engine.dialect)) for b in build])


def _executemany_sqlite(engine: Engine, tables) -> None:  # noqa: ANN001
    drop, build = _bulk_ddl(engine)
    raw = engine.raw_connection()
    try:
        db = raw.driver_connection
        db.execute("PRAGMA foreign_keys=OFF")             # checked once, below, instead of per row
        db.execute("BEGIN IMMEDIATE")
        for statement in drop:
            db.execute(statement)
        for table, cols, rows in tables:
            marks = ", ".join("?" for _ in cols.split(","))
            batch: list[tuple] = []
            for row in rows():
                batch.append(row)
                if len(batch) == 50_000:
                    db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                    batch.clear()
            if batch:
                db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
        for statement in build:
            db.execute(statement)
        db.commit()
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        db.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise AssertionError(f"bulk load broke {len(broken)} foreign keys")
    finally:
        raw.close()


def _copy_postgres(engine: Engine, tables) -> None:  # noqa: ANN001
    drop, build = _bulk_ddl(engine)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            for statement in drop:
                cur.execute(statement)
            for table, cols, rows in tables:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows():
                        copy.write_row(row)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            for statement in build:
                cur.execute(statement)
        conn.commit()
    finally:
        raw.close()


def books_consistent(engine: Engine) -> bool:
    """Stored balances equal the sum of their postings, and every transfer sums to zero."""
    with engine.connect() as conn:
        drift = conn.execute(text(
            "SELECT count(*) FROM accounts a LEFT JOIN (SELECT account_id, sum(amount) AS total FROM postings "
            "GROUP BY account_id) p ON p.account_id = a.id WHERE a.balance <> coalesce(p.total, 0)")).scalar()
        unbalanced = conn.execute(text(
            "SELECT count(*) FROM (SELECT transfer_id FROM postings GROUP BY transfer_id "
            "HAVING sum(amount) <> 0) t")).scalar()
    return drift == 0 and unbalanced == 0


def _timings(samples: int, *reads: Callable[[], None]) -> list[list[float]]:
    """Milliseconds per call of each read, the reads taken in turn so that both see the same machine."""
    for _ in range(min(200, samples)):
        for read in reads:
            read()
    out: list[list[float]] = [[] for _ in reads]
    for _ in range(samples):
        for read, times in zip(reads, out):
            t = time.perf_counter()
            read()
            times.append((time.perf_counter() - t) * 1000)
    return out


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def balance_reads(url: str, postings: int, samples: int = READ_SAMPLES, full_check: bool = False) -> dict:
    """Bulk-load the books, then time balance reads beside bare primary-key reads of postings.

    With `full_check`, also time `wela ledger check` over the whole books (beside a bare read of
    every posting) and report whether it passes.
    """
    engine = make_engine(url)
    try:
        t = time.perf_counter()
        written = bulk_load(engine, postings)
        load_seconds = time.perf_counter() - t
        consistent = books_consistent(engine)
        sessions = make_reads(engine)                 # as pages and the CLI read
        rng = random.Random(11)
        with engine.connect() as conn:
            members = conn.execute(select(Account.member_id).where(Account.kind == "member")).scalars().all()
            top = conn.execute(text("SELECT max(id) FROM postings")).scalar()

        def read_balance() -> None:
            member_id = rng.choice(members)
            with sessions() as s:
                service.balance(s, member_id)

        def read_posting() -> None:
            pid = rng.randint(1, top)
            with engine.connect() as conn:
                conn.execute(text("SELECT amount FROM postings WHERE id = :id"), {"id": pid}).scalar()

        figure, baseline = _timings(samples, read_balance, read_posting)
        result = {"postings": written, "load_seconds": load_seconds, "consistent": consistent,
                  "median": statistics.median(figure), "p99": _p99(figure),
                  "base_median": statistics.median(baseline), "base_p99": _p99(baseline)}
        if full_check:
            result.update(_full_check(engine))
        return result
    finally:
        engine.dispose()


def _full_check(engine: Engine) -> dict:
    """`wela ledger check` over the loaded books, beside a bare read of every posting."""
    from ledger.check import load_books, run_checks

    t = time.perf_counter()
    with make_sessions(engine)() as s:
        problems = run_checks(load_books(s))
    check_seconds = time.perf_counter() - t
    t = time.perf_counter()
    with engine.connect() as conn:
        for _ in conn.execution_options(yield_per=50_000).exec_driver_sql(
                "SELECT transfer_id, account_id, amount FROM postings ORDER BY transfer_id, id"):
            pass
    return {"check_seconds": check_seconds, "scan_seconds": time.perf_counter() - t, "problems": len(problems)}


# --- the run -------------------------------------------------------------------------------------------------

def _targets(postgres_url: Optional[str]) -> list[tuple[str, Optional[Callable], str]]:
    targets: list[tuple[str, Optional[Callable], str]] = [("SQLite", sqlite_database, "")]
    admin = postgres_url or os.environ.get("WELA_TEST_DATABASE_URL") or DEFAULT_POSTGRES
    reason = postgres_unavailable(admin)
    if reason:
        targets.append(("PostgreSQL", None, f"skipped: {reason}"))
    else:
        targets.append(("PostgreSQL", lambda: postgres_database(admin), ""))
    return targets


def run(postgres_url: Optional[str] = None, *, postings: int = POSTINGS, transfers: int = TRANSFERS,
        threads: int = THREADS, full_check: bool = False) -> list[dict]:
    """Measure everything; rows of {"benchmark", "figure", "baseline", "ratio", "unit", "note"}.

    `postgres_url` names a server to make a private database on (None: ``WELA_TEST_DATABASE_URL``
    or the local default); its rows say "skipped" with the reason when no server answers.
    """
    rows: list[dict] = []
    for name, database, skipped in _targets(postgres_url):
        if database is None:
            for what in ("transfers/s", "balance read"):
                rows.append(_row(f"{what}, {name}", None, None, "", skipped))
            print(f"{name}: {skipped}")
            continue
        fig, base = payments_per_second(database, transfers, threads)
        rows.append(_row(f"transfers/s, {name} (service.transfer, all rules, {threads} threads)", fig, base,
                         "transfers/s", f"baseline: bare INSERT of 1 transfer + 2 postings per transaction; "
                                        f"target ratio ≥ 40 % ({'met' if fig / base >= 0.4 else 'NOT met'})"))
        with database() as url:
            r = balance_reads(url, postings, full_check=full_check)
        books = "balances consistent" if r["consistent"] else "BALANCES INCONSISTENT"
        rows.append(_row(f"balance read median, {name}, {r['postings']:,} postings", r["median"], r["base_median"],
                         "ms", f"baseline: bare primary-key SELECT on postings; {books}; "
                               f"bulk load {r['load_seconds']:.1f} s"))
        rows.append(_row(f"balance read p99, {name}, {r['postings']:,} postings", r["p99"], r["base_p99"], "ms",
                         f"target < 2 ms ({'met' if r['p99'] < 2 else 'NOT met'})"))
        if full_check:
            verdict = "the books check clean" if r["problems"] == 0 else f"{r['problems']} PROBLEMS"
            rows.append(_row(f"ledger check, {name}, {r['postings']:,} postings", r["check_seconds"],
                             r["scan_seconds"], "s", f"baseline: bare ordered read of every posting; {verdict}"))
    return rows


def _row(benchmark: str, figure: Optional[float], baseline: Optional[float], unit: str, note: str) -> dict:
    ratio = figure / baseline if figure is not None and baseline else None
    return {"benchmark": benchmark, "figure": figure, "baseline": baseline, "ratio": ratio, "unit": unit,
            "note": note}


def markdown(rows: list[dict]) -> str:
    def num(v: Optional[float], unit: str) -> str:
        if v is None:
            return "—"
        if unit == "ms":
            return f"{v:.3f}"
        return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

    lines = ["| benchmark | figure | baseline | ratio | unit | note |", "|---|---:|---:|---:|---|---|"]
    for r in rows:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.0%}"
        lines.append(f"| {r['benchmark']} | {num(r['figure'], r['unit'])} | {num(r['baseline'], r['unit'])} "
                     f"| {ratio} | {r['unit']} "
                     f"| {r['note']} |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default=None,
                        help=f"a PostgreSQL server to make a private database on (default {DEFAULT_POSTGRES})")
    parser.add_argument("--postings", type=int, default=POSTINGS, help="postings in the table for balance reads")
    parser.add_argument("--transfers", type=int, default=TRANSFERS, help="payments per measurement")
    parser.add_argument("--threads", type=int, default=THREADS, help="client threads for the payments")
    parser.add_argument("--check", action="store_true", help="also time `wela ledger check` over the books")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.postgres_url, postings=args.postings, transfers=args.transfers, threads=args.threads,
               full_check=args.check)
    print(markdown(rows))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{time.perf_counter() - started:.0f} s on {os.cpu_count()} cores, load average {load:.1f} at the end")


if __name__ == "__main__":
    main()
