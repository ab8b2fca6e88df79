"""Outbound calls: the scheduler's CallPlacer queues a row; ``flush`` dials the due rows, each attempt once.

1. ``CallQueue.place(s, order)`` writes a ``queued`` row in the caller's transaction, once per
   ``order.key`` (the scheduler's reminders, confirmation calls, missed-call callbacks).
2. ``flush(w)`` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), marks them
   ``calling`` with one more attempt, commits, then dials each through the bank's ``Dialer``
   outside any transaction, and records the provider's call id.
3. Twilio's status callbacks (``on_status``) move a row forward only, and only for the attempt
   they name: a busy or unanswered attempt is tried again later (at most ``MAX_ATTEMPTS``,
   spaced by ``RETRY_AFTER``); a repeated or late callback changes nothing.

Without Twilio credentials (or without a public URL Twilio could reach) the dialer is the
console one: it logs the call and, for the demo, marks it completed.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ledger.clock import Clock, SystemClock
from scheduler.ports import CallOrder
from voice.orm import ORDER_RANK, OutboundCall
from voice.twiml import Links
from wela.db import add_once, atomic

log = logging.getLogger("wela.voice")

MAX_ATTEMPTS = 3
RETRY_AFTER = (timedelta(minutes=5), timedelta(minutes=15))
LEASE = timedelta(minutes=15)       # "calling" this long with no callback: the attempt is lost
CALLBACK_DELAY = timedelta(seconds=10)
TWILIO_STATUS = {"queued": "calling", "initiated": "calling", "ringing": "calling",
                 "in-progress": "in-progress", "answered": "in-progress", "completed": "completed",
                 "busy": "busy", "no-answer": "no-answer", "failed": "failed", "canceled": "no-answer"}


# ── The dialer port and the harmless ones ───────────────────────────────────────────

@dataclass(frozen=True)
class Placed:
    sid: str
    status: str = "calling"          # "completed" when the dialer finished the call itself (console)


class DialFailed(Exception):
    """The call was not placed (``permanent``: trying again cannot help), or we cannot tell
    (``in_doubt``: the request left and no answer came; the status callback, or the lease, settles it)."""

    def __init__(self, message: str, *, permanent: bool = False, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.in_doubt = in_doubt


class Dialer(Protocol):
    name: str

    def dial(self, *, to: str, url: str, status_callback: str) -> Placed:
        """Start a call to ``to`` that fetches its TwiML from ``url``; raise DialFailed."""


class ConsoleDialer:
    """No telephone: log the call and mark it completed, so the demo runs on one machine."""

    name = "console"

    def dial(self, *, to: str, url: str, status_callback: str) -> Placed:
        log.info("โทรออก (console) / call (console) to %s: %s", to, url)
        return Placed(f"CAconsole{uuid.uuid4().hex[:23]}", "completed")


@dataclass
class FakeDialer:
    """For tests: records every call; ``fail`` makes the next dials raise."""

    name: str = "fake"
    calls: list[dict[str, str]] = field(default_factory=list)
    fail: Optional[DialFailed] = None

    def dial(self, *, to: str, url: str, status_callback: str) -> Placed:
        if self.fail is not None:
            raise self.fail
        sid = "CA" + uuid.uuid4().hex
        self.calls.append({"to": to, "url": url, "status_callback": status_callback, "sid": sid})
        return Placed(sid)


def build_dialer(settings: Any) -> Dialer:
    if settings.twilio_configured and settings.twilio_from_number and settings.public_url:
        from voice.twilio_calls import TwilioDialer

        return TwilioDialer(settings.twilio_account_sid, settings.twilio_auth_token,
                            settings.twilio_from_number, api_base=settings.twilio_api_base)
    if settings.twilio_configured:
        log.warning("Twilio is configured but WELA_PUBLIC_URL or TWILIO_FROM_NUMBER is not: "
                    "outbound calls go to the console")
    return ConsoleDialer()


def dialer_of(w: Any) -> Dialer:
    if w.adapters.call_placer is None:
        w.adapters.call_placer = build_dialer(w.settings)
    return w.adapters.call_placer


# ── Queueing ──────────────────────────────────────────────────────────────────────

class CallQueue:
    """Implements scheduler.ports.CallPlacer: a queued row in the caller's transaction, once per key."""

    def __init__(self, clock: Optional[Clock] = None) -> None:
        self.clock = clock or SystemClock()

    def place(self, s: Session, order: CallOrder) -> None:
        queue_call(s, order, now=self.clock.now())


def queue_call(s: Session, order: CallOrder, *, now: datetime,
               due: Optional[datetime] = None) -> OutboundCall:
    key = order.key[:160]
    return add_once(s, lambda: s.scalar(select(OutboundCall).where(OutboundCall.key == key)),
                    lambda: OutboundCall(key=key, member_id=order.member_id, phone=order.phone,
                                         purpose=order.purpose, request_id=order.request_id, status="queued",
                                         attempts=0, next_attempt_at=due, created_at=now, updated_at=now))[0]


# ── Dialling ──────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class _Claimed:
    id: int
    attempt: int
    phone: str


