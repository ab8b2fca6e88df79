"""The outbox: every text is a row first; ``flush`` sends the due rows through the gateway, each once.

How a row is sent
-----------------
1. *Claim* (one short transaction): due rows are locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
   SQLite's write transaction serialises runners), checked against opt-outs and the per-number
   rate limit, and marked ``sending`` with a lease and this flush's token.
2. *Send*, outside any transaction: the provider is called (a timeout bounds every call).
3. *Record* (one short transaction): ``sent`` with the provider's id, or back to ``queued`` with an
   exponential backoff, or ``failed`` when the provider refuses the text itself or the attempts
   run out. A row only moves from ``sending`` when its lease holder records it.

Trade-off: a crash between 2 and 3
----------------------------------
The provider may hold the text while our row still says ``sending``. We do not resend blindly:
when the lease runs out the row is claimed again *in doubt*, and before sending the outbox asks
the gateway whether the provider already has it (``find``: the Android gateway by our own message
id, Twilio by listing recent messages to that number with that body). Found: recorded as sent,
not sent again. Not found: sent. A timeout (the request left, no answer came) is treated the same
way. So delivery is at-least-once with a lookup before every repeat: a duplicate can only happen
when the provider took the text but cannot show it yet; a loss cannot happen, short of the
provider losing it.

A provider that fails is tried once per flush: after the first retryable failure the other
claimed rows go back to the queue untried, so a dead provider costs one timeout, not one per text.
Quiet hours (21:00–07:00, bank time): only urgent rows leave; the rest wait in the queue.
Rate limit: at most ``RATE_LIMIT`` texts per number in ``RATE_WINDOW`` (replies included); the rest
wait. A stopped number gets nothing but the stop confirmation (purpose ``stop``): its other rows
end as ``failed`` ("stopped").
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Optional, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ledger.clock import Clock, SystemClock
from sms.delivery import advance
from sms.gateways import GatewayError, SendResult, SmsGateway, build_gateway
from sms.optout import is_stopped
from sms.orm import OutboundSms, history_entry
from sms.segments import segments
from wela.db import add_once, atomic

log = logging.getLogger("wela.sms")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 10
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=10)
RATE_WAIT = timedelta(minutes=2)
QUIET_START, QUIET_END = time(21, 0), time(7, 0)
STOP_PURPOSE = "stop"


# --- writing rows ------------------------------------------------------------------------

def enqueue(s: Session, *, key: str, to_phone: str, body: str, purpose: str,
            now: Optional[datetime] = None, member_id: Optional[int] = None,
            request_id: Optional[int] = None, urgent: bool = False, template: str = "",
            status: str = "queued", provider: Optional[str] = None) -> OutboundSms:
    """Add one text to the outbox unless a row with this key exists (then that row is returned)."""
    key = key[:160]
    now = now or SystemClock().now()

    def make() -> OutboundSms:
        info = segments(body)
        return OutboundSms(key=key, ref=uuid.uuid4().hex, member_id=member_id, to_phone=to_phone, body=body,
                           template=template[:60], purpose=purpose[:20], request_id=request_id,
                           segments=info.parts, encoding=info.encoding, urgent=urgent, status=status,
                           provider=provider, attempts=0, next_attempt_at=None, in_doubt=False,
                           created_at=now, updated_at=now, sent_at=now if status == "sent" else None,
                           history=[history_entry(now, status, purpose)])

    return add_once(s, lambda: s.scalar(select(OutboundSms).where(OutboundSms.key == key)), make)[0]


# --- sending ---------------------------------------------------------------------------------

def gateway_of(w: Any) -> SmsGateway:
    """The bank's gateway: the one the composition root was given, else built from settings once."""
    if w.adapters.sms_gateway is None:
        w.adapters.sms_gateway = build_gateway(w.settings)
    return w.adapters.sms_gateway


def is_quiet(now: datetime, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz).time()
    return local >= QUIET_START or local < QUIET_END


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … at most 30 min."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass(frozen=True)
class _Claimed:
    id: int
    ref: str
    to: str
    body: str
    in_doubt: bool


