"""Shared fixtures: a fake clock, migrated databases (SQLite always, PostgreSQL when it answers)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.clock import BANGKOK, FakeClock
from tests.databases import drop_postgres, fresh_postgres, migrated_sqlite
from wela.db import make_engine, make_sessions

pytest_plugins: list[str] = []


@pytest.fixture
def clock() -> FakeClock:
    """Saturday 21 November 2026 (พ.ศ. 2569), nine in the morning in Bangkok."""
    return FakeClock(datetime(2026, 11, 21, 9, 0, tzinfo=BANGKOK))


@dataclass
class Db:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name


def _open(url: str) -> Db:
    engine = make_engine(url)
    return Db(url, engine, make_sessions(engine))


@pytest.fixture
def sqlite_db(tmp_path) -> Db:
    db = _open(migrated_sqlite(tmp_path))
    yield db
    db.engine.dispose()


@pytest.fixture
def pg_db() -> Db:
    url = fresh_postgres()
    db = _open(url)
    yield db
    db.engine.dispose()
    drop_postgres(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> Db:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        d = _open(migrated_sqlite(tmp_path))
        yield d
        d.engine.dispose()
    else:
        url = fresh_postgres()
        d = _open(url)
        yield d
        d.engine.dispose()
        drop_postgres(url)
