"""The scheduler's Notifier, for real: each message becomes a queued outbox row in the caller's transaction.

The text is worded here, once, from the catalogue key the scheduler names and the plain facts it
passes (sms/render.py shortens it to one SMS); the row's key is the message's idempotency key, so
a second send of the same message does nothing. Nothing is sent here: ``sms.outbox.flush`` sends.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from ledger.clock import Clock, SystemClock
from scheduler.ports import Message
from sms.outbox import enqueue
from sms.render import render, template_for


class OutboxNotifier:
    """Implements scheduler.ports.Notifier."""

    def __init__(self, clock: Optional[Clock] = None) -> None:
        self.clock = clock or SystemClock()

    def send(self, s: Session, message: Message) -> None:
        key = template_for(message.template, message.slots)
        enqueue(s, key=message.key, to_phone=message.phone, body=render(key, message.slots),
                purpose=message.purpose, now=self.clock.now(), member_id=message.member_id,
                request_id=message.request_id, urgent=message.urgent, template=key)
