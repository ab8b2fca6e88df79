"""Volunteer matching: score a helper for a request, explain it in Thai, assign a batch of requests."""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from typing import Mapping, Sequence

PARTS = ("morning", "afternoon", "evening")
CATEGORIES = ("clinic", "errand", "home", "visit", "other")
# A clinic trip needs someone the bank lists as able to drive or escort ("clinic"), a repair needs
# someone handy ("home"). Errands, visits and anything else: every member can help; the skill
# still earns points where a helper has it.
REQUIRED_SKILL: Mapping[str, str] = {"clinic": "clinic", "home": "home"}
LONG_TASK_MINUTES = 180  # a longer job runs into the next part of the day
_NEXT_PART = {"morning": "afternoon", "afternoon": "evening", "evening": None}
_SCALE = 1_000_000  # the solver works in whole millionths of a point: exact sums, no float drift

# Thai words for explain(). Candidates for the prompts_th catalogue: the lead may move them there.
WEEKDAY_TH = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")
PART_TH = {"morning": "เช้า", "afternoon": "บ่าย", "evening": "เย็น"}
SKILL_TH = {
    "clinic": "พาไปหาหมอได้",
    "errand": "ถนัดช่วยทำธุระ",
    "home": "ซ่อมแซมบ้านได้",
    "visit": "ถนัดเยี่ยมบ้าน",
    "other": "มีฝีมือตรงงาน",
}
PHRASE_TH = {
    "same_moo": "อยู่หมู่ {moo}",
    "same_village": "อยู่หมู่ {moo} {village}",
    "same_village_no_moo": "อยู่{village}",
    "other_village": "มาจาก{village} หมู่ {moo}",
    "other_village_no_moo": "มาจาก{village}",
    "available": "ว่าง{part}วัน{weekday}",
    "available_long": "ว่าง{part}ถึง{next_part}วัน{weekday}",
    "available_part": "ว่างแค่{part}วัน{weekday}",
    "familiar": "เคยช่วย{elder} {times} ครั้ง",
    "light_load_none": "สัปดาห์นี้ยังไม่มีงาน",
    "light_load": "สัปดาห์นี้เพิ่งช่วย {visits} ครั้ง",
    "far_from_cap": "แต้มยังห่างเพดาน",
    "repaying_loan": "กำลังเก็บแต้มใช้คืนที่ยืม",
}


@dataclass(frozen=True)
class Need:
    """One open help request, as the matcher sees it."""

    request_id: int
    elder_id: int
    elder_name: str
    category: str
    village: str
    moo: int | None
    weekday: int  # 0 = Monday
    part: str
    minutes: int

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}; expected one of {CATEGORIES}")
        if self.part not in PARTS:
            raise ValueError(f"unknown part of day {self.part!r}; expected one of {PARTS}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6, got {self.weekday}")
        if self.minutes <= 0:
            raise ValueError(f"minutes must be more than zero, got {self.minutes}")


@dataclass(frozen=True)
class Helper:
    """A volunteer and what the bank knows about them this week.

    ``availability`` should already leave out the parts of the day taken by earlier assignments;
    ``visits_this_week`` counts them. ``balance`` and ``balance_cap`` are minutes.
    """

    member_id: int
    name: str
    skills: frozenset[str]
    village: str
    moo: int | None
    availability: Mapping[int, frozenset[str]]
    visits_this_week: int = 0
    weekly_cap: int = 5
    balance: int = 0
    balance_cap: int = 2400
    history: Mapping[int, int] = field(default_factory=dict)  # elder_id → times helped

    def __post_init__(self) -> None:
        if self.weekly_cap < 0 or self.visits_this_week < 0 or self.balance_cap < 0:
            raise ValueError("weekly_cap, visits_this_week and balance_cap must be ≥ 0")
        for weekday, parts in self.availability.items():
            if not 0 <= weekday <= 6 or not set(parts) <= set(PARTS):
                raise ValueError(f"bad availability {weekday!r}: {sorted(parts)!r}")


@dataclass(frozen=True)
class Weights:
    """Points for each thing that makes a helper a good match; a bank may tune them."""

    skill: float = 2.0          # has the skill the category names
    availability: float = 1.0   # free then; a long job earns half unless the next part is free too
    same_moo: float = 3.0       # lives in the elder's own moo
    same_village: float = 1.5   # lives in the elder's village, another moo
    load: float = 4.0           # times the share of the weekly cap still free: spreads the work
    familiarity: float = 2.0    # full points once the helper has visited this elder familiar_full times
    familiar_full: int = 3
    bank: float = 1.0           # times the share of the balance cap still free: keeps credits moving

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"weight {f.name} must be ≥ 0")
        if self.familiar_full < 1:
            raise ValueError("familiar_full must be at least 1")


