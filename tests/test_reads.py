"""Sessions that only read (`Wela.reads`, pages, listings, `ledger check`) never hold up a writer."""
from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import select, text

from ledger.orm import BankSetting
from wela.db import atomic, make_reads


def _write_in_another_thread(db) -> threading.Thread:  # noqa: ANN001
    def write() -> None:
        atomic(db.sessions, lambda s: s.add(BankSetting(key="note", value="written")))
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_long_read_does_not_keep_a_write_waiting(db):
    with make_reads(db.engine)() as reading:
        assert reading.scalar(select(BankSetting.value).where(BankSetting.key == "note")) is None
        writer = _write_in_another_thread(db)
        writer.join(timeout=5)                 # a writer blocked by the read would wait 30 s
        assert not writer.is_alive()
    with make_reads(db.engine)() as later:
        assert later.scalar(select(BankSetting.value).where(BankSetting.key == "note")) == "written"


def test_on_sqlite_a_read_is_one_snapshot_and_a_write_session_locks_at_once(sqlite_db):
    with make_reads(sqlite_db.engine)() as reading:
        before = reading.scalar(text("select count(*) from bank_settings"))
        _write_in_another_thread(sqlite_db).join(timeout=5)
        assert reading.scalar(text("select count(*) from bank_settings")) == before   # the same snapshot
    with sqlite_db.sessions() as writing:                                             # BEGIN IMMEDIATE
        writing.execute(text("select 1"))
        other = sqlite3.connect(sqlite_db.engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            locked = False
        except sqlite3.OperationalError:                                              # database is locked
            locked = True
        finally:
            other.close()
        assert locked
