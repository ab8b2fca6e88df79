"""An in-memory gateway for tests: records what it sent, and can be told to fail or to time out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import AbstractSet, Optional

from sms.gateways.base import GatewayError, SendResult


@dataclass
class Sent:
    to: str
    body: str
    ref: str
    provider_id: str


@dataclass
class MemoryGateway:
    """``fail_next`` sends raise a provider error; ``lose_next`` are taken but the answer is lost."""

    name: str = "memory"
    sent: list[Sent] = field(default_factory=list)
    fail_next: int = 0
    lose_next: int = 0
    permanent: bool = False
    calls: int = 0

    def send(self, to: str, body: str, *, ref: str) -> SendResult:
        self.calls += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise GatewayError("provider says 500", permanent=self.permanent)
        provider_id = f"MM{len(self.sent) + 1:04d}"
        self.sent.append(Sent(to, body, ref, provider_id))
        if self.lose_next > 0:
            self.lose_next -= 1
            raise GatewayError("timed out waiting for the provider", in_doubt=True)
        return SendResult(provider_id)

    def find(self, to: str, body: str, *, ref: str, exclude: AbstractSet[str] = frozenset()
             ) -> Optional[SendResult]:
        for item in reversed(self.sent):
            if item.ref == ref:
                return SendResult(item.provider_id)
        return None

    def to(self, phone: str) -> list[str]:
        return [item.body for item in self.sent if item.to == phone]
