"""Small helpers every CLI command shares: error reporting, JSON output, member lookup."""
from __future__ import annotations

import functools
import getpass
import json
import os
import sys
import uuid
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

import click

from ledger.errors import WelaError


def cli_errors(fn: Callable) -> Callable:
    """A domain error prints its Thai and English message and exits 1; nothing else leaks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WelaError as err:
            click.echo(f"ผิดพลาด: {err.th}\nerror: {err.en}", err=True)
            for column, th, en in err.details.get("errors", [])[1:]:
                click.echo(f"  - {column}: {th} / {en}", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("WELA_DEBUG"):
                raise
            click.echo(f"ขออภัย เกิดข้อผิดพลาดที่ไม่คาดคิด\nunexpected error: {type(exc).__name__}: {exc}",
                       err=True)
            sys.exit(2)

    return wrapper


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return value


def print_json(rows: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> None:
    data = dict(rows) if isinstance(rows, Mapping) else [dict(r) for r in rows]
    click.echo(json.dumps(data, ensure_ascii=False, default=_plain, indent=2))


def print_table(rows: list[Mapping[str, Any]], columns: list[str]) -> None:
    if not rows:
        click.echo("(ไม่มีข้อมูล / nothing)")
        return
    widths = {c: max(len(c), *(len(str(_plain(r.get(c, "")))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(str(_plain(r.get(c, ""))).ljust(widths[c]) for c in columns))


def actor(by: str | None) -> str:
    """Who entered something from the command line."""
    if by:
        return f"cli:{by}"
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def new_key(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
by_option = click.option("--by", default=None, help="who enters this (name of the coordinator)")
