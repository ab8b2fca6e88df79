"""What the matcher knows about the volunteers, read from the database once per sweep."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.clock import as_utc
from ledger.members import is_active
from ledger.orm import Account, Member
from ledger.settings import load_policy
from scheduler import matching
from scheduler.context import Env
from scheduler.orm import HelpRequest, Offer
from scheduler.when import PARTS

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUSY = ("assigned", "done", "confirmed", "paid")


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Roster:
    """Active volunteers as the matcher sees them, one list of helpers per calendar week.

    A helper's free slots and visit count belong to one week (Monday to Sunday): a visit takes its
    own weekday and part of the day in its own week and counts toward that week's cap only; visits
    already past take nothing.
    """

    def __init__(self, s: Session, env: Env, *, exclude: Iterable[int] = ()) -> None:
        self.env = env
        today = env.today()
        self.excluded = set(exclude)
        rows = s.execute(select(Member.id, Member.name, Member.skills, Member.village, Member.moo,
                                Member.availability, Member.status, Member.paused_until)
                         .where(Member.role.in_(("volunteer", "both"))).order_by(Member.id))
        self.members = {m.id: m for m in rows if is_active(m, today)}   # plain rows: read once per sweep
        self.balance_cap = load_policy(s).balance_cap_minutes
        self.balances: dict[int, int] = {}
        self.history: dict[int, dict[int, int]] = defaultdict(dict)
        self.booked: dict[date, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        self._weeks: dict[date, dict[int, matching.Helper]] = {}
        self._usual: dict[int, dict[int, frozenset[str]]] = {}
        if not self.members:
            return
        # whole-table reads filtered here: no long IN (…) lists for the database to parse every sweep
        self.balances = dict(s.execute(select(Account.member_id, Account.balance)
                                       .join(Member, Member.id == Account.member_id)
                                       .where(Account.kind == "member",
                                              Member.role.in_(("volunteer", "both")))).all())
        from_today = datetime.combine(today, time(0), env.tz)
        busy = s.execute(select(HelpRequest.volunteer_id, HelpRequest.planned_start)
                         .where(HelpRequest.state.in_(BUSY), HelpRequest.volunteer_id.is_not(None),
                                HelpRequest.planned_start >= from_today))
        pending = s.execute(select(Offer.volunteer_id, HelpRequest.planned_start)
                            .join(HelpRequest, HelpRequest.id == Offer.request_id)
                            .where(Offer.state == "pending", HelpRequest.planned_start >= from_today))
        for vid, start in list(busy) + list(pending):
            local = as_utc(start).astimezone(env.tz)
            self.booked[week_start(local.date())][vid].append((local.weekday(), _part_at(local.time())))
        for vid, elder, n in s.execute(select(HelpRequest.volunteer_id, HelpRequest.member_id, func.count())
                                       .where(HelpRequest.state == "paid", HelpRequest.volunteer_id.is_not(None))
                                       .group_by(HelpRequest.volunteer_id, HelpRequest.member_id)):
            self.history[vid][elder] = n

    def week(self, day: date, exclude: Iterable[int] = (), part: Optional[str] = None) -> list[matching.Helper]:
        """The helpers for the calendar week that holds `day`, without the `exclude`d members; with
        `part`, only those who are ever free at that weekday and part (the others cannot go anyway)."""
        monday = week_start(day)
        built = self._weeks.setdefault(monday, {})
        booked = self.booked.get(monday, {})
        skip = self.excluded.union(exclude)
        weekday = day.weekday()
        helpers = []
        for vid, member in self.members.items():
            if vid in skip or (part is not None and part not in self._free_at(vid).get(weekday, ())):
                continue
            helper = built.get(vid)
            if helper is None:
                helper = built[vid] = self._helper(member, booked.get(vid, []))
            helpers.append(helper)
        return helpers

    def book(self, volunteer_id: int, day: date, part: str) -> None:
        """An offer just made in this transaction takes the slot (and a place under the cap)."""
        monday = week_start(day)
        self.booked[monday][volunteer_id].append((day.weekday(), part))
        self._weeks.get(monday, {}).pop(volunteer_id, None)

    def _free_at(self, vid: int) -> dict[int, frozenset[str]]:
        """The member's usual free parts of the day by weekday (0 = Monday)."""
        found = self._usual.get(vid)
        if found is None:
            availability = self.members[vid].availability or {}
            found = self._usual[vid] = {i: frozenset(p for p in availability.get(key, []) if p in PARTS)
                                        for i, key in enumerate(DAY_KEYS) if availability.get(key)}
        return found

    def _helper(self, m: Any, booked: list[tuple[int, str]]) -> matching.Helper:
        taken = set(booked)
        avail = {}
        for weekday, parts in self._free_at(m.id).items():
            free = frozenset(p for p in parts if (weekday, p) not in taken) if taken else parts
            if free:
                avail[weekday] = free
        visits = len(booked)
        return matching.Helper(
            member_id=m.id, name=m.name, skills=frozenset(m.skills or []), village=m.village,
            moo=m.moo, availability=avail, visits_this_week=visits,
            weekly_cap=max(self.env.rules.weekly_cap, visits), balance=self.balances.get(m.id, 0),
            balance_cap=self.balance_cap, history=self.history[m.id])


def volunteers(s: Session, env: Env, *, exclude: Iterable[int] = (), day: Optional[date] = None
               ) -> list[matching.Helper]:
    """Active volunteers as the matcher sees them in the week of `day` (default this week)."""
    return Roster(s, env, exclude=exclude).week(day or env.today())


def _part_at(t: time) -> str:
    if t < time(12):
        return "morning"
    return "afternoon" if t < time(17) else "evening"
