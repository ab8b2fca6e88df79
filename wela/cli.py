"""`wela`: the one command line (Flask's click group) with a sub-command group per area."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from wela.app import create_app, wela
from wela.cli_support import cli_errors, print_json

COMMAND_MODULES = ("wela.cli_members", "wela.cli_ledger", "wela.cli_scheduler", "wela.cli_sms",
                   "wela.cli_voice", "wela.cli_speech", "wela.cli_admin", "wela.cli_backup")


def _make_app(*_args: object, **_kwargs: object):  # noqa: ANN202
    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Wela (เวลา) — ธนาคารเวลาของหมู่บ้าน / a village time bank."""


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@cli_errors
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    wela().upgrade()
    click.echo(f"ฐานข้อมูลพร้อมแล้ว / database is up to date: {wela().engine.url.render_as_string()}")


@main.command("demo")
@cli_errors
def demo() -> None:
    """Create or refresh the demo village (idempotent)."""
    from wela.demo import load_demo

    w = wela()
    w.upgrade()
    for line in load_demo(w):
        click.echo(line)


THREADS = 8        # `wela serve`: one worker's threads (SQLite takes one writer at a time)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=THREADS, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="do not run the job runner inside this process")
@cli_errors
def serve(host: str, port: int, threads: int, no_scheduler: bool) -> None:
    """Run the service (web pages and Twilio webhooks) with a production server."""
    from wela.server import serve as run_server

    w = wela()
    w.upgrade()
    run_server(host=host, port=port, threads=threads,
               scheduler=w.settings.scheduler_in_serve and not no_scheduler)


@main.command("report")
@click.option("--json", "as_json", is_flag=True)
@cli_errors
def report(as_json: bool) -> None:
    """The bank at a glance: hours given, active members, hoarding, zero balances, loans, pool."""
    from ledger.clock import local_date
    from ledger.reports import hours_per_month, summary
    from prompts_th.thai_text import minutes_text

    w = wela()
    today = local_date(w.clock.now())
    with w.reads() as s:
        sm = summary(s, today)
        months = hours_per_month(s, today, months=6)
    data = {
        "members": sm.members, "pool_minutes": sm.pool,
        "months": [{"year": m.year, "month": m.month, "minutes_given": m.minutes_given,
                    "givers": m.givers, "receivers": m.receivers} for m in months],
        "near_cap": [vars(f) for f in sm.near_cap], "at_zero": [vars(f) for f in sm.at_zero],
        "open_loans": [vars(f) for f in sm.open_loans],
    }
    if as_json:
        print_json(data)
        return
    click.echo(f"สมาชิก {sm.members} คน · กองกลาง {minutes_text(sm.pool)}")
    click.echo("ชั่วโมงที่ให้บริการต่อเดือน / hours given per month:")
    for m in months:
        click.echo(f"  {m.month:02d}/{m.year + 543}: {minutes_text(m.minutes_given):<22} "
                   f"ผู้ให้ {m.givers} คน · ผู้รับ {m.receivers} คน")
    for title, rows in (("ใกล้เพดานเวลาสะสม / near the cap", sm.near_cap),
                        ("เวลาคงเหลือเป็นศูนย์ / at zero", sm.at_zero),
                        ("ยืมเวลาค้างอยู่ / open loans", sm.open_loans)):
        click.echo(f"{title}: {len(rows)}")
        for f in rows[:20]:
            click.echo(f"  #{f.member_id} {f.name} ({f.village}) {minutes_text(f.minutes)}")


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(main)


_register_commands()
