"""The glue between Twilio's webhooks and the menu: one transaction per webhook, the call's state keyed by CallSid.

Each webhook runs in one transaction (``wela.db.atomic_tx``): the call row is locked, the menu takes
one step through ``DbWorld``, the step is logged, and the new state and its TwiML are saved
together. The call's own rows are read and written with statements prepared once per database
(``wela.db.Prepared``): a key press that only moves the menu never builds an ORM Session; a step
whose use case needs one (a payment, a callback) gets ``tx.session`` in the same transaction.
Twilio posts each step with its number (``/voice/step?n=…``); only the step the call is waiting
for is processed. A repeat of a step already done, or a stale one, gets the stored TwiML back and
changes nothing: no second request, no second payment.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Callable, Mapping, Optional, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ledger.errors import WelaError
from ledger.members import is_active, member_by_phone
from ledger.orm import BankSetting, Member
from ledger.phones import parse_phone
from ledger.prepared import Prepared, bound
from ledger.settings import get_setting
from scheduler.ports import CallOrder
from voice import menu
from voice.orm import FINAL_CALL_STATUSES, OutboundCall, VoiceCall, VoiceStep
from voice.outbound import CALLBACK_DELAY, on_status, queue_call
from voice.spec import Event, Reply, State
from voice.twiml import Renderer, apology
from voice.world import CALL_COLUMNS, CallRow, DbWorld, coordinator_number
from wela.db import Tx, atomic_tx

log = logging.getLogger("wela.voice")
T = TypeVar("T")

MISSED_CALLS = "voice_missed_calls"        # bank setting: off | hangup | reject
MODES = ("off", "hangup", "reject")
DEFAULT_MODE = "hangup"                    # a member who rings and hangs up in the greeting is called back
SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
DIGITS = re.compile(r"^[0-9*#]{1,20}$")
URL = re.compile(r"^https?://[^\s]{1,490}$")
ON = ("gather", "silence", "record", "dial")
RECENT_CALLBACK = timedelta(minutes=10)
CALLS, STEPS = VoiceCall.__table__, VoiceStep.__table__


@dataclass(frozen=True)
class Voice:
    """What the webhooks need: the composition root's Wela, a renderer for this request's links, and
    (SQLite only) the process's writer lock."""

    w: Any
    renderer: Renderer
    lock: Optional[Any] = None


def _transaction(v: Voice, work: Callable[[Tx], T], attempts: int = 5) -> T:
    """``atomic_tx``; on SQLite inside the writer lock (voice.sqlite_lock)."""
    if v.lock is None:
        return atomic_tx(v.w.engine, work, attempts)
    with v.lock:
        return atomic_tx(v.w.engine, work, attempts)


def call_sid(form: Mapping[str, str]) -> Optional[str]:
    sid = (form.get("CallSid") or "").strip()
    return sid if SID.match(sid) else None


def missed_call_mode(s: Session) -> str:
    return _mode(get_setting(s, MISSED_CALLS, DEFAULT_MODE))


def _missed_call_mode(tx: Tx) -> str:
    row = _statements(tx.dialect).setting.first(tx.flushed(), {"key": MISSED_CALLS})
    return _mode(row[0] if row else DEFAULT_MODE)


def _mode(mode: str) -> str:
    return mode if mode in MODES else DEFAULT_MODE


# ── Webhooks ──────────────────────────────────────────────────────────────────────

def incoming(v: Voice, form: Mapping[str, str]) -> str:
    """A call comes in: the welcome (or the stranger's menu), or a <Reject> and a callback."""
    sid = call_sid(form)
    if sid is None:
        return apologise(v, form)

    def work(tx: Tx) -> str:
        call = _locked(tx, sid)
        if call is not None:
            return call.last_reply                     # Twilio asked twice
        call = _new_call(tx, form, sid, "inbound")
        if call.member_id is not None and _missed_call_mode(tx) == "reject" \
                and _active(tx.session, v, call.member_id):
            _queue_callback(tx.session, v, call, due_in=CALLBACK_DELAY)
            return _begin(tx, v, call, "reject")
        return _begin(tx, v, call, "inbound")

    return _transaction(v, work)


