"""`wela requests …`: help requests by hand — add, list, show, answer, assign, done, confirm, resolve."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, Callable, Optional, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.members import find_member
from ledger.registry import parse_day, parse_skills
from prompts_th.thai_text import minutes_text
from scheduler import offers, requests as use, visits
from scheduler.context import Env
from scheduler.lifecycle import STATE_TH
from scheduler.orm import HelpRequest, Offer
from scheduler.requests import WEEKDAYS
from scheduler.when import PARTS, start_of
from wela.app import wela
from wela.cli_support import actor, by_option, cli_errors, json_option, print_json, print_table
from wela.db import atomic
from wela.request_views import event_dict, offer_dict, request_dict, table_row, when_th
from wela.wiring import scheduler_env

T = TypeVar("T")
WHEN_WORDS = {"today": "today", "วันนี้": "today", "tomorrow": "tomorrow", "พรุ่งนี้": "tomorrow",
              "this-week": "this_week", "this_week": "this_week", "week": "this_week",
              "สัปดาห์นี้": "this_week", "date": "date"}
PART_WORDS = {"morning": "morning", "เช้า": "morning", "afternoon": "afternoon", "บ่าย": "afternoon",
              "evening": "evening", "เย็น": "evening"}


def _run(work: Callable[[Session, Env], T]) -> T:
    """One transaction with the scheduler's Env (the real channels, or their logging stand-ins)."""
    w = wela()
    env = scheduler_env(w)
    return atomic(w.sessions, lambda s: work(s, env))


def _read(work: Callable[[Session, Env], T]) -> T:
    w = wela()
    env = scheduler_env(w)
    with w.reads() as s:
        return work(s, env)


# --- input words -------------------------------------------------------------------------

def _category(env: Env, raw: str) -> str:
    if raw in env.rules.categories:
        return raw
    try:
        codes = parse_skills(raw)
    except InvalidInput:
        return raw                      # request_help refuses it with the bank's own message
    return codes[0] if len(codes) == 1 else raw


def _part(raw: Optional[str]) -> Optional[str]:
    if raw is None:
        return None
    return PART_WORDS.get(raw.strip().lower(), raw)


def _when_and_day(env: Env, when: Optional[str], on: Optional[str], part: Optional[str],
                  recurring: Optional[str]) -> tuple[str, Optional[date], Optional[str]]:
    day = parse_day(on) if on else None
    if when is not None:
        word = WHEN_WORDS.get(when.strip().lower())
        if word is None:
            raise InvalidInput(f"ไม่เข้าใจ '{when}' (ใช้ วันนี้ พรุ่งนี้ สัปดาห์นี้ หรือระบุ --date)",
                               f"unknown --when {when!r} (today, tomorrow, this-week, or give --date)")
        if day is not None and word != "date":
            raise InvalidInput("ระบุ --when หรือ --date อย่างใดอย่างหนึ่ง", "give --when or --date, not both")
        return word, day, part
    if day is not None:
        return "date", day, part
    if recurring:
        return _first_occurrence(env, recurring, part)
    raise InvalidInput("กรุณาระบุวัน: --when พรุ่งนี้ หรือ --date", "say when: --when tomorrow or --date YYYY-MM-DD")


def _first_occurrence(env: Env, rule: str, part: Optional[str]) -> tuple[str, Optional[date], Optional[str]]:
    """`weekly:mon:morning` with no date: the next Monday morning that has not begun."""
    bits = rule.split(":")
    if len(bits) != 3 or bits[1] not in WEEKDAYS or bits[2] not in PARTS:
        return "date", None, part          # request_help explains the rule's shape
    part = part or bits[2]
    day = env.today() + timedelta(days=(WEEKDAYS.index(bits[1]) - env.today().weekday()) % 7)
    if start_of(day, part, env.tz) <= env.local_now():
        day += timedelta(days=7)
    return "date", day, part


# --- wela requests ----------------------------------------------------------------------

@click.group("requests", cls=AppGroup)   # AppGroup: every command runs inside the app context
def requests_group() -> None:
    """Help requests (คำขอความช่วยเหลือ): add, list, assign, confirm, resolve."""


