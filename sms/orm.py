"""Tables of the SMS channel: the outbox (every text we send), the inbox (every text we get), opt-outs.

Every outbound text is a row before it is anything else; the row carries its own history. Its
``status`` moves through ``queued → sending → sent → delivered | undelivered | failed``. Provider
callbacks only ever move it forward (``STATUS_RANK``): they repeat and arrive out of order. The
outbox itself may put a ``sending`` row back to ``queued`` when a send attempt failed (a retry).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.orm import Base

OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed")
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
FINAL = frozenset(s for s, rank in STATUS_RANK.items() if rank == 3)
MAX_INBOUND_BODY = 1600


class OutboundSms(Base):
    """One text to one phone, named by an idempotency key: a second row with the same key is refused."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)        # our id at the provider
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(60), default="")
    purpose: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[Optional[int]] = mapped_column(ForeignKey("help_requests.id"))
    segments: Mapped[int] = mapped_column(default=1)
    encoding: Mapped[str] = mapped_column(String(5), default="UCS-2")
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    provider: Mapped[Optional[str]] = mapped_column(String(20))
    provider_id: Mapped[Optional[str]] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[Optional[datetime]]            # None: as soon as possible
    in_doubt: Mapped[bool] = mapped_column(default=False)   # a send may have reached the provider
    lease_until: Mapped[Optional[datetime]]
    leased_by: Mapped[Optional[str]] = mapped_column(String(80))
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[Optional[datetime]]
    updated_at: Mapped[datetime]
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)

    __table_args__ = (
        CheckConstraint("status in ('queued','sending','sent','delivered','undelivered','failed')",
                        name="status"),
        Index("ix_sms_outbox_due", "status", "next_attempt_at"),
        Index("ix_sms_outbox_provider_id", "provider", "provider_id"),
        Index("ix_sms_outbox_phone_sent", "to_phone", "sent_at"),
    )


class InboundSms(Base):
    """One text received, stored before it is handled; the same provider message id is stored once."""

    __tablename__ = "sms_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str] = mapped_column(String(120))
    from_phone: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    body_chars: Mapped[int] = mapped_column(default=0)          # the length as received
    received_at: Mapped[datetime]
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    command: Mapped[Optional[str]] = mapped_column(String(40))
    handled_at: Mapped[Optional[datetime]]
    reply_text: Mapped[Optional[str]] = mapped_column(Text)
    error: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("provider", "provider_id", name="uq_sms_inbox_provider_message"),
        Index("ix_sms_inbox_phone_received", "from_phone", "received_at"),
    )


class SmsOptOut(Base):
    """A number that said หยุด / stop: it gets nothing but the confirmation, until เริ่ม / start."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(40), primary_key=True)
    stopped_at: Mapped[datetime]


def history_entry(at: datetime, status: str, note: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at.isoformat(), "status": status}
    if note:
        entry["note"] = note[:300]
    return entry


__all__ = ["OutboundSms", "InboundSms", "SmsOptOut", "OUTBOX_STATUSES", "STATUS_RANK", "FINAL",
           "MAX_INBOUND_BODY", "history_entry"]
