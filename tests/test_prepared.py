"""Statements prepared once per database (wela.db.Prepared) and the Connection-first transaction (Tx).

The phone's hot path writes a call's rows through the driver's cursor: the values must come back
exactly as the ORM would store and read them (JSON, UTC datetimes, booleans, NULL), on SQLite
and PostgreSQL; a driver error must be SQLAlchemy's; a failed step must leave nothing behind.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.orm import BankSetting
from voice.orm import VoiceCall
from wela.db import Prepared, atomic_tx

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
    call_id = atomic_tx(db.engine, lambda tx: add.first(tx.conn, _call("CA1"))[0])
    row = atomic_tx(db.engine, lambda tx: find.first(tx.conn, {"sid": "CA1"}))
    assert row == (call_id, *_call("CA1").values())
    with db.sessions() as s:
        stored = s.get(VoiceCall, call_id)
        assert (stored.context, stored.tasks, stored.needed_person, stored.started_at, stored.member_id) == \
            (_call("CA1")["context"], ["ask", "balance"], True, STARTED, None)
    assert atomic_tx(db.engine, lambda tx: find.first(tx.conn, {"sid": "nobody"})) is None


def test_the_session_and_the_prepared_statements_commit_together_or_not_at_all(db):
    add, find = _statements(db.engine.dialect)

    def both(tx):  # noqa: ANN001, ANN202
        add.run(tx.conn, _call("CA2"))
        tx.session.add(BankSetting(key="together", value="yes"))

    atomic_tx(db.engine, both)

    def fails(tx):  # noqa: ANN001, ANN202
        add.run(tx.conn, _call("CA3"))
        tx.session.add(BankSetting(key="alone", value="no"))
        tx.flushed()
        raise RuntimeError("the step failed after writing")

    with pytest.raises(RuntimeError):
        atomic_tx(db.engine, fails)
    with db.sessions() as s:
        assert s.get(BankSetting, "together").value == "yes"
        assert s.get(BankSetting, "alone") is None
    assert atomic_tx(db.engine, lambda tx: find.first(tx.conn, {"sid": "CA2"})) is not None
    assert atomic_tx(db.engine, lambda tx: find.first(tx.conn, {"sid": "CA3"})) is None


def test_a_driver_error_is_sqlalchemys_and_changes_nothing(db):
    add, find = _statements(db.engine.dialect)
    atomic_tx(db.engine, lambda tx: add.run(tx.conn, _call("CA4")))
    with pytest.raises(IntegrityError):                      # the same CallSid twice
        atomic_tx(db.engine, lambda tx: add.run(tx.conn, {**_call("CA4"), "node": "changed"}), attempts=1)
    assert atomic_tx(db.engine, lambda tx: find.first(tx.conn, {"sid": "CA4"}))[7] == "main"
