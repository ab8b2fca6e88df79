"""Database engines, sessions, migrations and the retrying transaction helper."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ledger.prepared import driver_error

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
        _begin_sqlite(conn.connection.dbapi_connection, reads=conn.get_execution_options().get(READS, False))

    return engine


def _begin_sqlite(dbapi_conn: Any, reads: bool = False) -> None:
    """SQLite's BEGIN for us: a write transaction, or (reads) a snapshot; none when one is open already
    (a ``Tx`` that began on the driver and then made a Connection for a Session)."""
    if not dbapi_conn.in_transaction:
        dbapi_conn.execute("BEGIN" if reads else "BEGIN IMMEDIATE")


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
    def once() -> T:
        with sessions.begin() as s:
            return work(s)
    return _retried(once, attempts)


def add_once(s: Session, find: Callable[[], Optional[T]], make: Callable[[], T]) -> tuple[T, bool]:
    """The row a unique key allows once: the one ``find`` finds, else ``make``'s, added in a SAVEPOINT.

    When a racing transaction commits the same key first, theirs stands and this transaction goes on.
    Returns the row that stands and whether it is the one just made.
    """
    found = find()
    if found is not None:
        return found, False
    row = make()
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
    except IntegrityError:
        found = find()
        if found is None:                        # another constraint refused the row: not a twin
            raise
        return found, False
    return row, True


def _retried(once: Callable[[], T], attempts: int) -> T:
    """Run `once` (one whole transaction) again after a deadlock or a key race, up to `attempts` times."""
    for attempt in range(1, attempts + 1):
        try:
            return once()
        except DBAPIError as exc:
            if attempt == attempts or not _retriable(exc):
                raise
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


class Tx:
    """One transaction on one driver connection from the engine's pool: the phone's hot path.

    A key press that only moves the menu runs a handful of prepared statements (``Prepared``) on the
    driver's connection and pays for neither a SQLAlchemy Connection nor a Session: building,
    beginning, committing and closing a Connection cost a phone step more than its statements. What
    a step needs beyond them joins the same transaction on the same driver connection, made on first
    use: ``tx.conn`` for Core statements, ``tx.session`` for a use case's ORM work (flushed before
    the commit). Driver errors are SQLAlchemy's, as ``Connection.execute`` would raise them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.driver = _driver_call(engine, None, engine.raw_connection)   # the pool's proxy
        self._conn: Optional[Connection] = None
        self._session: Optional[Session] = None

    def begin(self) -> None:
        if self.dialect.name == "sqlite":          # as the engine's "begin" listener: a write transaction
            _driver_call(self.engine, self.driver, lambda: _begin_sqlite(self.driver.dbapi_connection))

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            conn = Connection(self.engine, connection=self.driver)
            conn.begin()                           # the driver is in its transaction: no second BEGIN
            self._conn = conn
        return self._conn

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.conn, join_transaction_mode="rollback_only",
                                    expire_on_commit=False)
        return self._session

    def flushed(self) -> "Tx":
        """This transaction, once whatever the Session holds is written: for a read that must see it."""
        if self._session is not None:
            self._session.flush()
        return self

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()                 # flushes; the transaction itself is ours
        if self._conn is not None:
            self._conn.commit()
        else:
            _driver_call(self.engine, self.driver, self.driver.commit)

    def rollback(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
        else:
            _driver_call(self.engine, self.driver, self.driver.rollback)

    def close(self) -> None:
        """Back to the pool (a Connection made on it closes it)."""
        if self._session is not None:
            self._session.close()
        (self._conn or self.driver).close()


def atomic_tx(engine: Engine, work: Callable[[Tx], T], attempts: int = 5) -> T:
    """``atomic`` for a ``Tx``: one transaction, retried whole on a deadlock or a key race."""
    def once() -> T:
        tx = Tx(engine)
        try:
            tx.begin()
            result = work(tx)
            tx.commit()
            return result
        except BaseException:
            try:
                tx.rollback()
            except DBAPIError:                     # the connection itself failed: the pool drops it
                pass
            raise
        finally:
            tx.close()
    return _retried(once, attempts)


def _driver_call(engine: Engine, driver: Any, call: Callable[[], T]) -> T:
    """``call()``, with a driver error raised as SQLAlchemy's (and a lost connection invalidated)."""
    try:
        return call()
    except engine.dialect.loaded_dbapi.Error as err:
        raise driver_error(engine.dialect, err, driver) from err
