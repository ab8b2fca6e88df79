"""`wela scheduler …` (the job runner) and the registration of `wela requests …`."""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Optional

import click
from flask.cli import AppGroup

from wela.app import wela
from wela.cli_requests import requests_group
from wela.cli_support import cli_errors, json_option, print_json


def register(main: click.Group) -> None:
    main.add_command(requests_group)
    main.add_command(scheduler_group)


# --- wela scheduler ---------------------------------------------------------------------

@click.group("scheduler", cls=AppGroup)
def scheduler_group() -> None:
    """The job runner: offers, expiry, reminders, confirmation calls."""


@scheduler_group.command("run")
@click.option("--every", "seconds", type=float, default=None,
              help="seconds between ticks (default WELA_SCHEDULER_SECONDS or 15)")
@cli_errors
def run(seconds: Optional[float]) -> None:
    """Run the scheduler in the foreground until Ctrl+C (use with `wela serve --no-scheduler`)."""
    from wela.runner import interval_seconds, run_forever

    w = wela()
    w.upgrade()
    click.echo(f"ตัวจัดงานกำลังทำงาน ทุก {interval_seconds(w, seconds):g} วินาที (กด Ctrl+C เพื่อหยุด) / "
               "scheduler running", err=True)
    run_forever(w, seconds=seconds)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


@scheduler_group.command("tick")
@json_option
@cli_errors
def tick(as_json: bool) -> None:
    """One pass of the scheduler now; prints what it did."""
    from wela.wiring import runner

    out = {k: _plain(v) for k, v in runner(wela()).tick().items()}
    if as_json:
        print_json(out)
        return
    labels = {"recurring": "คำขอประจำที่สร้าง / recurring requests planned",
              "match": "ข้อเสนองานที่ส่ง / offers sent",
              "near": "ใกล้เวลาแต่ยังไม่มีผู้ช่วย / near and unassigned"}
    for name, value in out.items():
        if name == "jobs":
            click.echo(f"งานตามเวลา / due jobs: ทำแล้ว {value['done']}, ลองใหม่ {value['retried']}, "
                       f"ล้มเหลว {value['failed']} (claimed {value['claimed']})")
        else:
            click.echo(f"{labels.get(name, name)}: {value}")
