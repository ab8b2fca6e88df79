"""Recurring requests ("every Monday morning"): the next visit is planned a week ahead."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import WelaError
from scheduler.context import Env
from scheduler.orm import HelpRequest
from scheduler.requests import WEEKDAYS, request_help
from scheduler.when import start_of


def plan_recurring(s: Session, env: Env, days_ahead: int = 7) -> int:
    """Create the coming occurrences of every recurring request (idempotent by key)."""
    made = 0
    origins = s.scalars(select(HelpRequest).where(HelpRequest.recurring.is_not(None),
                                                  HelpRequest.channel != "recurring",
                                                  HelpRequest.state != "cancelled"))
    for origin in origins:
        _, day_key, part = origin.recurring.split(":")
        weekday = WEEKDAYS.index(day_key)
        today = env.today()
        for offset in range(days_ahead + 1):
            day = today + timedelta(days=offset)
            if day.weekday() != weekday or day <= origin.latest_day:
                continue
            if start_of(day, part, env.tz) <= env.local_now():
                continue
            key = f"recurring:{origin.id}:{day.isoformat()}"
            if s.scalar(select(HelpRequest.id).where(HelpRequest.key == key)) is not None:
                continue
            try:
                request_help(s, env, member_id=origin.member_id, category=origin.category, when="date",
                             on=day, part=part, minutes=origin.minutes, notes=origin.notes,
                             channel="recurring", actor="system", key=key)
                made += 1
            except WelaError:
                continue        # paused member, or the rule no longer fits: nothing to plan
    return made
