"""What every scheduler use case works with: the clock, the ports, the bank's timezone and rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ledger.clock import BANGKOK, Clock
from scheduler.ports import CallPlacer, Notifier

DEFAULT_CATEGORIES = ("clinic", "errand", "home", "visit", "other")


@dataclass(frozen=True)
class SchedulerRules:
    offer_minutes: int = 120            # a volunteer has this long to answer an offer
    max_refusals: int = 3               # declines/timeouts before the coordinator is told
    weekly_cap: int = 5                 # visits per volunteer per week
    escalate_hours_before: int = 3      # still unassigned this close to the time: tell the coordinator
    confirm_after_minutes: int = 30     # after the planned end, ask the elder to confirm
    confirm_timeout_days: int = 3       # no confirmation by then: the coordinator's queue
    categories: tuple[str, ...] = DEFAULT_CATEGORIES


@dataclass
class Env:
    clock: Clock
    notifier: Notifier
    calls: CallPlacer
    tz: ZoneInfo = BANGKOK
    rules: SchedulerRules = field(default_factory=SchedulerRules)

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.tz)

    def today(self) -> date:
        return self.local_now().date()