def flush(w: Any, *, phone: Optional[str] = None, limit: int = 100) -> dict[str, int]:
    """Send what is due now (only to `phone` if given). Returns counts: sent, found, retried, …"""
    gateway = gateway_of(w)
    tz = ZoneInfo(w.settings.timezone)
    token = uuid.uuid4().hex[:16]
    claimed, report = atomic(w.sessions, lambda s: _claim(s, w.clock, tz, token, phone, limit))
    for i, item in enumerate(claimed):
        outcome = _deliver(w, gateway, item, token)
        report[outcome] += 1
        if outcome == "retried" and i + 1 < len(claimed):
            # The provider is failing: the rest wait for the next flush instead of each waiting
            # out its own timeout now (a dead provider must not hold the runner for minutes).
            rest = [c.id for c in claimed[i + 1:]]
            report["held_back"] += atomic(w.sessions, lambda s: _release(s, rest, token, w.clock.now()))
            break
    return {k: v for k, v in report.items() if v}


def _claim(s: Session, clock: Clock, tz: ZoneInfo, token: str, phone: Optional[str], limit: int
           ) -> tuple[list[_Claimed], Counter]:
    now = clock.now()
    report: Counter = Counter()
    due = or_(and_(OutboundSms.status == "queued",
                   or_(OutboundSms.next_attempt_at.is_(None), OutboundSms.next_attempt_at <= now)),
              and_(OutboundSms.status == "sending", OutboundSms.lease_until < now))
    stmt = select(OutboundSms).where(due)
    if is_quiet(now, tz):
        stmt = stmt.where(or_(OutboundSms.urgent.is_(True), OutboundSms.purpose == STOP_PURPOSE))
    if phone:
        stmt = stmt.where(OutboundSms.to_phone == phone)
    rows = list(s.scalars(stmt.order_by(OutboundSms.urgent.desc(), OutboundSms.id).limit(limit)
                          .with_for_update(skip_locked=True)))
    recent = _recent_counts(s, {r.to_phone for r in rows}, now)
    claimed: list[_Claimed] = []
    for row in rows:
        if row.status == "sending":                 # its lease ran out: the send may have happened
            row.in_doubt = True
            row.history = [*row.history, history_entry(now, "sending", "lease ran out; checking first")]
        if row.purpose != STOP_PURPOSE and is_stopped(s, row.to_phone):
            _finish(row, now, "failed", "stopped: the number said stop")
            report["stopped"] += 1
            continue
        if not row.in_doubt and row.purpose != STOP_PURPOSE and recent[row.to_phone] >= RATE_LIMIT:
            row.status, row.next_attempt_at, row.updated_at = "queued", now + RATE_WAIT, now
            report["deferred"] += 1
            continue
        recent[row.to_phone] += 1
        row.status, row.lease_until, row.leased_by = "sending", now + LEASE, token
        row.attempts += 1
        row.updated_at = now
        row.history = [*row.history, history_entry(now, "sending", f"attempt {row.attempts}")]
        claimed.append(_Claimed(row.id, row.ref, row.to_phone, row.body, row.in_doubt))
    return claimed, report


def _recent_counts(s: Session, phones: set[str], now: datetime) -> Counter:
    if not phones:
        return Counter()
    sent = s.execute(select(OutboundSms.to_phone, func.count())
                     .where(OutboundSms.to_phone.in_(phones),
                            or_(OutboundSms.sent_at >= now - RATE_WINDOW,
                                and_(OutboundSms.status == "sending", OutboundSms.lease_until >= now)))
                     .group_by(OutboundSms.to_phone))
    return Counter(dict(sent.all()))


def _known_ids(s: Session, item: _Claimed) -> frozenset[str]:
    """Provider ids of the same text to the same number already recorded on other rows: read just
    before a lookup, so two doubtful rows with the same text never claim the same provider message."""
    return frozenset(s.scalars(select(OutboundSms.provider_id).where(
        OutboundSms.to_phone == item.to, OutboundSms.body == item.body, OutboundSms.id != item.id,
        OutboundSms.provider_id.is_not(None))))


