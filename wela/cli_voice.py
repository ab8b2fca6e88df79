"""`wela call` (walk the phone menu in a terminal) and `wela voice …` (stats, calls, who waits for a person
(callbacks, strangers asking to join) and settling them, fallback).

``wela call 081-234-5678`` runs the real webhooks in process (Flask's test client, signed like
Twilio when an Auth Token is set) and prints what the caller hears, in Thai (and English with
``--en``; ``--play`` plays it too, what Twilio's voice would say spoken by the bank's own engine);
keys are typed as digits, Enter alone is silence, ``q`` hangs up. ``--keys 1,1,2,1``
scripts the call: one entry per prompt, ``-`` for silence; at a recording any other entry is a
recording; at a transfer an entry ``completed``, ``busy`` or ``no-answer`` says how it ended.
"""
from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Optional

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from ledger.phones import display_phone, parse_phone
from ledger.settings import put_setting
from prompts_th.cache import phone_ready, slow_copy
from prompts_th.engines import SpeechUnavailable
from prompts_th.thai_text import speakable
from voice import calls, outbound
from voice.orm import OutboundCall
from voice.people import (REGISTRATION_OUTCOMES, close_callback, open_callbacks, pending_registrations,
                          settle_registration)
from voice.simulator import ACCOUNT_SID, Phone, Turn, english_of
from voice.stats import summary
from voice.twiml import SLOW
from voice.web import AUDIO
from wela.app import wela
from wela.cli_support import actor, by_option, cli_errors, json_option, print_json, print_table
from wela.db import atomic
from wela.speech import audio_cache, speech_engine

DIAL_ENDINGS = ("completed", "busy", "no-answer", "failed")
PLAYERS = (["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"], ["mpg123", "-q"], ["aplay", "-q"])


def register(main: click.Group) -> None:
    main.add_command(call_command)
    main.add_command(voice_group)


# ── wela call ─────────────────────────────────────────────────────────────────────

class _Script:
    def __init__(self, keys: Optional[str]) -> None:
        self.items = None if keys is None else [k.strip() for k in keys.split(",")] if keys else []

    def next(self, ask: str) -> Optional[str]:
        """The next entry (None: hang up)."""
        if self.items is None:
            answer = click.prompt(ask, default="", show_default=False)
            return None if answer.strip().lower() == "q" else answer.strip()
        if not self.items:
            return None
        item = self.items.pop(0)
        click.echo(f"{ask} {item or '-'}")
        return "" if item == "-" else item


@click.command("call")
@click.argument("phone")
@click.option("--keys", default=None, help="script the call: 1,1,2,1 (- is silence)")
@click.option("--en", is_flag=True, help="print the English beside the Thai")
@click.option("--play", is_flag=True, help="play what the caller hears (ffplay, mpg123 or aplay): the rendered "
              "prompts, and the rest spoken by the bank's own voice")
@click.option("--callback/--no-callback", default=True, help="answer the bank's call back after a missed call")
@with_appcontext
@cli_errors
def call_command(phone: str, keys: Optional[str], en: bool, play: bool, callback: bool) -> None:
    """Call the bank's phone menu as PHONE and walk it in the terminal (โทรทดลอง)."""
    w = wela()
    caller = parse_phone(phone)
    script = _Script(keys)
    audio = current_app.extensions.get(AUDIO)
    if audio is not None and audio.has_audio():
        audio.warm()                 # as a server is long before its first caller: rendered prompts are played
    client = current_app.test_client()
    line = Phone(client, w.settings, caller)
    click.echo(f"☎  {display_phone(caller)} → ธนาคารเวลา / the time bank ({line.sid})")
    turn = _walk(line, line.call(), script, en, play)
    if turn.waits == "reject" or _missed(w, line):
        click.echo("(ไม่รับสาย ธนาคารจะโทรกลับ / missed call: the bank calls back)")
        if callback:
            _answer_callback(w, client, caller, f"missed:{line.sid}", script, en, play)