@dataclass(frozen=True)
class Scored:
    """A helper's points for one request; ``reasons`` are codes, biggest contribution first."""

    total: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    request_id: int
    member_id: int
    score: float
    reason_th: str


def _components(need: Need, helper: Helper, w: Weights, visits: int) -> tuple[float, ...] | None:
    """Points for (place, time, skill, familiarity, load, bank), or None when the helper cannot go."""
    cap = helper.weekly_cap
    if visits >= cap or helper.member_id == need.elder_id:
        return None
    parts = helper.availability.get(need.weekday)
    if not parts or need.part not in parts:
        return None
    skills = helper.skills
    required = REQUIRED_SKILL.get(need.category)
    if required is not None and required not in skills:
        return None
    if helper.village != need.village:
        place = 0.0
    elif need.moo is not None and helper.moo == need.moo:
        place = w.same_moo
    else:
        place = w.same_village
    time = w.availability / 2 if _cut_short(need, parts) else w.availability
    skill = w.skill if need.category in skills else 0.0
    times = helper.history.get(need.elder_id, 0)
    familiar = w.familiarity * min(times, w.familiar_full) / w.familiar_full if times > 0 else 0.0
    return place, time, skill, familiar, w.load * (cap - visits) / cap, _bank_points(helper, w)


def _cut_short(need: Need, parts: frozenset[str]) -> bool:
    """A long job whose helper is not free in the next part of the day as well."""
    return need.minutes > LONG_TASK_MINUTES and _NEXT_PART[need.part] not in parts


def _bank_points(helper: Helper, w: Weights) -> float:
    if helper.balance_cap <= 0:
        return 0.0
    free = (helper.balance_cap - max(helper.balance, 0)) / helper.balance_cap
    return w.bank * min(max(free, 0.0), 1.0)


def load_points(helper: Helper, weights: Weights, extra: int = 0) -> float:
    """Load-fairness points for the helper's (extra+1)-th job in a batch; 0 when at the cap."""
    visits = helper.visits_this_week + extra
    if visits >= helper.weekly_cap:
        return 0.0
    return weights.load * (helper.weekly_cap - visits) / helper.weekly_cap


def score(need: Need, helper: Helper, weights: Weights | None = None) -> Scored | None:
    """How well ``helper`` fits ``need``; None when they cannot take it (busy, at cap, no skill, self)."""
    w = weights or Weights()
    points = _components(need, helper, w, helper.visits_this_week)
    if points is None:
        return None
    place, time, skill, familiar, load, bank = points
    earned: list[tuple[float, int, str]] = []
    if place > 0:
        earned.append((place, 0, "same_moo" if _same_moo(need, helper) else "same_village"))
    if time > 0:
        cut = _cut_short(need, helper.availability[need.weekday])
        earned.append((time, 1, "available_part" if cut else "available"))
    if skill > 0:
        earned.append((skill, 2, "skill"))
    if familiar > 0:
        earned.append((familiar, 3, "familiar"))
    if load > 0 and load >= w.load / 2:
        earned.append((load, 4, "light_load"))
    if bank > 0 and helper.balance < 0:
        earned.append((bank, 5, "repaying_loan"))
    elif bank > 0 and bank >= w.bank / 2:
        earned.append((bank, 5, "far_from_cap"))
    earned.sort(key=lambda e: (-e[0], e[1]))
    return Scored(total=sum(points), reasons=tuple(code for _, _, code in earned))


def _same_moo(need: Need, helper: Helper) -> bool:
    return helper.village == need.village and need.moo is not None and helper.moo == need.moo


def explain(need: Need, helper: Helper, scored: Scored) -> str:
    """One Thai line for the coordinator: where the helper lives, when they are free, and why."""
    if _same_moo(need, helper):
        place = PHRASE_TH["same_moo"]
    else:
        place = ("same_village" if helper.village == need.village else "other_village") + (
            "" if helper.moo is not None else "_no_moo")
        place = PHRASE_TH[place]
    words = [place.format(moo=helper.moo, village=helper.village)]
    next_part = _NEXT_PART[need.part]
    if need.minutes <= LONG_TASK_MINUTES:
        time = "available"
    else:
        time = "available_part" if _cut_short(need, helper.availability.get(need.weekday, frozenset())) \
            else "available_long"
    words.append(PHRASE_TH[time].format(part=PART_TH[need.part], next_part=PART_TH.get(next_part or ""),
                                        weekday=WEEKDAY_TH[need.weekday]))
    reasons = set(scored.reasons)
    if "familiar" in reasons:
        words.append(PHRASE_TH["familiar"].format(elder=need.elder_name,
                                                  times=helper.history.get(need.elder_id, 0)))
    if "skill" in reasons:
        words.append(SKILL_TH[need.category])
    if "light_load" in reasons:
        visits = helper.visits_this_week
        words.append(PHRASE_TH["light_load" if visits else "light_load_none"].format(visits=visits))
    for code in ("repaying_loan", "far_from_cap"):
        if code in reasons:
            words.append(PHRASE_TH[code])
    return ", ".join(words)