def _deliver(w: Any, gateway: SmsGateway, item: _Claimed, token: str) -> str:
    found = False
    try:
        result: Optional[SendResult] = None
        if item.in_doubt:
            with w.reads() as s:
                exclude = _known_ids(s, item)
            result = gateway.find(item.to, item.body, ref=item.ref, exclude=exclude)
            found = result is not None
        if result is None:
            result = gateway.send(item.to, item.body, ref=item.ref)
    except GatewayError as err:
        log.warning("SMS %s to %s not sent: %s", item.id, item.to, err)
        return atomic(w.sessions, lambda s: _record_failure(s, item.id, token, err, w.clock.now()))
    except Exception as exc:  # noqa: BLE001  (an adapter's bug must not stop the other texts)
        log.exception("SMS %s: the gateway broke", item.id)
        err = GatewayError(f"{type(exc).__name__}: {exc}", in_doubt=True)
        return atomic(w.sessions, lambda s: _record_failure(s, item.id, token, err, w.clock.now()))
    atomic(w.sessions, lambda s: _record_sent(s, item.id, result, gateway.name, w.clock.now(), found))
    return "found" if found else "sent"


def _locked(s: Session, row_id: int) -> OutboundSms:
    return s.scalar(select(OutboundSms).where(OutboundSms.id == row_id).with_for_update()
                    .execution_options(populate_existing=True))


def _record_sent(s: Session, row_id: int, result: SendResult, provider: str, now: datetime,
                 found: bool) -> None:
    row = _locked(s, row_id)
    row.provider = provider
    row.provider_id = row.provider_id or result.provider_id[:80]
    row.sent_at = row.sent_at or now
    row.in_doubt, row.lease_until, row.leased_by, row.last_error = False, None, None, None
    note = "the provider already had it" if found else f"{provider} {result.provider_id}"
    if not advance(row, "sent", now, note):
        row.updated_at = now
    if result.status != "sent":
        advance(row, result.status, now, f"{provider}: {result.status}")


def _record_failure(s: Session, row_id: int, token: str, err: GatewayError, now: datetime) -> str:
    row = _locked(s, row_id)
    if row.status != "sending" or row.leased_by != token:
        return "lost_lease"                          # a callback or another runner moved it on
    row.last_error = str(err)[:2000]
    row.lease_until, row.leased_by = None, None
    row.in_doubt = row.in_doubt or err.in_doubt
    if err.permanent:
        _finish(row, now, "failed", f"refused: {err}")
        return "failed"
    if row.attempts >= MAX_ATTEMPTS:
        _finish(row, now, "failed", f"gave up after {row.attempts} attempts: {err}")
        return "failed"
    wait = backoff(row.attempts)
    row.status, row.next_attempt_at, row.updated_at = "queued", now + wait, now
    row.history = [*row.history, history_entry(now, "queued", f"retry in {int(wait.total_seconds())} s: {err}")]
    return "retried"


def _release(s: Session, row_ids: list[int], token: str, now: datetime) -> int:
    """Give claimed rows back untried (their attempt does not count)."""
    released = 0
    for row_id in row_ids:
        row = _locked(s, row_id)
        if row.status != "sending" or row.leased_by != token:
            continue
        row.status, row.lease_until, row.leased_by, row.updated_at = "queued", None, None, now
        row.attempts = max(row.attempts - 1, 0)
        row.next_attempt_at = now + BACKOFF_FIRST
        row.history = [*row.history, history_entry(now, "queued", "not tried: the provider is failing")]
        released += 1
    return released


def _finish(row: OutboundSms, now: datetime, status: str, note: str) -> None:
    row.status, row.updated_at, row.last_error = status, now, note[:2000]
    row.lease_until, row.leased_by = None, None
    row.history = [*row.history, history_entry(now, status, note)]


# --- reading ---------------------------------------------------------------------------------

def outbox_rows(s: Session, *, status: Optional[str] = None, phone: Optional[str] = None,
                limit: int = 200) -> Sequence[OutboundSms]:
    stmt = select(OutboundSms).order_by(OutboundSms.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboundSms.status == status)
    if phone:
        stmt = stmt.where(OutboundSms.to_phone == phone)
    return s.scalars(stmt).all()


def as_dict(row: OutboundSms) -> dict[str, Any]:
    """One row for `wela sms outbox --json` and the admin page."""
    return {"id": row.id, "to": row.to_phone, "body": row.body, "purpose": row.purpose,
            "status": row.status, "segments": row.segments, "encoding": row.encoding,
            "urgent": row.urgent, "request": row.request_id, "member": row.member_id,
            "template": row.template, "provider": row.provider, "provider_id": row.provider_id,
            "attempts": row.attempts, "next_attempt_at": row.next_attempt_at,
            "last_error": row.last_error, "created_at": row.created_at, "sent_at": row.sent_at,
            "key": row.key, "history": row.history}
