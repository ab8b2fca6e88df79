"""`add_once`: a row its unique key allows once (texts and calls queued by key, callbacks, inbound SMS)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ledger.orm import BankSetting
from wela.db import add_once, atomic


def _find(s, key):  # noqa: ANN001, ANN202
    return lambda: s.scalar(select(BankSetting).where(BankSetting.key == key))


def _value(db, key):  # noqa: ANN001, ANN202
    with db.sessions() as s:
        return s.scalar(select(BankSetting.value).where(BankSetting.key == key))


def test_the_first_is_added_and_a_second_finds_it_without_making_another(db):
    made = []

    def make(value):  # noqa: ANN001, ANN202
        return lambda: made.append(value) or BankSetting(key="k", value=value)

    with db.sessions.begin() as s:
        first, new = add_once(s, _find(s, "k"), make("first"))
        assert new and first.value == "first"
    with db.sessions.begin() as s:
        again, new = add_once(s, _find(s, "k"), make("second"))
        assert not new and again.value == "first"
    assert made == ["first"] and _value(db, "k") == "first"


def test_a_racing_twin_that_commits_the_key_first_stands_and_the_transaction_goes_on(pg_db):
    # Only PostgreSQL can race here: on SQLite a writing session holds the write lock from its
    # first statement, so the twin would wait for it.
    looks = []
    with pg_db.sessions.begin() as s:
        def find():  # noqa: ANN202
            found = _find(s, "k")()
            if not looks:                # the twin commits between our look and our insert
                atomic(pg_db.sessions, lambda other: other.add(BankSetting(key="k", value="theirs")))
            looks.append(found)
            return found

        row, new = add_once(s, find, lambda: BankSetting(key="k", value="ours"))
        assert (row.value, new) == ("theirs", False) and looks[0] is None
        s.add(BankSetting(key="after", value="still written"))
    assert (_value(pg_db, "k"), _value(pg_db, "after")) == ("theirs", "still written")


def test_a_row_refused_for_another_reason_is_an_error_not_a_twin(db):
    with pytest.raises(IntegrityError):
        with db.sessions.begin() as s:
            add_once(s, _find(s, "k"), lambda: BankSetting(key="k", value=None))
    assert _value(db, "k") is None
