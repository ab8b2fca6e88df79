"""Database engines, sessions, migrations and the retrying transaction helper."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"
READS = "wela_reads"                   # execution option: a read-only session (see make_reads)


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we install)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine with the bank's storage rules: SQLite in WAL mode, foreign keys on, writes serialised."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        return create_engine(url, **kwargs)
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None          # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA mmap_size=268435456")  # read pages from a shared map, not a syscall each
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # A write transaction from the first statement: the SQLite form of locking the rows we
        # check, so two postings can never both read the same old balance. Sessions that only
        # read (make_reads) take a plain BEGIN: a WAL snapshot that never holds up a writer.
        # Straight to the driver: this runs before every transaction, and needs no statement machinery.
        reads = conn.get_execution_options().get(READS, False)
        conn.connection.dbapi_connection.execute("BEGIN" if reads else "BEGIN IMMEDIATE")

    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_reads(engine: Engine) -> sessionmaker[Session]:
    """Sessions for looking only (pages, listings, reports, `ledger check`): one consistent snapshot
    that, on SQLite, never takes the write lock, so a long read does not keep callers waiting.
    Nothing written in one is kept: they are never committed."""
    return sessionmaker(engine.execution_options(**{READS: True}), expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to date with Alembic (run on `wela db upgrade`, `serve` and `demo`)."""
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def alembic_config(url: str):  # noqa: ANN201
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _retriable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in ("40001", "40P01"):               # serialization failure, deadlock
        return True
    if isinstance(exc, IntegrityError):          # a racing twin inserted the same idempotency key
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def atomic(sessions: sessionmaker[Session], work: Callable[[Session], T], attempts: int = 5) -> T:
    """Run `work` in one transaction; retry the whole of it on a deadlock or a key race.

    The ledger's use cases replay an idempotency key, so running them again after a lost race
    returns the winner's result instead of writing twice.
    """
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as s:
                return work(s)
        except DBAPIError as exc:
            if attempt == attempts or not _retriable(exc):
                raise
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")