@requests_group.command("add")
@click.argument("member")
@click.option("--category", required=True, help="clinic | errand | home | visit | other (or Thai words)")
@click.option("--when", "when", default=None, help="today | tomorrow | this-week (วันนี้ พรุ่งนี้ สัปดาห์นี้)")
@click.option("--date", "on", default=None, help="a day: YYYY-MM-DD or d/m/yyyy (BE or CE)")
@click.option("--part", default=None, help="morning | afternoon | evening (เช้า บ่าย เย็น); default any")
@click.option("--minutes", default=60, show_default=True, type=int, help="expected duration")
@click.option("--notes", default="")
@click.option("--recurring", default=None, help="repeat every week, e.g. weekly:mon:morning")
@click.option("--key", default=None, help="idempotency key: the same key again returns the first request")
@json_option
@by_option
@cli_errors
def add(member: str, category: str, when: Optional[str], on: Optional[str], part: Optional[str],
        minutes: int, notes: str, recurring: Optional[str], key: Optional[str], as_json: bool,
        by: Optional[str]) -> None:
    """Record a request for MEMBER (number or phone in any format)."""
    def work(s: Session, env: Env) -> dict[str, Any]:
        m = find_member(s, member)
        word, day, part_ = _when_and_day(env, when, on, _part(part), recurring)
        req = use.request_help(s, env, member_id=m.id, category=_category(env, category), when=word,
                               on=day, part=part_, minutes=minutes, notes=notes, channel="cli",
                               actor=actor(by), recurring=recurring, key=key)
        return request_dict(s, env, req)
    d = _run(work)
    if as_json:
        print_json(d)
        return
    click.echo(f"รับคำขอแล้ว เลขที่ {d['id']}: {d['member_name']} {d['category']} {d['when']}"
               f" ({minutes_text(d['minutes'])})")
    if d["stuck_reason"]:
        click.echo(f"  ต้องดูแล / needs a person: {d['stuck_reason']}")


@requests_group.command("list")
@click.option("--state", "states", multiple=True, help="open, offered, assigned, done, … (repeatable)")
@click.option("--member", default=None, help="only this member's requests")
@click.option("--limit", default=500, show_default=True)
@json_option
@cli_errors
def list_(states: tuple[str, ...], member: Optional[str], limit: int, as_json: bool) -> None:
    """List requests, newest first."""
    wanted = [x.strip() for raw in states for x in raw.split(",") if x.strip()]
    unknown = [x for x in wanted if x not in STATE_TH]
    if unknown:
        raise InvalidInput(f"ไม่รู้จักสถานะ {', '.join(unknown)}",
                           f"unknown state {', '.join(unknown)} (use {', '.join(STATE_TH)})")

    def work(s: Session, env: Env) -> list[dict[str, Any]]:
        member_id = find_member(s, member).id if member else None
        reqs = use.list_requests(s, states=wanted, member_id=member_id, limit=limit)
        return [table_row(env, request_dict(s, env, r), r) if not as_json else request_dict(s, env, r)
                for r in reqs]
    rows = _read(work)
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["id", "state", "member_name", "category", "when_th", "volunteer_name",
                           "stuck_reason"])


@requests_group.command("show")
@click.argument("request_id", type=int)
@json_option
@cli_errors
def show(request_id: int, as_json: bool) -> None:
    """One request with its offers and its full history."""
    def work(s: Session, env: Env) -> dict[str, Any]:
        req = use.load_request(s, request_id)
        d = request_dict(s, env, req)
        d["events"] = [event_dict(env, e) for e in use.history(s, req.id)]
        d["offers"] = [offer_dict(s, env, o) for o in
                       s.scalars(select(Offer).where(Offer.request_id == req.id).order_by(Offer.id))]
        d["when_th"] = when_th(env, req)
        return d
    d = _read(work)
    if as_json:
        d.pop("when_th")
        print_json(d)
        return
    click.echo(f"คำขอเลขที่ {d['id']}: {d['member_name']} ({d['member']}) · {d['category']} · {d['when_th']}"
               f" · {minutes_text(d['minutes'])}")
    click.echo(f"สถานะ / state: {d['state_th']} ({d['state']})")
    if d["volunteer"]:
        click.echo(f"ผู้ช่วย / volunteer: {d['volunteer_name']} ({d['volunteer']})")
    if d["stuck_reason"]:
        click.echo(f"ต้องดูแล / needs a person: {d['stuck_reason']}")
    if d["notes"]:
        click.echo(f"หมายเหตุ / notes: {d['notes']}")
    for o in d["offers"]:
        click.echo(f"  เสนอ #{o['rank']} {o['volunteer_name']} รหัส {o['code']}: {o['state']} · {o['reason']}")
    click.echo("ประวัติ / history:")
    for e in d["events"]:
        move = f"{e['from_state']}→{e['to_state']}" if e["from_state"] != e["to_state"] else ""
        detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
        click.echo(f"  {e['at']}  {e['kind']:<18} {move:<20} {e['actor']}  {detail}".rstrip())