def outbound(v: Voice, form: Mapping[str, str], order_id: Optional[int], attempt: Optional[int]) -> str:
    """A call the bank placed was answered: its menu (reminder, confirmation, callback)."""
    sid = call_sid(form)
    if sid is None:
        return apologise(v, form)

    def work(tx: Tx) -> str:
        call = _locked(tx, sid)
        if call is not None:
            return call.last_reply
        s = tx.session
        order = s.get(OutboundCall, order_id) if order_id else None
        call = _new_call(tx, form, sid, "outbound", order=order)
        if order is not None and attempt is not None:
            on_status(s, v.w, order_id=order.id, attempt=attempt, call_status="in-progress", call_sid=sid)
        entry = order.purpose if order is not None and order.purpose in menu.ENTRIES else "callback"
        return _begin(tx, v, call, entry, order.request_id if order is not None else None)

    return _transaction(v, work)


def step(v: Voice, form: Mapping[str, str], n: Optional[int], on: str) -> str:
    """Twilio posts step ``n`` of a call: a key, silence, a recording, or how a <Dial> ended."""
    sid = call_sid(form)
    if sid is None:
        return apologise(v, form)

    def work(tx: Tx) -> str:
        call = _locked(tx, sid)
        if call is None:                               # we never saw this call start
            call = _new_call(tx, form, sid, "inbound")
            return _begin(tx, v, call, "resume")
        if n != call.seq:
            return call.last_reply                     # a repeat, or stale: the same TwiML again
        event = read_event(on, form)
        world = _world(tx, v, call, n)
        before, member_id = call.node, call.member_id
        state, reply = menu.step(State(call.node, call.context or {}), event, world)
        if call.member_id != member_id:                # a caller on a neighbour's phone said who she is
            _statements(tx.dialect).save_member.run(tx.flushed(), {"call": call.id, "member_id": call.member_id})
        return _save(tx, v, call, before, event, state, reply)

    return _transaction(v, work)


def status(v: Voice, form: Mapping[str, str], order_id: Optional[int], attempt: Optional[int]) -> bool:
    """A call's status changed. Final statuses end the call once; True when a callback was queued."""
    sid = call_sid(form)
    call_status = (form.get("CallStatus") or "").strip().lower()

    def work(tx: Tx) -> bool:
        queued = False
        call = _locked(tx, sid) if sid else None
        if call is not None and call_status in FINAL_CALL_STATUSES and call.ended_at is None:
            duration = (form.get("CallDuration") or "").strip()
            _statements(tx.dialect).end_call.run(tx, {
                "call": call.id, "ended_at": v.w.clock.now(), "status": call_status,
                "duration_s": int(duration) if duration.isdecimal() and len(duration) < 7 else None})
            if _missed(tx, call):
                queued = _queue_callback(tx.session, v, call, due_in=timedelta(0)) is not None
        if order_id is not None and attempt is not None:
            on_status(tx.session, v.w, order_id=order_id, attempt=attempt, call_status=call_status,
                      call_sid=sid or "")
        return queued

    return _transaction(v, work)


def apologise(v: Voice, form: Mapping[str, str]) -> str:
    """Thai apology, then the coordinator (or a noted callback): for input we cannot use, or a failure."""
    coordinator = ""
    try:
        coordinator = _transaction(v, lambda tx: _note_and_find_coordinator(tx.session, v, form), attempts=2)
    except Exception:  # noqa: BLE001  (the database may be the thing that failed)
        log.exception("could not note a callback while apologising")
        coordinator = v.w.settings.coordinator_phone or ""
    return apology(v.renderer, coordinator)


# ── Steps ─────────────────────────────────────────────────────────────────────────

