"""Tables of the phone channel: calls and their steps, outbound call orders, callback requests, registrations.

A call's state lives here, keyed by Twilio's CallSid: the menu node, a small JSON context, the
number of the next step Twilio may post (``seq``) and the TwiML of the last step, so a webhook
that repeats is answered with the same TwiML and changes nothing. Every processed step is a
row of ``voice_call_steps``: the coordinator's numbers (where callers hang up, how long tasks
take) are read from these two tables.

Outbound calls are rows before they are calls. ``status`` moves ``queued → calling →
in-progress → completed | busy | no-answer | failed``; provider callbacks only move it forward
within an attempt, and a busy or unanswered attempt puts the row back to ``queued`` with a
later ``next_attempt_at`` until ``MAX_ATTEMPTS`` is reached.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.orm import Base

DIRECTIONS = ("inbound", "outbound")
PURPOSES = ("reminder", "confirm", "callback")
ORDER_STATUSES = ("queued", "calling", "in-progress", "completed", "busy", "no-answer", "failed")
ORDER_RANK = {"queued": 0, "calling": 1, "in-progress": 2, "completed": 3, "busy": 3,
              "no-answer": 3, "failed": 3}
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


class VoiceCall(Base):
    """One phone call, in or out, and where its menu stands."""

    __tablename__ = "voice_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(10))
    from_phone: Mapped[str] = mapped_column(String(40), default="")
    to_phone: Mapped[str] = mapped_column(String(40), default="")
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("voice_outbound_calls.id"))
    node: Mapped[str] = mapped_column(String(30))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seq: Mapped[int] = mapped_column(default=1)                 # the step Twilio may post next
    last_reply: Mapped[str] = mapped_column(Text, default="")   # TwiML of the last step, replayed
    started_at: Mapped[datetime]
    ended_at: Mapped[Optional[datetime]]
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    duration_s: Mapped[Optional[int]]
    needed_person: Mapped[bool] = mapped_column(default=False)
    tasks: Mapped[list[str]] = mapped_column(default=list)      # ask, confirm, balance, register…

    __table_args__ = (Index("ix_voice_calls_started_at", "started_at"),
                      Index("ix_voice_calls_member", "member_id"))


class VoiceStep(Base):
    """One processed webhook of a call: from which node, on what input, to which node."""

    __tablename__ = "voice_call_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("voice_calls.id"))
    seq: Mapped[int]
    at: Mapped[datetime]
    node: Mapped[str] = mapped_column(String(30))
    event: Mapped[str] = mapped_column(String(12))
    digits: Mapped[str] = mapped_column(String(20), default="")
    next_node: Mapped[str] = mapped_column(String(30))
    task: Mapped[Optional[str]] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("call_id", "seq", name="uq_voice_call_steps_call_seq"),)


class OutboundCall(Base):
    """A call the bank places (a reminder, a confirmation, a missed-call callback)."""

    __tablename__ = "voice_outbound_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(10))
    request_id: Mapped[Optional[int]] = mapped_column(ForeignKey("help_requests.id"))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[Optional[datetime]]                 # None: due now
    call_sid: Mapped[Optional[str]] = mapped_column(String(64))  # of the current attempt
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_error: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (Index("ix_voice_outbound_calls_due", "status", "next_attempt_at"),)


class CallbackRequest(Base):
    """A caller a person should ring back: the coordinator did not answer, or the menu failed."""

    __tablename__ = "voice_callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), default="")
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
    done_at: Mapped[Optional[datetime]]
    done_by: Mapped[Optional[str]] = mapped_column(String(120))


class PendingRegistration(Base):
    """A stranger who left their name and village by voice, for the coordinator to register."""

    __tablename__ = "voice_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    name_recording_url: Mapped[str] = mapped_column(String(500), default="")
    village_recording_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(10), default="pending")   # pending, registered, dropped
