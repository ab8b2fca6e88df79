"""A backup taken while the bank runs restores to a copy whose books check clean."""
import uuid

import pytest
from sqlalchemy import create_engine, text

from ledger import service
from ledger.members import register_member
from tests.databases import drop_postgres, fresh_postgres, migrated_sqlite, postgres_admin_url
from wela.app import create_app
from wela.cli import main
from wela.db import atomic, normalise_url


def _bank_with_history(url, tmp_path, clock):
    app = create_app({"database_url": url, "instance_path": tmp_path / "instance"}, clock=clock)
    w = app.extensions["wela"]

    def work(s):
        somsri = register_member(s, clock=clock, entered_by="t", name="ยายสมศรี", phone="081-234-5678", role="elder")
        somchai = register_member(s, clock=clock, entered_by="t", name="สมชาย", phone="089-111-2233", role="volunteer")
        service.transfer(s, payer_id=somsri.id, payee_id=somchai.id, minutes=90, key="visit-1",
                         clock=clock, entered_by="t")
        service.borrow(s, member_id=somsri.id, minutes=60, key="loan-1", clock=clock, entered_by="t")
    atomic(w.sessions, work)
    return app


def _cli(app, *args):
    return app.test_cli_runner().invoke(main, list(args), obj=_script_info(app))


def _script_info(app):
    from flask.cli import ScriptInfo
    return ScriptInfo(create_app=lambda: app)


def test_a_restored_sqlite_backup_checks_clean(tmp_path, clock):
    app = _bank_with_history(migrated_sqlite(tmp_path), tmp_path, clock)
    out = _cli(app, "backup", "-o", str(tmp_path / "b.sqlite3"))
    assert out.exit_code == 0, out.output
    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    out = _cli(app, "restore", str(tmp_path / "b.sqlite3"), "--to", restored_url, "--yes")
    assert out.exit_code == 0, out.output
    copy = create_app({"database_url": restored_url, "instance_path": tmp_path / "i2"})
    out = _cli(copy, "ledger", "check", "--json")
    assert out.exit_code == 0 and '"ok": true' in out.output
    out = _cli(copy, "ledger", "balance", "081-234-5678", "--json")
    assert '"balance_minutes": 90' in out.output


def test_restoring_something_that_is_not_a_backup_is_refused(tmp_path, clock):
    app = _bank_with_history(migrated_sqlite(tmp_path), tmp_path, clock)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all")
    out = _cli(app, "restore", str(junk), "--to", f"sqlite:///{tmp_path / 'x.sqlite3'}", "--yes")
    assert out.exit_code == 1 and "ไม่ใช่ไฟล์สำรอง" in out.output and "Traceback" not in out.output


@pytest.mark.postgres
def test_a_restored_postgresql_backup_checks_clean(tmp_path, clock):
    url = fresh_postgres()
    empty_name = f"wela_r_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{empty_name}"'))
    admin.dispose()
    empty = url.rsplit("/", 1)[0] + "/" + empty_name
    try:
        app = _bank_with_history(url, tmp_path, clock)
        assert _cli(app, "backup", "-o", str(tmp_path / "b.dump")).exit_code == 0
        out = _cli(app, "restore", str(tmp_path / "b.dump"), "--to", empty, "--yes")
        assert out.exit_code == 0, out.output
        copy = create_app({"database_url": empty, "instance_path": tmp_path / "i2"})
        out = _cli(copy, "ledger", "check", "--json")
        assert out.exit_code == 0 and '"ok": true' in out.output
        copy.extensions["wela"].close()
        app.extensions["wela"].close()
    finally:
        drop_postgres(url)
        drop_postgres(empty)
