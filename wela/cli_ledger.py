"""`wela ledger …`: balances, transfers, holds, loans, donations, grants, reversals, month close, check."""
from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date
from typing import Optional

import click
from flask.cli import AppGroup

from ledger import service
from ledger.check import load_books, run_checks
from ledger.clock import local_date
from ledger.members import find_member
from ledger.reports import statement
from ledger.settings import load_policy, set_policy
from prompts_th.thai_text import minutes_text
from wela.app import wela
from wela.cli_support import (actor, by_option, cli_errors, json_option, new_key, print_json,
                              print_table)
from wela.db import atomic


def register(main: click.Group) -> None:
    main.add_command(ledger)


@click.group("ledger", cls=AppGroup)   # AppGroup: every command runs inside the app context
def ledger() -> None:
    """The time-credit ledger (บัญชีเวลา)."""


minutes_arg = click.argument("minutes", type=int)
key_option = click.option("--key", default=None, help="idempotency key: the same key again does nothing new")
reason_option = click.option("--reason", default="", help="why (shown on statements)")
date_option = click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None,
                           help="date of the entry (default today)")
for_option = click.option("--for", "for_member", default=None,
                          help="the member this is entered on behalf of")


def _day(on) -> Optional[date]:  # noqa: ANN001
    return on.date() if on else None


def _print_receipt(r: service.Receipt, as_json: bool) -> None:
    if as_json:
        print_json(asdict(r))
        return
    again = " (ซ้ำ: บันทึกไว้แล้ว / replayed)" if r.replayed else ""
    click.echo(f"รายการเลขที่ {r.transfer_id}: {minutes_text(r.amount)}{again}")
    if r.to_loan:
        click.echo(f"  คืนเวลาที่ยืม / loan repaid: {minutes_text(r.to_loan)}")
    if r.to_pool:
        click.echo(f"  เกินเพดาน เข้ากองกลาง / over the cap, to the pool: {minutes_text(r.to_pool)}")


def _run(work):  # noqa: ANN001, ANN202
    w = wela()
    return atomic(w.sessions, work)


@ledger.command("balance")
@click.argument("member")
@json_option
@cli_errors
def balance_cmd(member: str, as_json: bool) -> None:
    """A member's balance, held credits and open loan."""
    with wela().reads() as s:
        m = find_member(s, member)
        b = service.balance(s, m.id)
    data = {"number": m.id, "name": m.name, "balance_minutes": b.balance, "held_minutes": b.held,
            "available_minutes": b.available, "loan_minutes": b.loan_owed}
    if as_json:
        print_json(data)
        return
    click.echo(f"{m.name}: คงเหลือ {minutes_text(b.balance)} (ใช้ได้ {minutes_text(b.available)}"
               f", จองไว้ {minutes_text(b.held)})" + (f", ยืมค้าง {minutes_text(b.loan_owed)}" if b.loan_owed else ""))


@ledger.command("transfer")
@click.argument("payer")
@click.argument("payee")
@minutes_arg
@key_option
@reason_option
@date_option
@for_option
@by_option
@json_option
@cli_errors
def transfer_cmd(payer: str, payee: str, minutes: int, key, reason, on, for_member, by, as_json) -> None:  # noqa: ANN001
    """Pay PAYEE for help given to PAYER (an earning: repays loans, respects the cap)."""
    def work(s):  # noqa: ANN001, ANN202
        a, b = find_member(s, payer), find_member(s, payee)
        behalf = find_member(s, for_member).id if for_member else None
        return service.transfer(s, payer_id=a.id, payee_id=b.id, minutes=minutes,
                                key=key or new_key("cli"), clock=wela().clock, entered_by=actor(by),
                                reason=reason, on=_day(on), on_behalf_of=behalf)
    _print_receipt(_run(work), as_json)


@ledger.command("donate")
@click.argument("donor")
@minutes_arg
@click.option("--to", "to_member", default=None, help="a member (default: the community pool)")
@key_option
@reason_option
@date_option
@by_option
@json_option
@cli_errors
def donate_cmd(donor, minutes, to_member, key, reason, on, by, as_json) -> None:  # noqa: ANN001
    """Give credits to the community pool or to a named member."""
    def work(s):  # noqa: ANN001, ANN202
        d = find_member(s, donor)
        to = find_member(s, to_member).id if to_member else None
        return service.donate(s, donor_id=d.id, to_member_id=to, minutes=minutes,
                              key=key or new_key("cli"), clock=wela().clock, entered_by=actor(by),
                              reason=reason, on=_day(on))
    _print_receipt(_run(work), as_json)


