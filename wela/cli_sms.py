"""`wela sms …`: send a text, simulate a reply from a phone, list the outbox and inbox, send what is due."""
from __future__ import annotations

import uuid
from typing import Optional
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from ledger.members import member_by_phone
from ledger.phones import parse_phone
from sms.gateways import chosen_name
from sms.inbound import inbox_dict, inbox_rows, receive
from sms.orm import OutboundSms
from sms.outbox import as_dict, enqueue, flush, is_quiet, outbox_rows
from wela.app import wela
from wela.cli_support import cli_errors, json_option, print_json, print_table
from wela.db import atomic

OUTBOX_COLUMNS = ["id", "to", "status", "purpose", "segments", "attempts", "body"]
INBOX_COLUMNS = ["id", "from", "command", "body", "reply"]


def register(main: click.Group) -> None:
    main.add_command(sms)


@click.group("sms", cls=AppGroup)
def sms() -> None:
    """SMS: send, simulate replies, the outbox and inbox (ข้อความ SMS)."""


@sms.command("send")
@click.argument("phone")
@click.argument("text")
@click.option("--urgent", is_flag=True, help="send even during quiet hours (21:00–07:00)")
@cli_errors
def send(phone: str, text: str, urgent: bool) -> None:
    """Queue TEXT to PHONE and send it now (quiet hours hold it unless --urgent)."""
    w = wela()
    to = parse_phone(phone)
    text = text.strip()
    if not text:
        raise click.UsageError("TEXT is empty")

    def queue(s):  # noqa: ANN001, ANN202
        member = member_by_phone(s, to)
        row = enqueue(s, key=f"cli:{uuid.uuid4().hex}", to_phone=to, body=text, purpose="manual",
                      now=w.clock.now(), member_id=member.id if member else None, urgent=urgent)
        return row.id

    row_id = atomic(w.sessions, queue)
    flush(w, phone=to)
    with w.reads() as s:
        row = as_dict(s.get(OutboundSms, row_id))
    click.echo(f"#{row['id']} → {to} [{row['status']}] ({row['segments']} SMS, {row['encoding']}) "
               f"via {chosen_name(w.settings)}")
    if row["status"] == "queued" and not urgent and is_quiet(w.clock.now(), ZoneInfo(w.settings.timezone)):
        click.echo("ช่วงเวลาเงียบ (21:00–07:00): จะส่งเวลา 07:00 / quiet hours: it goes at 07:00 "
                   "(use --urgent to send now)")
    elif row["last_error"]:
        click.echo(f"ยังส่งไม่สำเร็จ จะลองใหม่ / not sent yet, will retry: {row['last_error']}")


@sms.command("simulate")
@click.argument("phone")
@click.argument("text")
@click.option("--send", "send_now", is_flag=True, help="also send what the reply queued")
@cli_errors
def simulate(phone: str, text: str, send_now: bool) -> None:
    """Run the inbound path for a text from PHONE in this process and print the reply."""
    w = wela()
    with w.reads() as s:
        before = max((r.id for r in outbox_rows(s, limit=1)), default=0)
    received = receive(w, provider="simulate", provider_id=uuid.uuid4().hex, from_phone=phone,
                       body=text, reply_via="none")
    click.echo(received.reply if received.reply else "(ไม่มีข้อความตอบกลับ / no reply)")
    if send_now:
        flush(w, phone=received.phone)
    with w.reads() as s:
        new = [r for r in outbox_rows(s, phone=received.phone, limit=20) if r.id > before]
    for row in reversed(new):
        click.echo(f"  → #{row.id} [{row.status}] {row.purpose}: {row.body}")


@sms.command("outbox")
@click.option("--status", default=None, help="queued, sending, sent, delivered, undelivered, failed")
@click.option("--phone", default=None)
@click.option("--limit", default=200, show_default=True, type=int)
@json_option
@cli_errors
def outbox(status: Optional[str], phone: Optional[str], limit: int, as_json: bool) -> None:
    """Every text sent or waiting, newest first."""
    w = wela()
    to = parse_phone(phone) if phone else None
    with w.reads() as s:
        rows = [as_dict(r) for r in outbox_rows(s, status=status, phone=to, limit=limit)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, OUTBOX_COLUMNS)


@sms.command("inbox")
@click.option("--limit", default=200, show_default=True, type=int)
@json_option
@cli_errors
def inbox(limit: int, as_json: bool) -> None:
    """Every text received, newest first, with the reply it got."""
    w = wela()
    with w.reads() as s:
        rows = [inbox_dict(r) for r in inbox_rows(s, limit=limit)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, INBOX_COLUMNS)


@sms.command("flush")
@json_option
@cli_errors
def flush_command(as_json: bool) -> None:
    """Send every text that is due now (the scheduler's runner does this after each tick)."""
    report = flush(wela())
    if as_json:
        print_json(report)
    else:
        click.echo(", ".join(f"{k}: {v}" for k, v in report.items()) or "ไม่มีข้อความที่ต้องส่ง / nothing due")
