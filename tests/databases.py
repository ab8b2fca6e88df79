"""Test databases: a migrated SQLite file per test, and a private PostgreSQL database when one answers."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import create_engine, text

from wela.db import make_engine, normalise_url, upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1/test"
_template: dict[str, Path] = {}


def migrated_sqlite(tmp_path: Path) -> str:
    """A copy of a once-migrated SQLite file: migrations are tested, and cheap per test."""
    if "path" not in _template:
        folder = Path(os.environ.get("PYTEST_TMP_TEMPLATE", "/tmp")) / f"wela-template-{uuid.uuid4().hex}"
        folder.mkdir(parents=True)
        path = folder / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        _template["path"] = path
    target = tmp_path / "wela.sqlite3"
    shutil.copy(_template["path"], target)
    return f"sqlite:///{target}"


def postgres_admin_url() -> str:
    return os.environ.get("WELA_TEST_DATABASE_URL", DEFAULT_PG)


def postgres_available() -> Optional[str]:
    """None when a server answers, else the reason to skip."""
    try:
        engine = create_engine(normalise_url(postgres_admin_url()), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"no PostgreSQL at {postgres_admin_url()}: {type(exc).__name__}"


def fresh_postgres() -> str:
    """Create a private, migrated database on the test server; the caller drops it with `drop_postgres`."""
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    name = f"wela_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = normalise_url(postgres_admin_url())
    url = base.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def drop_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(normalise_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
