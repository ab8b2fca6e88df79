"""The one family of domain errors: each carries a Thai message for villagers and an English one for staff."""
from __future__ import annotations


class WelaError(Exception):
    """A rule said no. Channels turn it into a spoken, texted or printed reply."""

    code = "error"

    def __init__(self, th: str, en: str, **details: object) -> None:
        super().__init__(en)
        self.th = th
        self.en = en
        self.details = details

    def __str__(self) -> str:
        return f"{self.th} ({self.en})"


class NotFound(WelaError):
    code = "not_found"


class InvalidInput(WelaError):
    code = "invalid_input"


class RuleBroken(WelaError):
    """A bank rule (cap, loan limit, balance, closed month) refuses the operation."""

    code = "rule_broken"


class Conflict(WelaError):
    """The operation clashes with what is already recorded (a reused key, a finished hold)."""

    code = "conflict"