@requests_group.command("cancel")
@click.argument("request_id", type=int)
@click.option("--reason", default="")
@by_option
@cli_errors
def cancel(request_id: int, reason: str, by: Optional[str]) -> None:
    """Cancel a request: offers withdrawn, held credits released, the volunteer told."""
    req = _run(lambda s, env: use.cancel_request(s, env, request_id, actor=actor(by), reason=reason))
    click.echo(f"ยกเลิกคำขอเลขที่ {req.id} แล้ว / cancelled")


def _suggestions(request_id: int) -> list[dict[str, Any]]:
    return _read(lambda s, env: [
        {"number": m.id, "name": m.name, "phone": m.phone, "village": m.village, "moo": m.moo,
         "reason": reason, "score": round(score, 3)}
        for m, reason, score in offers.suggestions(s, env, request_id)])


def _print_suggestions(request_id: int, rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo(f"ยังไม่มีจิตอาสาที่ว่างสำหรับคำขอเลขที่ {request_id} / nobody is free for this request")
        return
    click.echo(f"ผู้ช่วยที่เหมาะกับคำขอเลขที่ {request_id} / suggested volunteers:")
    for i, r in enumerate(rows, 1):
        click.echo(f"  {i}. {r['name']} ({r['phone']}, เลขที่ {r['number']}): {r['reason']}")


@requests_group.command("suggest")
@click.argument("request_id", type=int)
@json_option
@cli_errors
def suggest(request_id: int, as_json: bool) -> None:
    """The best volunteers for a request, each with a one-line Thai reason."""
    rows = _suggestions(request_id)
    if as_json:
        print_json(rows)
    else:
        _print_suggestions(request_id, rows)


@requests_group.command("assign")
@click.argument("request_id", type=int)
@click.argument("volunteer", required=False)
@click.option("--date", "on", default=None, help="the day agreed (default: the first free slot)")
@click.option("--part", default=None, help="morning | afternoon | evening")
@by_option
@cli_errors
def assign(request_id: int, volunteer: Optional[str], on: Optional[str], part: Optional[str],
           by: Optional[str]) -> None:
    """Assign VOLUNTEER by hand (they agreed by phone); without VOLUNTEER, show the suggestions."""
    if volunteer is None:
        _print_suggestions(request_id, _suggestions(request_id))
        click.echo("ใช้: wela requests assign ID VOLUNTEER / to assign: wela requests assign ID VOLUNTEER")
        return

    def work(s: Session, env: Env) -> dict[str, Any]:
        v = find_member(s, volunteer)
        day = parse_day(on) if on else None
        if (day is None) != (part is None):
            raise InvalidInput("ระบุ --date และ --part คู่กัน", "give --date and --part together")
        req = offers.assign_by_hand(s, env, request_id, v.id, actor=actor(by), day=day, part=_part(part))
        return request_dict(s, env, req)
    d = _run(work)
    click.echo(f"มอบงานเลขที่ {d['id']} ให้ {d['volunteer_name']} แล้ว ({d['planned_start']})")
    if d["stuck_reason"]:
        click.echo(f"  ต้องดูแล / needs a person: {d['stuck_reason']}")


@requests_group.command("answer")
@click.argument("request_id", type=int)
@click.argument("volunteer")
@click.option("--yes/--no", "accept", default=None, help="the volunteer accepts or declines")
@by_option
@cli_errors
def answer(request_id: int, volunteer: str, accept: Optional[bool], by: Optional[str]) -> None:
    """Record a volunteer's answer to the offer of a request (they told the coordinator)."""
    if accept is None:
        raise InvalidInput("ระบุ --yes (รับงาน) หรือ --no (ไม่รับ)", "give --yes or --no")

    def work(s: Session, env: Env) -> HelpRequest:
        v = find_member(s, volunteer)
        offer = s.scalar(select(Offer).where(Offer.request_id == request_id, Offer.volunteer_id == v.id)
                         .order_by(Offer.id.desc()).limit(1))
        if offer is None:
            use.load_request(s, request_id)
            raise NotFound(f"ไม่ได้เสนองานเลขที่ {request_id} ให้ {v.name}",
                           f"request {request_id} was never offered to {v.name}")
        if offer.state != "pending":
            raise Conflict(f"งานเลขที่ {request_id} ไม่ได้รอคำตอบจาก {v.name} แล้ว ({offer.state})",
                           f"the offer of request {request_id} to {v.name} is {offer.state}, not pending")
        return offers.answer_offer(s, env, volunteer_id=v.id, accept=accept, code=offer.code,
                                   actor=f"{actor(by)}:for:{v.id}")
    req = _run(work)
    click.echo(f"คำขอเลขที่ {req.id}: {STATE_TH[req.state]} ({req.state})")


@requests_group.command("done")
@click.argument("request_id", type=int)
@click.option("--minutes", type=int, default=None, help="how long the help really took")
@by_option
@cli_errors
def done(request_id: int, minutes: Optional[int], by: Optional[str]) -> None:
    """Record that the assigned volunteer has given the help."""
    def work(s: Session, env: Env) -> HelpRequest:
        req = use.load_request(s, request_id)
        if req.volunteer_id is None:
            raise Conflict("คำขอนี้ยังไม่มีผู้ช่วย", f"request {request_id} has no volunteer yet")
        return visits.report_done(s, env, volunteer_id=req.volunteer_id, request_id=req.id,
                                  minutes=minutes, actor=f"{actor(by)}:for:{req.volunteer_id}")
    req = _run(work)
    click.echo(f"คำขอเลขที่ {req.id}: {STATE_TH[req.state]} ({req.state})")


@requests_group.command("confirm")
@click.argument("request_id", type=int)
@click.option("--yes/--no", "received", default=None, help="the elder received the help, or not")
@click.option("--minutes", type=int, default=None, help="the duration both agree on")
@by_option
@cli_errors
def confirm(request_id: int, received: Optional[bool], minutes: Optional[int], by: Optional[str]) -> None:
    """Enter the elder's confirmation on their behalf: --yes pays the volunteer, --no opens a dispute."""
    if received is None:
        raise InvalidInput("ระบุ --yes (ได้รับความช่วยเหลือ) หรือ --no (ไม่ได้รับ)", "give --yes or --no")

    def work(s: Session, env: Env) -> HelpRequest:
        req = use.load_request(s, request_id)
        return visits.confirm_service(s, env, request_id=request_id, received=received, minutes=minutes,
                                      actor=f"{actor(by)}:for:{req.member_id}")
    req = _run(work)
    paid = f" จ่าย {minutes_text(req.paid_minutes)}" if req.state == "paid" and req.paid_minutes else ""
    click.echo(f"คำขอเลขที่ {req.id}: {STATE_TH[req.state]} ({req.state}){paid}")


@requests_group.command("resolve")
@click.argument("request_id", type=int)
@click.option("--pay", "pay_minutes", type=int, default=None, help="pay the volunteer this many minutes")
@click.option("--no-show", is_flag=True, help="the volunteer did not come: release the credits")
@click.option("--note", default="")
@by_option
@cli_errors
def resolve(request_id: int, pay_minutes: Optional[int], no_show: bool, note: str, by: Optional[str]) -> None:
    """Decide a dispute (--pay MINUTES or --no-show), or pay a confirmed visit after a pool grant."""
    if (pay_minutes is None) == (not no_show):
        raise InvalidInput("ระบุ --pay นาที หรือ --no-show อย่างใดอย่างหนึ่ง", "give either --pay MINUTES or --no-show")
    if pay_minutes is not None and pay_minutes <= 0:
        raise InvalidInput("จำนวนนาทีต้องมากกว่า 0", f"--pay must be above 0, got {pay_minutes}")
    req = _run(lambda s, env: visits.resolve_dispute(s, env, request_id=request_id, pay_minutes=pay_minutes,
                                                     actor=actor(by), note=note))
    click.echo(f"คำขอเลขที่ {req.id}: {STATE_TH[req.state]} ({req.state})")


@requests_group.command("stuck")
@json_option
@cli_errors
def stuck(as_json: bool) -> None:
    """Every request a person must look at, with the reason."""
    rows = _read(lambda s, env: [(table_row(env, request_dict(s, env, r), r) if not as_json
                                  else request_dict(s, env, r)) for r in use.stuck_requests(s)])
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("ไม่มีคำขอที่ติดค้าง / nothing is stuck")
    for r in rows:
        click.echo(f"#{r['id']} {r['member_name']} ({r['member']}) {r['category']} {r['when_th']} "
                   f"[{r['state_th']}]: {r['stuck_reason']}")
