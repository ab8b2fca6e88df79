"""The gateway port: what the outbox needs from any SMS provider (Twilio, an Android SIM gateway, …).

A gateway hands one text to its provider and says what the provider answered. It raises
``GatewayError`` for every failure, timeouts included, and says whether trying again can help
(``permanent``) and whether the provider may have taken the text anyway (``in_doubt``: the request
left, no answer came back). For such doubtful sends the outbox asks ``find`` before it sends again,
so a text is not sent twice because an answer was lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Optional, Protocol

# Our statuses a provider's word maps to (see sms.orm.STATUS_RANK).
SENT, DELIVERED, UNDELIVERED, FAILED = "sent", "delivered", "undelivered", "failed"


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str = SENT          # sent, delivered, undelivered or failed


class GatewayError(Exception):
    """The provider did not take the text (or we cannot tell: ``in_doubt``)."""

    def __init__(self, message: str, *, permanent: bool = False, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.in_doubt = in_doubt


class SmsGateway(Protocol):
    name: str

    def send(self, to: str, body: str, *, ref: str) -> SendResult:
        """Hand one text to the provider. ``ref`` is our id for it (kept by providers that take one)."""

    def find(self, to: str, body: str, *, ref: str, exclude: AbstractSet[str] = frozenset()
             ) -> Optional[SendResult]:
        """The provider's record of an earlier attempt to send this text, or None if it has none.

        ``exclude`` holds provider ids already recorded on other rows (same text sent before).
        Raises GatewayError when the provider cannot be asked.
        """
