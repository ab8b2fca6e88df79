"""Backups: SQLite's online backup API, and pg_dump/pg_restore for PostgreSQL."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from ledger.errors import InvalidInput, WelaError


def _pg_args(url: str) -> list[str]:
    u = make_url(url)
    args = ["--host", u.host or "127.0.0.1", "--port", str(u.port or 5432),
            "--username", u.username or "postgres", "--no-password"]
    return args


def _pg_env(url: str) -> dict[str, str]:
    import os

    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = password
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise WelaError(f"ไม่พบโปรแกรม {name} กรุณาติดตั้ง postgresql-client",
                        f"{name} not found: apt-get install postgresql-client")
    return path


def backup(url: str, target: Path) -> Path:
    """Copy the live database to `target` without stopping the service."""
    u = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    if u.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{u.database}?mode=ro", uri=True)
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest)        # a consistent snapshot, even while others write (WAL)
        finally:
            dest.close()
            source.close()
    elif u.get_backend_name() == "postgresql":
        result = subprocess.run([_tool("pg_dump"), "--format=custom", "--file", str(tmp), *_pg_args(url),
                                 u.database or "postgres"], env=_pg_env(url), capture_output=True, text=True)
        if result.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise WelaError("สำรองข้อมูลไม่สำเร็จ", f"pg_dump failed: {result.stderr.strip()[:500]}")
    else:
        raise InvalidInput("สำรองได้เฉพาะ SQLite และ PostgreSQL", f"cannot back up {u.get_backend_name()}")
    tmp.replace(target)
    return target


def restore(source: Path, url: str) -> None:
    """Put a backup back into the database at `url` (SQLite: a file; PostgreSQL: an empty database)."""
    if not source.is_file():
        raise InvalidInput(f"ไม่พบไฟล์สำรอง {source}", f"no backup file {source}")
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        with open(source, "rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise InvalidInput("ไฟล์นี้ไม่ใช่ไฟล์สำรองของ SQLite", f"{source} is not an SQLite backup")
        target = Path(u.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
        finally:
            dest.close()
            src.close()
        return
    if u.get_backend_name() == "postgresql":
        result = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                                 "--dbname", u.database or "postgres", *_pg_args(url), str(source)],
                                env=_pg_env(url), capture_output=True, text=True)
        if result.returncode != 0:
            raise WelaError("นำข้อมูลสำรองกลับไม่สำเร็จ", f"pg_restore failed: {result.stderr.strip()[:500]}")
        return
    raise InvalidInput("นำกลับได้เฉพาะ SQLite และ PostgreSQL", f"cannot restore into {u.get_backend_name()}")
