"""`wela prompts render|refresh` and `wela announce …`: Thai speech from the command line."""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Optional

import click
from flask.cli import AppGroup, with_appcontext

from ledger.clock import local_date
from ledger.errors import InvalidInput
from prompts_th import catalogue
from prompts_th.render import render_prompts
from wela.app import wela
from wela.cli_support import actor, by_option, cli_errors, json_option, print_json, print_table
from wela.speech import audio_cache, speech_engine


def register(main: click.Group) -> None:
    main.add_command(prompts)
    main.add_command(announce)


@click.group("prompts", cls=AppGroup)
def prompts() -> None:
    """Phone prompt audio, rendered ahead of calls."""


@prompts.command("render")
@cli_errors
def render_cmd() -> None:
    """Render every slot-free catalogue sentence to MP3 (cached: once, ever) and a phone WAV (levelled, paced)."""
    w = wela()
    report = render_prompts(_phone_prompts(), audio_cache(w), speech_engine(w))
    c = report.counts
    click.echo(f"เสียงพร้อม {c['rendered']} ประโยค · มีช่องเติมคำ (พูดสดด้วย <Say>) {c['skipped']} · "
               f"เสียงคุณภาพต่ำ (ออฟไลน์) {c['offline']} · ไม่สำเร็จ {c['failed']}")
    click.echo(f"rendered {c['rendered']}, with slots (said live) {c['skipped']}, "
               f"offline quality {c['offline']}, failed {c['failed']} → {w.settings.audio_dir}")
    if report.offline:
        click.echo("เสียงบางส่วนทำด้วย espeak-ng เพราะไม่มีอินเทอร์เน็ต ใช้ `wela prompts refresh` เมื่อออนไลน์ / "
                   "some audio is espeak-ng quality (no network); run `wela prompts refresh` when online")
    for key, why in report.failed.items():
        click.echo(f"  ✗ {key}: {why}", err=True)


@prompts.command("refresh")
@cli_errors
def refresh_cmd() -> None:
    """Re-make offline-quality audio with gTTS once the network is back (and the phone copies of it)."""
    w = wela()
    engine = speech_engine(w)
    primary = getattr(engine, "primary", engine)
    count = audio_cache(w).refresh_offline(primary)
    if count:
        render_prompts(_phone_prompts(), audio_cache(w), engine)     # cached: only the phone WAVs are made
    click.echo(f"ทำเสียงใหม่ด้วย gTTS แล้ว {count} ประโยค / re-made {count} offline sentences")


def _phone_prompts() -> dict[str, str]:
    return {k: catalogue.shipped().prompt(k).th for k in catalogue.keys()}


@click.group("announce", cls=AppGroup, invoke_without_command=True)
@click.option("--text", default=None, help="the headman's own words")
@click.option("--template", type=click.Choice(["meeting", "weekly", "volunteers_needed", "welcome", "free"]),
              default=None, help="make the text from the bank's data")
@click.option("--data", "pairs", multiple=True, help="template field=value, e.g. --data place=ศาลาวัด")
@click.option("--title", default="")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also copy the MP3 here")
@by_option
@click.pass_context
@with_appcontext
@cli_errors
def announce(ctx: click.Context, text: Optional[str], template: Optional[str], pairs: tuple[str, ...],
             title: str, output: Optional[Path], by: Optional[str]) -> None:
    """Make a loudspeaker announcement (เสียงตามสาย) as an MP3; `wela announce list` shows past ones."""
    if ctx.invoked_subcommand is not None:
        return
    if not text and not template:
        raise InvalidInput("กรุณาใส่ข้อความ (--text) หรือเลือกแบบ (--template)",
                           "give --text or --template")
    from wela.admin.announcements import make_announcement

    w = wela()
    name = template or "free"
    data = _template_data(w, name, dict(p.split("=", 1) for p in pairs if "=" in p))
    record = make_announcement(w, made_by=actor(by), template=name, data=data, text=text or "", title=title)
    path = w.settings.announcements_dir / record.file_name
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, output)
    click.echo(record.text)
    quality = ("เสียงคุณภาพต่ำ (espeak-ng ออฟไลน์) / offline low-quality voice (espeak-ng)" if record.offline
               else f"เสียง {record.engine} / voice {record.engine}")
    click.echo(f"บันทึกแล้ว / saved: {output or path} · {record.duration_ms / 1000:.1f} s · {quality}")


def _template_data(w, name: str, given: dict[str, str]) -> dict:  # noqa: ANN001
    """Fill a template from the bank's own data; fields given on the command line win."""
    from wela.admin.announcements import new_member_names, unmet_data, weekly_data

    with w.reads() as s:
        if name == "weekly":
            data = weekly_data(s, local_date(w.clock.now()))
        elif name == "volunteers_needed":
            data = unmet_data(s)
        elif name == "welcome":
            data = {"names": new_member_names(s, w.clock.now() - timedelta(days=7))}
        else:
            data = {}
    data.update(given)
    return data


@announce.command("list")
@json_option
@cli_errors
def list_cmd(as_json: bool) -> None:
    """Past announcements, newest first."""
    from wela.admin.announcements import past_announcements

    w = wela()
    with w.reads() as s:
        rows = [{"id": a.id, "title": a.title, "template": a.template, "file": a.file_name,
                 "engine": a.engine, "offline": a.offline, "seconds": round(a.duration_ms / 1000, 1),
                 "made_by": a.made_by, "created_at": a.created_at} for a in past_announcements(s, limit=200)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["id", "created_at", "template", "title", "seconds", "offline", "file"])