def _walk(line: Phone, turn: Turn, script: _Script, en: bool, play: bool) -> Turn:
    while True:
        _show(turn, en, play, line.settings.audio_dir)
        if turn.ended:
            line.hang_up(status="busy" if turn.waits == "reject" else "completed")
            click.echo("— วางสาย / call ended —")
            return turn
        if turn.waits == "gather":
            entry = script.next("กด / keys >")
            if entry is None:
                break
            turn = line.press(entry)
        elif turn.waits == "record":
            entry = script.next("พูด (Enter = เงียบ) / speak >")
            if entry is None:
                break
            url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{uuid.uuid4().hex}"
            turn = line.speak(url if entry else None)
        else:
            entry = script.next("สายถึงเจ้าหน้าที่ completed|busy|no-answer >")
            if entry is None:
                break
            turn = line.dial_ends(entry if entry in DIAL_ENDINGS else "no-answer")
    line.hang_up()
    click.echo("— ผู้โทรวางสาย / caller hung up —")
    return turn


def _show(turn: Turn, en: bool, play: bool, audio_dir) -> None:  # noqa: ANN001
    for heard in turn.heard:
        mark = {"play": "▶", "say": "🗣", "dial": "☎"}[heard.kind]
        click.echo(f"  {mark} {heard.text}")
        if en and heard.kind != "dial":
            english = english_of(heard.text)
            if english:
                click.echo(f"     {english}")
        if play and heard.kind == "play":
            _play(audio_dir / heard.url.rsplit("/", 1)[-1])
        elif play and heard.kind == "say":
            _play(_said(heard.text, slow=heard.rate == SLOW))


def _said(text: str, slow: bool) -> Optional[Path]:
    """What Twilio's voice would say, spoken here by the bank's own engine (cached), at the phone's level
    and the caller's pace; None, with a line saying why, when no engine can speak."""
    w = wela()
    try:
        mp3 = audio_cache(w).get_or_make(speakable(text), speech_engine(w)).path
        wav = phone_ready(mp3)
        return slow_copy(mp3) if slow else wav
    except SpeechUnavailable as err:
        click.echo(f"     (ไม่มีเสียง / no audio: {err.en})")
        return None


def _play(path: Optional[Path]) -> None:
    if path is None:
        return
    for player in PLAYERS:
        if shutil.which(player[0]):
            subprocess.run([*player, str(path)], check=False, timeout=120)
            return


def _missed(w, line: Phone) -> bool:  # noqa: ANN001
    with w.reads() as s:
        return s.scalar(select(OutboundCall.id).where(OutboundCall.key == f"missed:{line.sid}")) is not None


def _answer_callback(w, client, caller: str, key: str, script: _Script, en: bool,  # noqa: ANN001
                     play: bool) -> None:
    """Place the bank's call back (to this terminal, not a phone) and walk it like the first call."""
    placed: list[dict[str, str]] = []
    dialer = outbound.FakeDialer(name="simulator", calls=placed)
    deadline = time.monotonic() + outbound.CALLBACK_DELAY.total_seconds() + 5
    while not placed and time.monotonic() < deadline:
        outbound.flush(w, dialer=dialer, key=key)
        if not placed:
            time.sleep(1)
    if not placed:
        click.echo("(ยังไม่มีสายโทรกลับ / no callback placed)")
        return
    click.echo(f"☎  ธนาคารเวลาโทรหา {display_phone(caller)} / the bank calls back")
    line = Phone(client, w.settings, caller, sid=placed[0]["sid"], direction="outbound-api")
    _walk(line, line.answer(placed[0]["url"]), script, en, play)
    line.hang_up(path=placed[0]["status_callback"])


# ── wela voice … ──────────────────────────────────────────────────────────────────

@click.group("voice", cls=AppGroup)
def voice_group() -> None:
    """Phone menus (IVR): numbers, calls to place, callbacks, settings."""


