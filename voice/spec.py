"""What the phone menu says and does (``Reply`` and its parts) and what it needs from the bank (``World``).

Plain data and a Protocol, no Flask, Twilio or database: ``voice.menu`` produces these,
``voice.twiml`` renders them, ``voice.world.DbWorld`` implements the port.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Mapping, Optional, Protocol, Sequence, Union

from voice.words import Slot

TIMEOUT, SLOW_TIMEOUT = 8, 10      # seconds to press a key; elders who asked to be spoken to slowly get 10


# ── What the menu says and does ───────────────────────────────────────────────────

@dataclass(frozen=True)
class Say:
    """One sentence from the catalogue, its slots as typed values (voice.words)."""

    key: str
    slots: Mapping[str, Slot] = field(default_factory=dict)


@dataclass(frozen=True)
class Gather:
    num_digits: Optional[int] = 1         # None: any number of digits, ended by finish_on_key
    timeout: int = TIMEOUT
    finish_on_key: str = ""


@dataclass(frozen=True)
class Record:
    max_length: int = 30
    finish_on_key: str = "#09"            # 0 and 9 keep their meaning while recording


@dataclass(frozen=True)
class Dial:
    number: str
    timeout: int = 25


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    pass


Then = Union[Gather, Record, Dial, Hangup, Reject]


@dataclass(frozen=True)
class Reply:
    says: tuple[Say, ...]
    then: Then
    task: Optional[str] = None            # finished at this step: ask, confirm, balance, register, identify
    person: bool = False                  # a person was needed (put through, or asked to call back)


@dataclass(frozen=True)
class State:
    node: str
    ctx: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """What Twilio reported: keys pressed, silence, a recording, or how a <Dial> ended."""

    kind: str                             # keys | silence | invalid | recording | dial
    digits: str = ""
    url: str = ""
    status: str = ""


# ── What the menu needs from the bank (the port) ─────────────────────────────────────

@dataclass(frozen=True)
class Caller:
    id: int
    name: str
    slow: bool = False                    # speak_slowly: a slower pace and a longer wait for keys


@dataclass(frozen=True)
class Visit:
    request_id: int
    volunteer: str
    category: str
    day: date
    at: Optional[time] = None


@dataclass(frozen=True)
class Credit:
    available: int
    held: int
    loan: int


@dataclass(frozen=True)
class Paid:
    volunteer: str
    minutes: int


class World(Protocol):
    def caller(self) -> Optional[Caller]: ...
    def identify(self, number: str, pin: str) -> Optional[Caller]: ...
    def categories(self) -> Sequence[str]: ...
    def today(self) -> date: ...
    def ask_help(self, category: str, when: str, message_url: str) -> bool: ...
    def visits(self) -> list[int]: ...
    def visit(self, request_id: int) -> Optional[Visit]: ...
    def confirm(self, request_id: int, received: bool) -> Optional[Paid]: ...
    def balance(self) -> Credit: ...
    def coordinator(self) -> str: ...
    def note_callback(self, reason: str) -> None: ...
    def register(self, name_url: str, village_url: str) -> None: ...
