"""`wela backup` and `wela restore`."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import click
from flask.cli import with_appcontext

from wela.app import wela
from wela.backup import backup, restore
from wela.cli_support import cli_errors
from wela.db import normalise_url


def register(main: click.Group) -> None:
    main.add_command(backup_cmd)
    main.add_command(restore_cmd)


@click.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="file to write (default: instance/backups/wela-<time>.sqlite3 or .dump)")
@with_appcontext
@cli_errors
def backup_cmd(output: Optional[Path]) -> None:
    """Back up the database while the service runs (SQLite online backup; pg_dump for PostgreSQL)."""
    w = wela()
    url = w.engine.url.render_as_string(hide_password=False)
    if output is None:
        suffix = ".sqlite3" if w.engine.dialect.name == "sqlite" else ".dump"
        output = w.settings.instance_path / "backups" / f"wela-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    path = backup(url, output)
    click.echo(f"สำรองข้อมูลแล้ว / backed up to {path}")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", default=None, help="database URL to restore into (default: DATABASE_URL)")
@click.option("--yes", is_flag=True, help="do not ask: the target's current data is replaced")
@with_appcontext
@cli_errors
def restore_cmd(source: Path, target: Optional[str], yes: bool) -> None:
    """Restore a backup. Stop the service first; run `wela ledger check` afterwards."""
    url = normalise_url(target) if target else wela().engine.url.render_as_string(hide_password=False)
    if not yes:
        click.confirm(f"แทนที่ข้อมูลใน {url} ด้วย {source}? / replace the data?", abort=True)
    wela().engine.dispose()
    restore(source, url)
    click.echo(f"นำข้อมูลกลับแล้ว / restored {source} into {url}; now run: wela ledger check")