@voice_group.command("stats")
@click.option("--days", default=30, show_default=True, type=int, help="calls started in the last N days")
@json_option
@cli_errors
def stats(days: int, as_json: bool) -> None:
    """Where callers hang up, time to finish each task, share of calls that needed a person."""
    w = wela()
    with w.reads() as s:
        data = summary(s, since=w.clock.now() - timedelta(days=days))
    if as_json:
        print_json(data)
        return
    click.echo(f"สาย {data['calls']} (เข้า {data['inbound']} · ออก {data['outbound']}) · "
               f"ทำรายการสำเร็จ {data['completed_a_task']} · ต้องการเจ้าหน้าที่ {data['needed_person']} "
               f"({data['needed_person_share']:.0%})")
    click.echo("วางสายที่ / where callers hang up:")
    print_table(data["hangups"], ["label_th", "label_en", "calls", "without_task"])
    click.echo("เวลาจนทำรายการสำเร็จ (วินาที) / seconds to finish each task:")
    print_table(data["tasks"], ["label_th", "label_en", "count", "median_s", "p90_s", "mean_s"])


@voice_group.command("flush")
@cli_errors
def flush_calls() -> None:
    """Place the outbound calls that are due now (the scheduler does this every tick)."""
    click.echo(outbound.flush(wela()) or "ไม่มีสายที่ต้องโทร / nothing due")


@voice_group.command("callbacks")
@json_option
@cli_errors
def callbacks(as_json: bool) -> None:
    """Callers waiting for a person to call back, and strangers who left their name."""
    with wela().reads() as s:
        rows = [{"kind": "callback", "id": r.id, "phone": r.phone, "member": r.member_id, "reason": r.reason,
                 "created_at": r.created_at} for r in open_callbacks(s)]
        rows += [{"kind": "registration", "id": r.id, "phone": r.phone, "member": None,
                  "reason": r.name_recording_url, "created_at": r.created_at}
                 for r in pending_registrations(s)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["kind", "id", "phone", "member", "reason", "created_at"])


@voice_group.command("callback-done")
@click.argument("callback_id", type=int)
@by_option
@cli_errors
def callback_done(callback_id: int, by: Optional[str]) -> None:
    """Mark a caller rung back: they leave `wela voice callbacks` and the dashboard's count."""
    w = wela()
    row = atomic(w.sessions, lambda s: close_callback(s, callback_id, by=actor(by), now=w.clock.now()))
    click.echo(f"โทรกลับแล้ว / rung back: #{row.id} {row.phone}")


@voice_group.command("registration-done")
@click.argument("registration_id", type=int)
@click.argument("outcome", type=click.Choice(REGISTRATION_OUTCOMES))
@cli_errors
def registration_done(registration_id: int, outcome: str) -> None:
    """A stranger who left their name by phone: REGISTERED as a member (`wela members add`) or DROPPED."""
    row = atomic(wela().sessions, lambda s: settle_registration(s, registration_id, outcome))
    click.echo(f"บันทึกแล้ว / saved: #{row.id} {row.phone} {row.state}")


@voice_group.command("missed-calls")
@click.argument("mode", required=False, type=click.Choice(calls.MODES))
@cli_errors
def missed_calls(mode: Optional[str]) -> None:
    """Show or set what a missed call does: off, hangup (call back who hangs up in the greeting), reject."""
    w = wela()
    if mode:
        atomic(w.sessions, lambda s: put_setting(s, calls.MISSED_CALLS, mode))
    with w.reads() as s:
        click.echo(calls.missed_call_mode(s))


@voice_group.command("fallback")
@cli_errors
def fallback() -> None:
    """Print the static Thai fallback TwiML (for a TwiML Bin as Twilio's Fallback URL)."""
    from voice.twiml import Links, Renderer
    from voice.web import static_fallback

    w = wela()
    click.echo(static_fallback(Renderer(Links(w.settings.public_url)), w.settings))