def read_event(on: str, form: Mapping[str, str]) -> Event:
    digits = (form.get("Digits") or "").strip()
    if on == "dial":
        return Event("dial", status=(form.get("DialCallStatus") or "").strip().lower()[:20])
    if on == "record":
        url = (form.get("RecordingUrl") or "").strip()
        return Event("recording", digits if DIGITS.match(digits) else "",
                     url if URL.match(url) else "")
    if on != "gather" or not digits:
        return Event("silence")
    return Event("keys", digits) if DIGITS.match(digits) else Event("invalid")


def _begin(tx: Tx, v: Voice, call: CallRow, entry: str, request_id: Optional[int] = None) -> str:
    state, reply = menu.start(entry, _world(tx, v, call, 0), request_id)
    return _save(tx, v, call, "", Event("start", entry), state, reply)


def _save(tx: Tx, v: Voice, call: CallRow, before: str, event: Event, state: State,
          reply: Reply) -> str:
    n = call.seq if event.kind != "start" else 0
    xml = v.renderer.render(reply, n + 1, slow=bool(state.ctx.get("slow")))
    st = _statements(tx.dialect)
    tx.flushed()                                       # a use case's rows first (a request, a payment)
    if not call.id:                                    # a new call: stored with its first reply
        call.id = st.add_call.first(tx, {
            "call_sid": call.call_sid, "direction": call.direction, "from_phone": call.from_phone,
            "to_phone": call.to_phone, "member_id": call.member_id, "order_id": call.order_id,
            "node": state.node, "context": dict(state.ctx), "seq": n + 1, "last_reply": xml,
            "started_at": v.w.clock.now(), "status": "in-progress", "needed_person": bool(reply.person),
            "tasks": [reply.task] if reply.task else [],
        })[0]
        st.add_step.run(tx, _step_values(v, call, n, before, event, state, reply))
        return xml
    st.add_step.run(tx, _step_values(v, call, n, before, event, state, reply))
    tasks = [*(call.tasks or []), reply.task] if reply.task else list(call.tasks or [])
    st.save_call.run(tx, {
        "call": call.id, "node": state.node, "context": dict(state.ctx), "seq": n + 1, "last_reply": xml,
        "needed_person": bool(call.needed_person or reply.person), "tasks": tasks})
    return xml


def _step_values(v: Voice, call: CallRow, n: int, before: str, event: Event, state: State,
                 reply: Reply) -> dict[str, Any]:
    return {"call_id": call.id, "seq": n, "at": v.w.clock.now(), "node": before[:30],
            "event": event.kind[:12], "digits": event.digits[:20], "next_node": state.node[:30],
            "task": reply.task}


class _Statements:
    """The hot path's statements, prepared once per database (``wela.db.Prepared``)."""

    def __init__(self, dialect: Dialect) -> None:
        members, settings = Member.__table__, BankSetting.__table__

        def prepared(stmt: Any) -> Prepared:
            return Prepared(stmt, dialect)

        self.find_call = prepared(select(*(CALLS.c[name] for name in CALL_COLUMNS))
                                  .where(CALLS.c.call_sid == bindparam("sid")).with_for_update())
        self.find_member = prepared(select(members.c.id).where(members.c.phone == bindparam("phone")))
        self.setting = prepared(select(settings.c.value).where(settings.c.key == bindparam("key")))
        self.add_call = prepared(insert(CALLS).values(bound(
            "call_sid", "direction", "from_phone", "to_phone", "member_id", "order_id", "node", "context",
            "seq", "last_reply", "started_at", "status", "needed_person", "tasks")).returning(CALLS.c.id))
        self.add_step = prepared(insert(STEPS).values(bound(
            "call_id", "seq", "at", "node", "event", "digits", "next_node", "task")))
        self.end_call = prepared(update(CALLS).where(CALLS.c.id == bindparam("call")).values(
            bound("ended_at", "status", "duration_s")))
        # The call's member is set on its own, when it changes: an indexed column in a SET list costs
        # SQLite an index page written (and a foreign key looked up) on every step, changed or not.
        self.save_call = prepared(update(CALLS).where(CALLS.c.id == bindparam("call")).values(
            bound("node", "context", "seq", "last_reply", "needed_person", "tasks")))
        self.save_member = prepared(update(CALLS).where(CALLS.c.id == bindparam("call")).values(
            bound("member_id")))


