"""Tables of the scheduler: help requests, their event history, offers to volunteers, and due jobs."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.orm import Base

REQUEST_STATES = ("open", "offered", "assigned", "done", "confirmed", "paid", "cancelled",
                  "expired", "disputed", "no_show")


class HelpRequest(Base):
    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[Optional[str]] = mapped_column(String(120), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    category: Mapped[str] = mapped_column(String(20))
    earliest_day: Mapped[date]
    latest_day: Mapped[date]
    part: Mapped[Optional[str]] = mapped_column(String(10))        # morning, afternoon, evening
    planned_start: Mapped[Optional[datetime]]                       # fixed when assigned
    minutes: Mapped[int]
    village: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    voice_message_url: Mapped[Optional[str]] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(10))                # ivr, sms, web, cli, recurring
    recurring: Mapped[Optional[str]] = mapped_column(String(30))    # "weekly:mon:morning"
    state: Mapped[str] = mapped_column(String(12), default="open")
    volunteer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    hold_id: Mapped[Optional[int]] = mapped_column(ForeignKey("holds.id"))
    reported_minutes: Mapped[Optional[int]]
    paid_minutes: Mapped[Optional[int]]
    stuck_reason: Mapped[Optional[str]] = mapped_column(String(200))  # set while a person must step in
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    events: Mapped[list["RequestEvent"]] = relationship(order_by="RequestEvent.id", viewonly=True)

    __table_args__ = (Index("ix_help_requests_state", "state"),
                      Index("ix_help_requests_member", "member_id"),
                      Index("ix_help_requests_volunteer", "volunteer_id"))


class RequestEvent(Base):
    """Every change of a request: what happened, who did it, when. Never edited."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[Optional[str]] = mapped_column(String(12))
    to_state: Mapped[Optional[str]] = mapped_column(String(12))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


OFFER_STATES = ("pending", "accepted", "declined", "expired", "withdrawn")


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    code: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    rank: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(String(300), default="")
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    answered_at: Mapped[Optional[datetime]]

    __table_args__ = (Index("ix_offers_volunteer_state", "volunteer_id", "state"),)


JOB_STATES = ("pending", "done", "failed", "cancelled")


class Job(Base):
    """Due work claimed by a runner with a lease, so two runners never do a job twice."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    request_id: Mapped[Optional[int]] = mapped_column(ForeignKey("help_requests.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[Optional[datetime]]
    leased_by: Mapped[Optional[str]] = mapped_column(String(80))
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    done_at: Mapped[Optional[datetime]]

    __table_args__ = (Index("ix_jobs_due", "state", "due_at"),)