def ranked(need: Need, helpers: Sequence[Helper], weights: Weights | None = None,
           limit: int = 5) -> list[tuple[Helper, Scored]]:
    """The best ``limit`` helpers for one request, best first (ties: lower member id first)."""
    w = weights or Weights()
    found = [(h, s) for h in helpers if (s := score(need, h, w)) is not None]
    return heapq.nsmallest(limit, found, key=lambda hs: (-hs[1].total, hs[0].member_id))


def candidates(needs: Sequence[Need], helpers: Sequence[Helper], weights: Weights | None = None,
               *, max_candidates: int = 30) -> list[list[tuple[int, float]]]:
    """For each need, its best helpers as (index into ``helpers``, points without the load part).

    Only helpers of the elder's own village (any moo) who are free at that weekday and part of
    the day, plus helpers from elsewhere who have helped this elder before, are considered;
    the ``max_candidates`` with the highest score are kept, best first.
    """
    if max_candidates < 1:
        raise ValueError("max_candidates must be at least 1")
    w = weights or Weights()
    by_slot: dict[tuple[str, int, str], list[int]] = defaultdict(list)
    by_elder: dict[int, list[int]] = defaultdict(list)
    for i, h in enumerate(helpers):
        if h.visits_this_week >= h.weekly_cap:
            continue
        for weekday, parts in h.availability.items():
            for part in parts:
                by_slot[(h.village, weekday, part)].append(i)
        for elder_id, times in h.history.items():
            if times > 0:
                by_elder[elder_id].append(i)
    lists = []
    for need in needs:
        pool = by_slot.get((need.village, need.weekday, need.part), [])
        familiar = by_elder.get(need.elder_id)
        if familiar:
            pool = pool + [i for i in familiar if helpers[i].village != need.village]
        found = []
        for i in pool:
            h = helpers[i]
            points = _components(need, h, w, h.visits_this_week)
            if points is not None:
                full = sum(points)
                found.append((-full, i, full - points[4]))
        if len(found) > max_candidates:
            found = heapq.nsmallest(max_candidates, found)
        else:
            found.sort()
        lists.append([(i, base) for _, i, base in found])
    return lists