@cache
def _statements(dialect: Dialect) -> _Statements:
    return _Statements(dialect)


def _world(tx: Tx, v: Voice, call: CallRow, n: int) -> DbWorld:
    return DbWorld(tx, _env(v), call, key=f"ivr:{call.call_sid}:{n}",
                   coordinator_phone=v.w.settings.coordinator_phone)


def _env(v: Voice):  # noqa: ANN202
    from wela.wiring import scheduler_env

    return scheduler_env(v.w)


def _locked(tx: Tx, sid: str) -> Optional[CallRow]:
    row = _statements(tx.dialect).find_call.first(tx, {"sid": sid})
    return CallRow(*row) if row is not None else None


def _new_call(tx: Tx, form: Mapping[str, str], sid: str, direction: str,
              order: Optional[OutboundCall] = None) -> CallRow:
    """A call not stored yet: ``_save`` stores it with its first reply."""
    src, dst = (form.get("From") or "").strip()[:40], (form.get("To") or "").strip()[:40]
    member_id = order.member_id if order is not None else \
        _member_id(tx, dst if direction == "outbound" else src)
    return CallRow(id=0, call_sid=sid, direction=direction, from_phone=src, to_phone=dst,
                   member_id=member_id, order_id=order.id if order is not None else None)


def _member_id(tx: Tx, phone: str) -> Optional[int]:
    find = _statements(tx.dialect).find_member
    if phone.startswith("+"):                          # Twilio sends E.164, as we store it: try as is
        row = find.first(tx, {"phone": phone})
        if row is not None:
            return row[0]
    try:
        e164 = parse_phone(phone)
    except WelaError:
        return None
    row = find.first(tx, {"phone": e164}) if e164 != phone else None
    return row[0] if row is not None else None


def _active(s: Session, v: Voice, member_id: int) -> bool:
    member = s.get(Member, member_id)
    return member is not None and is_active(member, _env(v).today())


# ── Missed calls ──────────────────────────────────────────────────────────────────

def _missed(tx: Tx, call: CallRow) -> bool:
    """An inbound member who hung up during the greeting, in a bank that calls back."""
    return (call.direction == "inbound" and call.member_id is not None and call.seq == 1
            and call.node in menu.HOME_MENUS and _missed_call_mode(tx) == "hangup")


def _queue_callback(s: Session, v: Voice, call: CallRow, *, due_in: timedelta) -> Optional[OutboundCall]:
    now = v.w.clock.now()
    recent = s.scalar(select(OutboundCall.id).where(
        OutboundCall.member_id == call.member_id, OutboundCall.purpose == "callback",
        OutboundCall.created_at >= now - RECENT_CALLBACK,
        OutboundCall.status.in_(("queued", "calling", "in-progress"))).limit(1))
    if recent is not None:
        return None                                   # already calling this member back
    member = s.get(Member, call.member_id)
    order = CallOrder(member.id, member.phone, "callback", f"missed:{call.call_sid}")
    return queue_call(s, order, now=now, due=now + due_in if due_in else None)


def _note_and_find_coordinator(s: Session, v: Voice, form: Mapping[str, str]) -> str:
    from voice.people import note_callback

    sid = call_sid(form) or ""
    phone = (form.get("From") or "").strip()[:40]
    member = member_by_phone(s, phone) if phone else None
    if phone and (member is not None or phone.startswith("+")):
        note_callback(s, _env(v).notifier, key=f"callback:{sid or phone}", call_sid=sid, phone=phone,
                      member_id=member.id if member else None, reason="error", now=v.w.clock.now())
    return coordinator_number(s, v.w.settings.coordinator_phone)