@ledger.command("grant")
@click.argument("member")
@minutes_arg
@key_option
@reason_option
@date_option
@by_option
@json_option
@cli_errors
def grant_cmd(member, minutes, key, reason, on, by, as_json) -> None:  # noqa: ANN001
    """Grant pool credits to a member in need."""
    def work(s):  # noqa: ANN001, ANN202
        return service.grant(s, member_id=find_member(s, member).id, minutes=minutes,
                             key=key or new_key("cli"), clock=wela().clock, entered_by=actor(by),
                             reason=reason, on=_day(on))
    _print_receipt(_run(work), as_json)


@ledger.command("loan")
@click.argument("member")
@minutes_arg
@key_option
@reason_option
@by_option
@json_option
@cli_errors
def loan_cmd(member, minutes, key, reason, by, as_json) -> None:  # noqa: ANN001
    """Lend credits to a member, up to the loan limit."""
    def work(s):  # noqa: ANN001, ANN202
        return service.borrow(s, member_id=find_member(s, member).id, minutes=minutes,
                              key=key or new_key("cli"), clock=wela().clock, entered_by=actor(by),
                              reason=reason)
    _print_receipt(_run(work), as_json)


@ledger.command("repay")
@click.argument("member")
@minutes_arg
@key_option
@by_option
@json_option
@cli_errors
def repay_cmd(member, minutes, key, by, as_json) -> None:  # noqa: ANN001
    """Repay a member's open loan by hand."""
    def work(s):  # noqa: ANN001, ANN202
        return service.repay(s, member_id=find_member(s, member).id, minutes=minutes,
                             key=key or new_key("cli"), clock=wela().clock, entered_by=actor(by))
    _print_receipt(_run(work), as_json)


@ledger.command("hold")
@click.argument("payer")
@click.argument("payee")
@minutes_arg
@key_option
@reason_option
@by_option
@json_option
@cli_errors
def hold_cmd(payer, payee, minutes, key, reason, by, as_json) -> None:  # noqa: ANN001
    """Reserve PAYER's credits for help PAYEE will give (two-phase: post or void later)."""
    def work(s):  # noqa: ANN001, ANN202
        h = service.hold(s, payer_id=find_member(s, payer).id, payee_id=find_member(s, payee).id,
                         minutes=minutes, key=key or new_key("cli"), clock=wela().clock,
                         entered_by=actor(by), reason=reason)
        return {"hold": h.id, "state": h.state, "minutes": h.amount, "key": h.key}
    data = _run(work)
    print_json(data) if as_json else click.echo(f"จองเวลาแล้ว เลขที่ {data['hold']}: {minutes_text(data['minutes'])}")


@ledger.command("post")
@click.argument("hold_id", type=int)
@click.option("--minutes", type=int, default=None, help="the actual duration, if different")
@by_option
@json_option
@cli_errors
def post_cmd(hold_id, minutes, by, as_json) -> None:  # noqa: ANN001
    """Pay a hold."""
    _print_receipt(_run(lambda s: service.post_hold(s, hold_id=hold_id, minutes=minutes,
                                                    clock=wela().clock, entered_by=actor(by))), as_json)


@ledger.command("void")
@click.argument("hold_id", type=int)
@by_option
@cli_errors
def void_cmd(hold_id, by) -> None:  # noqa: ANN001
    """Release a hold."""
    _run(lambda s: service.void_hold(s, hold_id=hold_id, clock=wela().clock, entered_by=actor(by)))
    click.echo(f"ยกเลิกการจองเลขที่ {hold_id} แล้ว / hold {hold_id} voided")


@ledger.command("reverse")
@click.argument("transfer_id", type=int)
@click.option("--reason", required=True, help="why the entry is wrong")
@key_option
@by_option
@json_option
@cli_errors
def reverse_cmd(transfer_id, reason, key, by, as_json) -> None:  # noqa: ANN001
    """Correct an entry with a reversing entry (entries are never edited or deleted)."""
    _print_receipt(_run(lambda s: service.reverse(
        s, transfer_id=transfer_id, key=key or f"reverse:{transfer_id}", clock=wela().clock,
        entered_by=actor(by), reason=reason)), as_json)