def solve(needs: Sequence[Need], helpers: Sequence[Helper], lists: Sequence[Sequence[tuple[int, float]]],
          weights: Weights | None = None) -> list[int | None]:
    """The helper index for each need (None: unassigned) that maximises the batch's total score.

    The batch is a min-cost flow: need → (helper, weekday, part) slot [capacity 1: no two jobs at
    once] → helper [capacity weekly_cap − visits_this_week] → sink, where the helper's k-th job
    earns the load points of visits_this_week + k (falling, so the cost is convex) and every need
    may instead stay unassigned. Needs are added one at a time along a shortest augmenting path
    (Dijkstra with Johnson potentials, as in the Hungarian method), which keeps the flow optimal
    at every step: the result is the exact optimum on the candidate pairs.
    """
    w = weights or Weights()
    n = len(needs)
    slot_of: dict[tuple[int, int, str], int] = {}
    slot_hi: list[int] = []  # slot number → helper index
    for need, row in zip(needs, lists):
        for hi, _ in row:
            key = (hi, need.weekday, need.part)
            if key not in slot_of:
                slot_of[key] = len(slot_hi)
                slot_hi.append(hi)
    helper_of: dict[int, int] = {}  # helper index → helper number
    for hi in slot_hi:
        helper_of.setdefault(hi, len(helper_of))
    # Node numbers: needs [0, n), slots [s0, h0), helpers [h0, sink), then the sink.
    s0 = n
    h0 = s0 + len(slot_hi)
    sink = h0 + len(helper_of)
    top = round(max((base for row in lists for _, base in row), default=0.0) * _SCALE)
    most_load = round(w.load * _SCALE)
    unassigned_cost = top + most_load
    arcs: list[dict[int, int]] = [
        {s0 + slot_of[(hi, need.weekday, need.part)]: top - round(base * _SCALE) for hi, base in row}
        for need, row in zip(needs, lists)]
    slot_helper = [0] * (sink + 1)
    hslots: list[list[int]] = [[] for _ in range(sink + 1)]
    for s, hi in enumerate(slot_hi):
        slot_helper[s0 + s] = h0 + helper_of[hi]
        hslots[h0 + helper_of[hi]].append(s0 + s)
    hcosts: list[list[int]] = [[] for _ in range(sink + 1)]
    for hi, number in helper_of.items():
        h = helpers[hi]
        room = min(h.weekly_cap - h.visits_this_week, len(hslots[h0 + number]))
        hcosts[h0 + number] = [most_load - round(load_points(h, w, k) * _SCALE) for k in range(room)]

    pot = [0] * (sink + 1)
    owner = [-1] * (sink + 1)      # slot → the need using it
    load = [0] * (sink + 1)        # helper → jobs taken
    assigned = [-1] * n            # need → its slot, -1 while unassigned
    arc_cost = [0] * n             # need → cost of the arc it uses
    heappush, heappop = heapq.heappush, heapq.heappop
    for src in range(n):
        if not arcs[src]:
            continue
        dist = {src: 0}
        prev: dict[int, int] = {}
        heap = [(0, src)]
        popped = []
        while True:
            d, u = heappop(heap)
            if d > dist[u]:
                continue
            if u == sink:
                break
            popped.append(u)
            pu = pot[u]
            if u < s0:  # a need: try each of its slots, or give up its place
                current = assigned[u]
                for s, c in arcs[u].items():
                    if s != current:
                        nd = d + c + pu - pot[s]
                        if nd < dist.get(s, nd + 1):
                            dist[s] = nd
                            prev[s] = u
                            heappush(heap, (nd, s))
                out = [(sink, d + unassigned_cost + pu)]
            elif u < h0:  # a slot: on to its helper if free, else push its need elsewhere
                m = owner[u]
                if m < 0:
                    v = slot_helper[u]
                    out = [(v, d + pu - pot[v])]
                else:
                    out = [(m, d - arc_cost[m] + pu - pot[m])]
            else:  # a helper: take one more job, or hand over one of its slots
                k = load[u]
                out = [(sink, d + hcosts[u][k] + pu)] if k < len(hcosts[u]) else []
                out += [(s, d + pu - pot[s]) for s in hslots[u] if owner[s] >= 0]
            for v, nd in out:
                if nd < dist.get(v, nd + 1):
                    dist[v] = nd
                    prev[v] = u
                    heappush(heap, (nd, v))
        for u in popped:
            pot[u] += dist[u] - d
        path = [sink]
        while path[-1] != src:
            path.append(prev[path[-1]])
        path.reverse()
        for x, y in zip(path, path[1:]):
            if x < s0:
                if y == sink:
                    assigned[x] = -1
                else:
                    owner[y], assigned[x], arc_cost[x] = x, y, arcs[x][y]
            elif x >= h0:
                if y == sink:
                    load[x] += 1
                else:
                    owner[y] = -1
    return [slot_hi[a - s0] if a >= 0 else None for a in assigned]


def assign(needs: Sequence[Need], helpers: Sequence[Helper], weights: Weights | None = None, *,
           max_candidates: int = 30) -> list[Match]:
    """Assign a batch of open requests (one week) at once, maximising the total score.

    A helper takes at most weekly_cap − visits_this_week requests and never two at the same
    weekday and part of the day. Returns the matches in the order of ``needs``; a need without
    a match is left out. Each match's score counts the helper's earlier jobs in the batch
    (by weekday and part), so the scores add up to the optimised total.
    """
    w = weights or Weights()
    chosen = solve(needs, helpers, candidates(needs, helpers, w, max_candidates=max_candidates), w)
    jobs: dict[int, list[int]] = defaultdict(list)
    for ni, hi in enumerate(chosen):
        if hi is not None:
            jobs[hi].append(ni)
    matches: dict[int, Match] = {}
    for hi, nis in jobs.items():
        nis.sort(key=lambda ni: (needs[ni].weekday, PARTS.index(needs[ni].part), ni))
        for k, ni in enumerate(nis):
            helper = helpers[hi]
            if k:
                helper = replace(helper, visits_this_week=helper.visits_this_week + k)
            scored = score(needs[ni], helper, w)
            assert scored is not None, "the solver chose an ineligible pair"
            matches[ni] = Match(needs[ni].request_id, helper.member_id, scored.total,
                                explain(needs[ni], helper, scored))
    return [matches[ni] for ni in sorted(matches)]
