"""`wela members …`: register, list, show, edit, pause, import and export the member register."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from ledger.members import (find_member, pause_member, register_member, resume_member,
                            search_members, set_pin, update_member)
from ledger.orm import Member
from ledger.phones import display_phone
from ledger.registry import availability_text
from ledger.registry_io import export_members, import_members
from ledger.service import balance
from wela.app import wela
from wela.cli_support import actor, by_option, cli_errors, json_option, print_json, print_table
from wela.db import atomic


def member_dict(m: Member, *, sensitive: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {"number": m.id, "name": m.name, "phone": m.phone, "role": m.role,
                         "village": m.village, "moo": m.moo, "status": m.status,
                         "birth_year": m.birth_year, "skills": list(m.skills or []),
                         "availability": m.availability or {}, "speak_slowly": m.speak_slowly,
                         "consent_on": m.consent_on, "consent_by": m.consent_by,
                         "paused_until": m.paused_until}
    if sensitive:
        d.update(needs=m.needs, health_notes=m.health_notes)
    return d


def register(main: click.Group) -> None:
    main.add_command(members)


@click.group("members", cls=AppGroup)   # AppGroup: every command runs inside the app context
def members() -> None:
    """The member register (สมาชิก)."""


@members.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--role", required=True, help="elder | volunteer | both | coordinator (or Thai words)")
@click.option("--village", default="")
@click.option("--moo", default="")
@click.option("--birth-year", default="", help="CE or Buddhist Era (e.g. 2490)")
@click.option("--skills", default="", help="clinic, errand, home, visit, other (or Thai words)")
@click.option("--needs", default="")
@click.option("--health-notes", default="")
@click.option("--availability", default="", help="e.g. 'จ-ศ เช้า; ส บ่าย'")
@click.option("--speak-slowly", is_flag=True)
@click.option("--consent-by", default="", help="who recorded the member's consent to store data")
@json_option
@by_option
@cli_errors
def add(as_json: bool, by: str | None, **fields: Any) -> None:
    """Register a member and open their account with the starting credits."""
    w = wela()
    fields["speak_slowly"] = "1" if fields["speak_slowly"] else ""
    member = atomic(w.sessions, lambda s: register_member(s, clock=w.clock, entered_by=actor(by), **fields))
    if as_json:
        print_json(member_dict(member))
    else:
        click.echo(f"ลงทะเบียนแล้ว: สมาชิกเลขที่ {member.id} {member.name} {display_phone(member.phone)}")


@members.command("list")
@click.option("--search", default="", help="name, number, or phone in any format")
@click.option("--limit", default=500, show_default=True)
@json_option
@cli_errors
def list_(search: str, limit: int, as_json: bool) -> None:
    """List members."""
    with wela().reads() as s:
        rows = [member_dict(m) for m in search_members(s, search, limit=limit)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["number", "name", "phone", "role", "village", "moo", "status"])


@members.command("show")
@click.argument("member")
@json_option
@cli_errors
def show(member: str, as_json: bool) -> None:
    """Show one member (by number or phone)."""
    with wela().reads() as s:
        m = find_member(s, member)
        data = member_dict(m)
        b = balance(s, m.id)
        data.update(balance_minutes=b.balance, held_minutes=b.held, available_minutes=b.available,
                    loan_minutes=b.loan_owed)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key == "availability":
            value = availability_text(value)
        click.echo(f"{key:18} {value}")


@members.command("edit")
@click.argument("member")
@click.option("--set", "pairs", multiple=True, help="field=value, e.g. --set village=บ้านดอน")
@cli_errors
def edit(member: str, pairs: tuple[str, ...]) -> None:
    """Correct a member's details."""
    changes = dict(p.split("=", 1) for p in pairs if "=" in p)
    if not changes:
        raise click.UsageError("give at least one --set field=value")
    w = wela()
    m = atomic(w.sessions, lambda s: update_member(s, find_member(s, member), **changes))
    click.echo(f"แก้ไขแล้ว: {m.id} {m.name}")


@members.command("pause")
@click.argument("member")
@click.option("--days", type=int, default=None, help="pause for N days (default: until resumed)")
@cli_errors
def pause(member: str, days: int | None) -> None:
    """Pause a member: no offers or reminders until resumed."""
    from datetime import timedelta

    from ledger.clock import local_date

    w = wela()
    until = local_date(w.clock.now()) + timedelta(days=days) if days else None
    m = atomic(w.sessions, lambda s: pause_member(s, find_member(s, member), until=until))
    click.echo(f"พักแล้ว: {m.id} {m.name}" + (f" ถึง {until.day}/{until.month}/{until.year + 543}" if until else ""))


@members.command("resume")
@click.argument("member")
@cli_errors
def resume(member: str) -> None:
    """Make a paused member active again."""
    w = wela()
    m = atomic(w.sessions, lambda s: resume_member(s, find_member(s, member)))
    click.echo(f"กลับมาใช้งานแล้ว: {m.id} {m.name}")


@members.command("pin")
@click.argument("member")
@click.argument("pin")
@cli_errors
def pin(member: str, pin: str) -> None:
    """Set the 4-digit PIN an elder uses when calling from a neighbour's phone."""
    w = wela()
    atomic(w.sessions, lambda s: set_pin(s, find_member(s, member), pin))
    click.echo("ตั้งรหัสแล้ว / PIN set")


@members.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="import for real (default is a dry run)")
@by_option
@cli_errors
def import_(path: Path, commit: bool, by: str | None) -> None:
    """Import a CSV or .xlsx register. A dry run reports every bad row; nothing is written until clean."""
    w = wela()
    data = path.read_bytes()
    report = atomic(w.sessions, lambda s: import_members(s, data, path.name, clock=w.clock,
                                                         entered_by=actor(by), dry_run=not commit))
    for err in report.errors:
        click.echo(str(err), err=True)
    if report.errors:
        click.echo(f"พบปัญหา {len(report.errors)} จุดใน {report.rows} แถว ยังไม่ได้นำเข้า / "
                   f"{len(report.errors)} problems in {report.rows} rows; nothing imported", err=True)
        sys.exit(1)
    if commit:
        click.echo(f"นำเข้าแล้ว {report.imported} คน / imported {report.imported} members")
    else:
        click.echo(f"ตรวจแล้ว {report.rows} แถว ไม่มีปัญหา ใช้ --commit เพื่อนำเข้า / "
                   f"{report.rows} rows are clean; run again with --commit to import")


@members.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-sensitive", is_flag=True, help="leave out needs and health notes")
@cli_errors
def export(path: Path, no_sensitive: bool) -> None:
    """Export the register to .xlsx or .csv (by the file's extension)."""
    fmt = path.suffix.lower().lstrip(".")
    with wela().reads() as s:
        data = export_members(search_members(s, limit=10**9), fmt, with_sensitive=not no_sensitive)
    path.write_bytes(data)
    click.echo(f"บันทึกแล้ว / written: {path}")
