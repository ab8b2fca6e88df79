"""The bank's own rules as numbers: every one is a per-bank setting, never a constant in code."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

Minutes = int


@dataclass(frozen=True)
class Policy:
    starting_minutes: Minutes = 120       # starting credits on joining (2 hours; 0 allowed)
    loan_limit_minutes: Minutes = 300     # most a member may owe at once (5 hours)
    loan_repay_percent: int = 50          # share of every earning that repays an open loan
    balance_cap_minutes: Minutes = 2400   # anti-inflation cap (40 hours); overflow goes to the pool

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{f.name} must be a whole number ≥ 0, got {value!r}")
        if self.loan_repay_percent > 100:
            raise ValueError("loan_repay_percent must be between 0 and 100")
        if self.starting_minutes > self.balance_cap_minutes:
            raise ValueError("starting credits cannot exceed the balance cap")

    def with_values(self, **values: int) -> "Policy":
        return replace(self, **values)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
