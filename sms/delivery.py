"""Delivery status: provider callbacks move an outbox row forward only, however often and late they come.

Providers repeat callbacks and send them out of order ("delivered" before "sent"); a rank table
(``sms.orm.STATUS_RANK``) decides, so a repeat or a late arrival changes nothing. A callback may also
come before our own record of the send (the provider is faster than our commit): it finds the row
by our ``ref`` and fills in the provider's id.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from sms.orm import STATUS_RANK, OutboundSms, history_entry

log = logging.getLogger("wela.sms")


def advance(row: OutboundSms, status: str, now: datetime, note: str = "") -> bool:
    """Move `row` to `status` if that is forward; False (and nothing changed) otherwise."""
    if status not in STATUS_RANK or STATUS_RANK[status] <= STATUS_RANK[row.status]:
        return False
    row.status = status
    row.updated_at = now
    row.history = [*(row.history or []), history_entry(now, status, note)]
    return True


def find_row(s: Session, *, provider: str, provider_id: str = "", ref: str = "",
             lock: bool = True) -> Optional[OutboundSms]:
    """The outbox row a provider's message is about: by our ref first, else by the provider's id."""
    stmt = None
    if ref:
        stmt = select(OutboundSms).where(OutboundSms.ref == ref)
    elif provider_id:
        stmt = select(OutboundSms).where(OutboundSms.provider == provider,
                                         OutboundSms.provider_id == provider_id)
    if stmt is None:
        return None
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return s.scalars(stmt.limit(1)).first()


def record_status(s: Session, *, provider: str, status: Optional[str], now: datetime,
                  provider_id: str = "", ref: str = "", error: str = "") -> bool:
    """A provider's word about one of our texts. True when the row moved forward."""
    row = find_row(s, provider=provider, provider_id=provider_id, ref=ref)
    if row is None:
        log.info("status %s for unknown message %s/%s (ref %r)", status, provider, provider_id, ref)
        return False
    if provider_id and not row.provider_id:
        row.provider, row.provider_id = provider, provider_id[:80]
    if error:
        row.last_error = error[:2000]
    moved = advance(row, status, now, f"{provider}: {status}" + (f" ({error})" if error else "")) \
        if status else False
    if moved and row.sent_at is None:
        row.sent_at = now
    return moved