def flush(w: Any, *, limit: int = 20, dialer: Optional[Dialer] = None, key: Optional[str] = None
          ) -> dict[str, int]:
    """Dial what is due now (only the order ``key`` if given; through ``dialer``, else the bank's).
    Returns counts: dialled, completed, retried, failed, in_doubt, lost."""
    dialer = dialer or dialer_of(w)
    links = Links(w.settings.public_url)
    claimed, report = atomic(w.sessions, lambda s: _claim(s, w, limit, key))
    for item in claimed:
        url, status_url = links.outbound(item.id, item.attempt), links.status(item.id, item.attempt)
        try:
            placed = dialer.dial(to=item.phone, url=url, status_callback=status_url)
        except DialFailed as err:
            log.warning("call %s to %s not placed: %s", item.id, item.phone, err)
            outcome = atomic(w.sessions, lambda s, i=item, e=err: _failed(s, w, i, e))
        else:
            outcome = atomic(w.sessions, lambda s, i=item, p=placed: _placed(s, w, i, p))
        report[outcome] += 1
    return {k: v for k, v in report.items() if v}


def _claim(s: Session, w: Any, limit: int, key: Optional[str] = None) -> tuple[list[_Claimed], Counter]:
    now = w.clock.now()
    report: Counter = Counter()
    due = or_(and_(OutboundCall.status == "queued",
                   or_(OutboundCall.next_attempt_at.is_(None), OutboundCall.next_attempt_at <= now)),
              and_(OutboundCall.status.in_(("calling", "in-progress")),
                   OutboundCall.updated_at < now - LEASE))
    stmt = select(OutboundCall).where(due)
    if key is not None:
        stmt = stmt.where(OutboundCall.key == key)
    rows = list(s.scalars(stmt.order_by(OutboundCall.id).limit(limit).with_for_update(skip_locked=True)))
    claimed = []
    for row in rows:
        if row.status != "queued":               # no callback ever came for that attempt
            settle(s, w, row, "no-answer", now, error="no status callback")
            report["lost"] += 1
            continue
        row.status, row.attempts, row.call_sid, row.updated_at = "calling", row.attempts + 1, None, now
        claimed.append(_Claimed(row.id, row.attempts, row.phone))
    return claimed, report


def _placed(s: Session, w: Any, item: _Claimed, placed: Placed) -> str:
    row = s.get(OutboundCall, item.id, with_for_update=True)
    if row is None or row.attempts != item.attempt or row.status not in ("calling", "in-progress"):
        return "dialled"                         # a status callback was faster than us
    row.call_sid = placed.sid[:64]
    row.updated_at = w.clock.now()
    if placed.status in ORDER_RANK and ORDER_RANK[placed.status] == 3:
        settle(s, w, row, placed.status, w.clock.now())
        return placed.status
    return "dialled"


def _failed(s: Session, w: Any, item: _Claimed, err: DialFailed) -> str:
    row = s.get(OutboundCall, item.id, with_for_update=True)
    if row is None or row.attempts != item.attempt or row.status != "calling":
        return "failed"
    if err.in_doubt:
        row.last_error = str(err)[:500]
        return "in_doubt"
    if err.permanent:
        row.attempts = MAX_ATTEMPTS
    return settle(s, w, row, "failed", w.clock.now(), error=str(err))


def settle(s: Session, w: Any, row: OutboundCall, status: str, now: datetime, *,
           error: Optional[str] = None) -> str:
    """The current attempt ended with ``status``: done, tried again later, or given up."""
    row.updated_at = now
    if error or status != "completed":
        row.last_error = (error or status)[:500]
    if status == "completed":
        row.status = "completed"
        return "completed"
    if row.attempts < MAX_ATTEMPTS:
        row.status = "queued"
        row.next_attempt_at = now + RETRY_AFTER[min(row.attempts, len(RETRY_AFTER)) - 1]
        return "retried"
    row.status = status if status in ORDER_RANK else "failed"
    if row.purpose == "callback":               # the bank could not call back: a person will
        from voice.people import note_callback
        from wela.wiring import scheduler_env

        note_callback(s, scheduler_env(w).notifier, key=f"callback-failed:{row.id}", call_sid="",
                      phone=row.phone, member_id=row.member_id, reason="callback_failed", now=now)
    return "failed"


def on_status(s: Session, w: Any, *, order_id: int, attempt: int, call_status: str,
              call_sid: str) -> Optional[str]:
    """Apply Twilio's status callback for ``attempt`` of an order; None when it changes nothing."""
    row = s.get(OutboundCall, order_id, with_for_update=True)
    if row is None or attempt != row.attempts or row.status not in ("calling", "in-progress"):
        return None                              # stale, repeated, or for an attempt already settled
    if row.call_sid and call_sid and row.call_sid != call_sid:
        return None
    status = TWILIO_STATUS.get((call_status or "").strip().lower())
    if status is None or ORDER_RANK[status] <= ORDER_RANK[row.status]:
        return None                              # unknown, or not forward (ringing after answered)
    row.call_sid = row.call_sid or (call_sid[:64] or None)
    if ORDER_RANK[status] == 3:
        return settle(s, w, row, status, w.clock.now())
    row.status, row.updated_at = status, w.clock.now()
    return status
