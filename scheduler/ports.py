"""Ports the scheduler talks through: a Notifier for texts and a CallPlacer for outbound calls.

Both take the caller's database session so a message or call is queued in the same transaction as
the change that caused it (nothing sent for a change that rolled back, nothing lost for one that
committed). The SMS and voice packages provide the real ones; the fakes here record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Message:
    """A text to a member, named by a catalogue key with its slots (the channel renders it)."""

    member_id: int
    phone: str
    template: str                       # prompts_th catalogue key, e.g. "sms.offer"
    slots: dict[str, Any]
    purpose: str                        # offer, reminder, confirm, alert, …
    key: str                            # idempotency: never sent twice for the same key
    request_id: Optional[int] = None
    urgent: bool = False                # may be sent during quiet hours (21:00–07:00)


@dataclass(frozen=True)
class CallOrder:
    """An outbound call that runs a menu (reminder or confirmation) for a member."""

    member_id: int
    phone: str
    purpose: str                        # reminder, confirm, callback
    key: str
    request_id: Optional[int] = None


class Notifier(Protocol):
    def send(self, s: Session, message: Message) -> None: ...


class CallPlacer(Protocol):
    def place(self, s: Session, order: CallOrder) -> None: ...


@dataclass
class FakeNotifier:
    sent: list[Message] = field(default_factory=list)

    def send(self, s: Session, message: Message) -> None:
        if all(m.key != message.key for m in self.sent):
            self.sent.append(message)

    def to(self, member_id: int) -> list[Message]:
        return [m for m in self.sent if m.member_id == member_id]


@dataclass
class FakeCallPlacer:
    placed: list[CallOrder] = field(default_factory=list)

    def place(self, s: Session, order: CallOrder) -> None:
        if all(o.key != order.key for o in self.placed):
            self.placed.append(order)
