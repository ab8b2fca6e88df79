"""An in-memory World for the menu's tests: it remembers what the caller asked the bank to do."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from scheduler.context import DEFAULT_CATEGORIES
from voice.menu import Caller, Credit, Paid, Visit

SATURDAY = date(2026, 11, 21)
SOMSRI = Caller(1, "ยายสมศรี ใจดี")


@dataclass
class FakeWorld:
    who: Optional[Caller] = SOMSRI
    pins: dict[tuple[str, str], Caller] = field(default_factory=dict)
    kinds: tuple[str, ...] = DEFAULT_CATEGORIES
    credit: Credit = Credit(120, 0, 0)
    waiting: dict[int, Visit] = field(default_factory=dict)
    coordinator_phone: str = "+66860001111"
    refuse: bool = False
    paid_minutes: int = 90              # 0: confirmed, but the ledger refused to pay
    asked: list[tuple[str, str, str]] = field(default_factory=list)
    confirmed: list[tuple[int, bool]] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    registered: list[tuple[str, str]] = field(default_factory=list)

    def caller(self) -> Optional[Caller]:
        return self.who

    def identify(self, number: str, pin: str) -> Optional[Caller]:
        found = self.pins.get((number, pin))
        if found is not None:
            self.who = found
        return found

    def categories(self):
        return self.kinds

    def today(self) -> date:
        return SATURDAY

    def ask_help(self, category: str, when: str, message_url: str) -> bool:
        if self.refuse:
            return False
        self.asked.append((category, when, message_url))
        return True

    def visits(self) -> list[int]:
        return sorted(self.waiting)

    def visit(self, request_id: int) -> Optional[Visit]:
        return self.waiting.get(request_id)

    def confirm(self, request_id: int, received: bool) -> Optional[Paid]:
        if self.refuse:
            return None
        visit = self.waiting.pop(request_id)
        self.confirmed.append((request_id, received))
        return Paid(visit.volunteer, self.paid_minutes if received else 0)

    def balance(self) -> Credit:
        return self.credit

    def coordinator(self) -> str:
        return self.coordinator_phone

    def note_callback(self, reason: str) -> None:
        self.callbacks.append(reason)

    def register(self, name_url: str, village_url: str) -> None:
        self.registered.append((name_url, village_url))
