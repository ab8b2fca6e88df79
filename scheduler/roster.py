"""What the matcher knows about the volunteers, read from the database once per sweep.

A roster may be read *around* some requests: only the volunteers who live in those requests'
villages, or who have been paid for helping those elders before. Those are the only ones the
matcher looks at first (``week(…, near=…)``), so in a district or province bank a decline or a
sweep reads a village's volunteers, not the whole bank's. ``widen()`` reads the whole bank, for
the request nobody near can take.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, NamedTuple, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ledger.clock import as_utc
from ledger.members import is_active
from ledger.orm import GIVING_ROLES, Account, Member
from ledger.settings import load_policy
from scheduler import matching
from scheduler.context import Env
from scheduler.orm import HelpRequest, Offer
from scheduler.when import PARTS

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUSY = ("assigned", "done", "confirmed", "paid")


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Around(NamedTuple):
    """Where a roster reads: these villages' volunteers, and those who have helped these elders."""

    villages: frozenset[str]
    elders: frozenset[int]

    @classmethod
    def requests(cls, reqs: Iterable[Any]) -> "Around":
        reqs = list(reqs)
        return cls(frozenset(r.village for r in reqs), frozenset(r.member_id for r in reqs))


class Roster:
    """Active volunteers as the matcher sees them, one list of helpers per calendar week.

    A helper's free slots and visit count belong to one week (Monday to Sunday): a visit takes its
    own weekday and part of the day in its own week and counts toward that week's cap only; visits
    already past take nothing. ``around`` None reads every volunteer of the bank.
    """

    def __init__(self, s: Session, env: Env, *, exclude: Iterable[int] = (),
                 around: Optional[Around] = None) -> None:
        self.s = s
        self.env = env
        self.excluded = set(exclude)
        self._load(around)

    def widen(self) -> None:
        """Read every volunteer of the bank (again, so offers made since are booked)."""
        if self.around is not None:
            self._load(None)

    def _load(self, around: Optional[Around]) -> None:
        s, env = self.s, self.env
        today = env.today()
        self.around = around
        who = Member.role.in_(GIVING_ROLES)
        if around is not None:
            helped = select(HelpRequest.volunteer_id).where(HelpRequest.state == "paid",
                                                            HelpRequest.member_id.in_(around.elders))
            who = who & or_(Member.village.in_(around.villages), Member.id.in_(helped))
        rows = s.execute(select(Member.id, Member.name, Member.skills, Member.village, Member.moo,
                                Member.availability, Member.status, Member.paused_until)
                         .where(who).order_by(Member.id))
        self.members = {m.id: m for m in rows if is_active(m, today)}   # plain rows: read once per sweep
        self.balance_cap = load_policy(s).balance_cap_minutes
        self.balances: dict[int, int] = {}
        self.history: dict[int, dict[int, int]] = defaultdict(dict)
        self.booked: dict[date, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        self._weeks: dict[date, dict[int, matching.Helper]] = {}
        self._usual: dict[int, dict[int, frozenset[str]]] = {}
        if not self.members:
            return
        # the whole bank: whole-table reads filtered here, no long IN (…) lists for the database to
        # parse every sweep; around some requests: a village's volunteers, a short list
        ids = list(self.members) if around is not None else None
        from_today = datetime.combine(today, time(0), env.tz)
        balances = select(Account.member_id, Account.balance).where(Account.kind == "member")
        busy = select(HelpRequest.volunteer_id, HelpRequest.planned_start).where(
            HelpRequest.state.in_(BUSY), HelpRequest.volunteer_id.is_not(None),
            HelpRequest.planned_start >= from_today)
        pending = select(Offer.volunteer_id, HelpRequest.planned_start) \
            .join(HelpRequest, HelpRequest.id == Offer.request_id) \
            .where(Offer.state == "pending", HelpRequest.planned_start >= from_today)
        history = select(HelpRequest.volunteer_id, HelpRequest.member_id, func.count()) \
            .where(HelpRequest.state == "paid", HelpRequest.volunteer_id.is_not(None)) \
            .group_by(HelpRequest.volunteer_id, HelpRequest.member_id)
        if ids is None:
            balances = balances.join(Member, Member.id == Account.member_id).where(Member.role.in_(GIVING_ROLES))
        else:
            balances = balances.where(Account.member_id.in_(ids))
            busy = busy.where(HelpRequest.volunteer_id.in_(ids))
            pending = pending.where(Offer.volunteer_id.in_(ids))
            history = history.where(HelpRequest.volunteer_id.in_(ids))
        self.balances = dict(s.execute(balances).all())
        for vid, start in list(s.execute(busy)) + list(s.execute(pending)):
            local = as_utc(start).astimezone(env.tz)
            self.booked[week_start(local.date())][vid].append((local.weekday(), _part_at(local.time())))
        for vid, elder, n in s.execute(history):
            self.history[vid][elder] = n

    def week(self, day: date, exclude: Iterable[int] = (), part: Optional[str] = None,
             near: Optional[tuple[str, int]] = None) -> list[matching.Helper]:
        """The helpers for the calendar week that holds `day`, without the `exclude`d members; with
        `part`, only those who are ever free at that weekday and part (the others cannot go anyway);
        with `near` (village, elder), only those who live in that village or have helped that elder."""
        monday = week_start(day)
        built = self._weeks.setdefault(monday, {})
        booked = self.booked.get(monday, {})
        skip = self.excluded.union(exclude)
        weekday = day.weekday()
        helpers = []
        for vid, member in self.members.items():
            if vid in skip or (part is not None and part not in self._free_at(vid).get(weekday, ())):
                continue
            if near is not None and member.village != near[0] and not self.history.get(vid, {}).get(near[1]):
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


def _part_at(t: time) -> str:
    if t < time(12):
        return "morning"
    return "afternoon" if t < time(17) else "evening"
