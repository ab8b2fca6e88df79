"""Statements prepared once per database (ledger.prepared.Prepared) and the driver-first transaction (Tx).

The phone's hot path writes a call's rows through the driver's cursor: the values must come back
exactly as the ORM would store and read them (JSON, UTC datetimes, booleans, NULL), on SQLite
and PostgreSQL; a driver error must be SQLAlchemy's; a failed step must leave nothing behind.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from ledger.orm import BankSetting
from ledger.prepared import Prepared
from voice.orm import VoiceCall
from wela.db import atomic_tx, make_engine

CALLS = VoiceCall.__table__
COLUMNS = ("call_sid", "direction", "from_phone", "to_phone", "member_id", "order_id", "node", "context",
           "seq", "last_reply", "started_at", "status", "needed_person", "tasks")
STARTED = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=timezone.utc)


def _statements(dialect):  # noqa: ANN001, ANN202
    add = Prepared(insert(CALLS).values({name: bindparam(name) for name in COLUMNS}).returning(CALLS.c.id),
                   dialect)
    find = Prepared(select(*(CALLS.c[name] for name in ("id", *COLUMNS)))
                    .where(CALLS.c.call_sid == bindparam("sid")).with_for_update(), dialect)
    return add, find


def _call(sid: str) -> dict:
    return {"call_sid": sid, "direction": "inbound", "from_phone": "+66812345678", "to_phone": "",
            "member_id": None, "order_id": None, "node": "main",
            "context": {"home": "main", "ชื่อ": "ยายสมศรี", "steps": 3}, "seq": 4, "last_reply": "<Response/>",
            "started_at": STARTED, "status": "in-progress", "needed_person": True, "tasks": ["ask", "balance"]}


def test_values_round_trip_as_the_orm_stores_and_reads_them(db):
    add, find = _statements(db.engine.dialect)
    call_id = atomic_tx(db.engine, lambda tx: add.first(tx, _call("CA1"))[0])
    row = atomic_tx(db.engine, lambda tx: find.first(tx, {"sid": "CA1"}))
    assert row == (call_id, *_call("CA1").values())
    with db.sessions() as s:
        stored = s.get(VoiceCall, call_id)
        assert (stored.context, stored.tasks, stored.needed_person, stored.started_at, stored.member_id) == \
            (_call("CA1")["context"], ["ask", "balance"], True, STARTED, None)
    assert atomic_tx(db.engine, lambda tx: find.first(tx, {"sid": "nobody"})) is None


def test_the_session_and_the_prepared_statements_commit_together_or_not_at_all(db):
    add, find = _statements(db.engine.dialect)

    def both(tx):  # noqa: ANN001, ANN202
        add.run(tx, _call("CA2"))
        tx.session.add(BankSetting(key="together", value="yes"))

    atomic_tx(db.engine, both)

    def fails(tx):  # noqa: ANN001, ANN202
        add.run(tx, _call("CA3"))
        tx.session.add(BankSetting(key="alone", value="no"))
        tx.flushed()
        raise RuntimeError("the step failed after writing")

    with pytest.raises(RuntimeError):
        atomic_tx(db.engine, fails)
    with db.sessions() as s:
        assert s.get(BankSetting, "together").value == "yes"
        assert s.get(BankSetting, "alone") is None
    assert atomic_tx(db.engine, lambda tx: find.first(tx, {"sid": "CA2"})) is not None
    assert atomic_tx(db.engine, lambda tx: find.first(tx, {"sid": "CA3"})) is None


def test_a_driver_error_is_sqlalchemys_and_changes_nothing(db):
    add, find = _statements(db.engine.dialect)
    atomic_tx(db.engine, lambda tx: add.run(tx, _call("CA4")))
    with pytest.raises(IntegrityError):                      # the same CallSid twice
        atomic_tx(db.engine, lambda tx: add.run(tx, {**_call("CA4"), "node": "changed"}), attempts=1)
    assert atomic_tx(db.engine, lambda tx: find.first(tx, {"sid": "CA4"}))[7] == "main"


def test_core_statements_and_prepared_ones_see_each_other_in_one_transaction(db):
    add, find = _statements(db.engine.dialect)

    def both(tx):  # noqa: ANN001, ANN202
        add.run(tx, _call("CA5"))
        seen = tx.conn.execute(select(CALLS.c.node).where(CALLS.c.call_sid == "CA5")).scalar()
        tx.conn.execute(CALLS.update().where(CALLS.c.call_sid == "CA5").values(node="ask"))
        return seen, find.first(tx, {"sid": "CA5"})[7]

    assert atomic_tx(db.engine, both) == ("main", "ask")
    assert atomic_tx(db.engine, lambda tx: find.first(tx, {"sid": "CA5"}))[7] == "ask"


@pytest.mark.parametrize("needs", ["nothing", "conn", "session"])
def test_every_transaction_gives_its_connection_back_to_the_pool(db, needs):
    add, _ = _statements(db.engine.dialect)

    def work(tx):  # noqa: ANN001, ANN202
        add.run(tx, _call(f"CA-{needs}"))
        if needs != "nothing":
            getattr(tx, needs)
        if needs == "session":
            tx.session.add(BankSetting(key=needs, value="x"))
        raise RuntimeError("and then the step failed")

    with pytest.raises(RuntimeError):
        atomic_tx(db.engine, work)
    atomic_tx(db.engine, lambda tx: add.run(tx, _call(f"CA-{needs}-ok")))
    assert db.engine.pool.checkedout() == 0
    with db.sessions() as s:
        assert s.get(BankSetting, needs) is None
        assert [r.call_sid for r in s.query(VoiceCall).all()] == [f"CA-{needs}-ok"]


def test_a_write_lock_held_elsewhere_is_sqlalchemys_locked_error_before_the_step_runs(sqlite_db):
    """SQLite: the driver's BEGIN IMMEDIATE fails as Connection.begin would (retried by atomic_tx's rule)."""
    import sqlite3

    from sqlalchemy import event

    engine = make_engine(sqlite_db.url)

    @event.listens_for(engine, "connect")
    def _short_wait(dbapi_conn, _record):  # noqa: ANN001, ANN202
        dbapi_conn.execute("PRAGMA busy_timeout=50")

    add, find = _statements(engine.dialect)
    ran = []
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            atomic_tx(engine, lambda tx: ran.append(add.run(tx, _call("CA6"))), attempts=1)
    finally:
        holder.rollback()
        holder.close()
    assert ran == [] and engine.pool.checkedout() == 0
    atomic_tx(engine, lambda tx: add.run(tx, _call("CA6")))
    assert atomic_tx(engine, lambda tx: find.first(tx, {"sid": "CA6"})) is not None
    engine.dispose()