@ledger.command("statement")
@click.argument("member")
@click.option("--month", default=None, help="YYYY-MM (CE) or MM/BBBB (BE); default this month")
@json_option
@cli_errors
def statement_cmd(member, month, as_json) -> None:  # noqa: ANN001
    """A member's monthly statement."""
    w = wela()
    year, mon = _parse_month(month, local_date(w.clock.now()))
    with w.reads() as s:
        st = statement(s, find_member(s, member).id, year, mon)
    if as_json:
        print_json(asdict(st))
        return
    click.echo(f"ใบแจ้งยอด {st.name} เดือน {mon:02d}/{year + 543}")
    click.echo(f"  ยอดยกมา {minutes_text(st.opening)}")
    for line in st.lines:
        sign = "+" if line.amount > 0 else "−"
        click.echo(f"  {line.day.day:>2}/{line.day.month:02d}/{line.day.year + 543}  "
                   f"{sign}{minutes_text(abs(line.amount)):<20} {line.description}")
    click.echo(f"  ยอดคงเหลือ {minutes_text(st.closing)}" + (f" · ยืมค้าง {minutes_text(st.loan_owed)}" if st.loan_owed else ""))


def _parse_month(text: Optional[str], today: date) -> tuple[int, int]:
    from ledger.errors import InvalidInput

    if not text:
        return today.year, today.month
    try:
        if "/" in text:
            m, y = text.split("/")
            year, month = int(y), int(m)
        else:
            y, m = text.split("-")
            year, month = int(y), int(m)
        if year > 2400:
            year -= 543
        if not 1 <= month <= 12:
            raise ValueError
        return year, month
    except ValueError:
        raise InvalidInput(f"เดือนไม่ถูกต้อง '{text}' (เช่น 2026-11 หรือ 11/2569)",
                           f"bad month {text!r} (YYYY-MM or MM/BBBB)") from None


@ledger.command("close")
@click.argument("month")
@by_option
@cli_errors
def close_cmd(month, by) -> None:  # noqa: ANN001
    """Close a finished month (YYYY-MM or MM/BBBB): no new entries dated inside it."""
    w = wela()
    year, mon = _parse_month(month, local_date(w.clock.now()))
    _run(lambda s: service.close_month(s, year=year, month=mon, clock=w.clock, closed_by=actor(by)))
    click.echo(f"ปิดบัญชีเดือน {mon:02d}/{year + 543} แล้ว / closed {year}-{mon:02d}")


@ledger.command("check")
@json_option
@cli_errors
def check_cmd(as_json) -> None:  # noqa: ANN001
    """Recompute every balance from postings and verify every rule; exit 1 on any break."""
    with wela().reads() as s:
        books = load_books(s)
        problems = run_checks(books)
    if as_json:
        print_json({"ok": not problems, "accounts": len(books.accounts), "transfers": len(books.transfers),
                    "postings": books.posting_count, "problems": [str(p) for p in problems]})
    else:
        click.echo(f"ตรวจ {len(books.accounts)} บัญชี {len(books.transfers)} รายการ {books.posting_count} posting")
        for p in problems:
            click.echo(f"  ✗ {p}")
        click.echo("บัญชีถูกต้องทุกข้อ / the books check clean" if not problems
                   else f"พบปัญหา {len(problems)} ข้อ / {len(problems)} problems")
    if problems:
        sys.exit(1)


@ledger.command("policy")
@click.option("--set", "pairs", multiple=True, help="name=minutes, e.g. --set balance_cap_minutes=2400")
@json_option
@cli_errors
def policy_cmd(pairs, as_json) -> None:  # noqa: ANN001
    """Show or change the bank's rules (starting credits, loan limit and share, balance cap)."""
    from ledger.errors import InvalidInput

    changes = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not value.strip().lstrip("-").isdecimal():
            raise InvalidInput(f"ค่าของ {name} ต้องเป็นตัวเลข", f"{name} needs a whole number")
        changes[name.strip()] = int(value)
    w = wela()
    if changes:
        policy = atomic(w.sessions, lambda s: set_policy(s, **changes))
    else:
        with w.reads() as s:
            policy = load_policy(s)
    if as_json:
        print_json(asdict(policy))
    else:
        print_table([{"setting": k, "value": v} for k, v in asdict(policy).items()], ["setting", "value"])
