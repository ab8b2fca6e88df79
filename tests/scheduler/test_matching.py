"""Volunteer matching: scores and their reasons, the Thai line, batch assignment, optimality, fairness."""
from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import replace

import pytest

from scheduler.matching import (CATEGORIES, PARTS, Helper, Need, Weights, assign, candidates, explain,
                                load_points, ranked, score)

NONGBUA = "บ้านหนองบัว"
TUESDAY, THURSDAY = 1, 3
EVERY_MORNING = {d: frozenset({"morning"}) for d in range(7)}


def need(request_id=1, *, elder_id=1, elder_name="ยายสมศรี", category="visit", village=NONGBUA, moo=5,
         weekday=TUESDAY, part="morning", minutes=60) -> Need:
    return Need(request_id, elder_id, elder_name, category, village, moo, weekday, part, minutes)


def helper(member_id=10, *, name="สมชาย", skills=(), village=NONGBUA, moo=5, availability=None,
           visits=0, cap=5, balance=0, balance_cap=2400, history=None) -> Helper:
    return Helper(member_id, name, frozenset(skills), village, moo,
                  EVERY_MORNING if availability is None else availability,
                  visits_this_week=visits, weekly_cap=cap, balance=balance, balance_cap=balance_cap,
                  history=history or {})


# --- scoring and its reasons -------------------------------------------------------------------

def test_a_neighbour_who_knows_yai_somsri_scores_for_place_time_familiarity_load_and_bank():
    w = Weights()
    scored = score(need(), helper(history={1: 3}), w)
    assert scored.total == pytest.approx(w.same_moo + w.availability + w.familiarity + w.load + w.bank)
    assert scored.reasons == ("light_load", "same_moo", "familiar", "available", "far_from_cap")


def test_the_reasons_come_biggest_first_and_only_for_what_earned_points():
    scored = score(need(category="errand"), helper(skills={"errand"}, moo=2, visits=4, balance=2300))
    assert scored.reasons == ("skill", "same_village", "available")


@pytest.mark.parametrize("village, moo, reason", [
    (NONGBUA, 5, "same_moo"), (NONGBUA, 2, "same_village"), (NONGBUA, None, "same_village"),
    ("บ้านโคกกลาง", 5, None)])
def test_nearer_helpers_score_higher(village, moo, reason):
    w = Weights()
    scored = score(need(), helper(village=village, moo=moo), w)
    place = {"same_moo": w.same_moo, "same_village": w.same_village, None: 0.0}[reason]
    assert scored.total == pytest.approx(place + w.availability + w.load + w.bank)
    assert (reason in scored.reasons) if reason else not {"same_moo", "same_village"} & set(scored.reasons)


def test_a_long_job_wants_the_next_part_of_the_day_free_too():
    w = Weights()
    morning_only = score(need(minutes=240), helper())
    whole_day = score(need(minutes=240), helper(availability={TUESDAY: frozenset(PARTS)}))
    assert "available_part" in morning_only.reasons and "available" in whole_day.reasons
    assert whole_day.total - morning_only.total == pytest.approx(w.availability / 2)


def test_load_points_fall_with_each_visit_this_week():
    totals = [score(need(), helper(visits=v, cap=5)).total for v in range(5)]
    assert totals == sorted(totals, reverse=True) and len(set(totals)) == 5
    assert "light_load" in score(need(), helper(visits=2, cap=5)).reasons
    assert "light_load" not in score(need(), helper(visits=3, cap=5)).reasons
    assert load_points(helper(visits=2, cap=5), Weights(), extra=1) == pytest.approx(Weights().load * 2 / 5)


def test_bank_health_prefers_volunteers_far_from_the_balance_cap():
    far, near = score(need(), helper(balance=300)), score(need(), helper(balance=2300))
    assert far.total > near.total
    assert "far_from_cap" in far.reasons and "far_from_cap" not in near.reasons
    in_debt = score(need(), helper(balance=-120))
    assert "repaying_loan" in in_debt.reasons
    assert in_debt.total == pytest.approx(score(need(), helper()).total)   # a debt counts as a zero balance


def test_weights_are_the_banks_to_tune():
    w = Weights(familiarity=10.0)
    assert score(need(), helper(history={1: 3}), w).reasons[0] == "familiar"
    with pytest.raises(ValueError):
        Weights(load=-1)


# --- who cannot take a request -------------------------------------------------------------

@pytest.mark.parametrize("why, the_need, the_helper", [
    ("not free that day", need(weekday=TUESDAY), helper(availability={THURSDAY: frozenset({"morning"})})),
    ("free that day but not that part", need(part="evening"), helper()),
    ("at the weekly cap", need(), helper(visits=3, cap=3)),
    ("a weekly cap of zero", need(), helper(cap=0)),
    ("asking for themself", need(elder_id=10), helper(member_id=10)),
    ("a clinic trip needs the clinic skill", need(category="clinic"), helper(skills={"errand", "visit"})),
    ("a repair needs the home skill", need(category="home"), helper(skills={"clinic"})),
])
def test_who_cannot_take_a_request(why, the_need, the_helper):
    assert score(the_need, the_helper) is None, why


@pytest.mark.parametrize("category", ["errand", "visit", "other"])
def test_errands_visits_and_other_help_need_no_skill(category):
    assert score(need(category=category), helper(skills=())) is not None


def test_a_helper_from_another_village_may_help_but_earns_no_place_points():
    assert score(need(), helper(village="บ้านโคกกลาง")) is not None


def test_bad_input_is_refused_when_built():
    with pytest.raises(ValueError):
        need(part="night")
    with pytest.raises(ValueError):
        need(category="massage")
    with pytest.raises(ValueError):
        need(weekday=7)
    with pytest.raises(ValueError):
        helper(availability={TUESDAY: frozenset({"noon"})})


# --- the one Thai line ---------------------------------------------------------------------

def test_the_line_tells_where_when_and_how_well_they_know_the_elder():
    somchai = helper(visits=3, cap=5, balance=2000, history={1: 3})
    assert explain(need(), somchai, score(need(), somchai)) == \
        "อยู่หมู่ 5, ว่างเช้าวันอังคาร, เคยช่วยยายสมศรี 3 ครั้ง"


def test_the_line_names_every_reason_in_reading_order():
    malee = helper(name="มาลี", skills={"clinic"}, moo=4, balance=-120,
                   availability={THURSDAY: frozenset({"morning", "afternoon"})}, history={1: 1})
    clinic = need(category="clinic", weekday=THURSDAY, minutes=240)
    assert explain(clinic, malee, score(clinic, malee)) == (
        "อยู่หมู่ 4 บ้านหนองบัว, ว่างเช้าถึงบ่ายวันพฤหัสบดี, เคยช่วยยายสมศรี 1 ครั้ง, พาไปหาหมอได้, "
        "สัปดาห์นี้ยังไม่มีงาน, กำลังเก็บแต้มใช้คืนที่ยืม")


def test_the_line_for_a_helper_from_elsewhere_with_only_part_of_the_time():
    nid = helper(name="นิด", village="บ้านโคกกลาง", moo=2, visits=1, cap=5, balance=100)
    long_visit = need(minutes=240)
    assert explain(long_visit, nid, score(long_visit, nid)) == \
        "มาจากบ้านโคกกลาง หมู่ 2, ว่างแค่เช้าวันอังคาร, สัปดาห์นี้เพิ่งช่วย 1 ครั้ง, แต้มยังห่างเพดาน"


@pytest.mark.parametrize("weekday, day_th", list(enumerate(
    ["จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์"])))
@pytest.mark.parametrize("part, part_th", [("morning", "เช้า"), ("afternoon", "บ่าย"), ("evening", "เย็น")])
def test_every_day_and_part_has_its_thai_words(weekday, day_th, part, part_th):
    the_need = need(weekday=weekday, part=part)
    somchai = helper(availability={weekday: frozenset({part})}, visits=4, balance=2400)
    line = explain(the_need, somchai, score(the_need, somchai))
    assert line == f"อยู่หมู่ 5, ว่าง{part_th}วัน{day_th}" and "\n" not in line


# --- suggestions for the coordinator ---------------------------------------------------------

def test_ranked_lists_the_best_helpers_first_and_leaves_out_who_cannot_go():
    helpers = [helper(10, moo=2), helper(11, history={1: 2}), helper(12, availability={}),
               helper(13), helper(14, visits=5, cap=5), helper(15)]
    ranking = ranked(need(), helpers, limit=3)
    assert [h.member_id for h, _ in ranking] == [11, 13, 15]   # ties: the lower member number first
    assert all(s.total == score(need(), h).total for h, s in ranking)
    assert len(ranked(need(), helpers, limit=10)) == 4


# --- batch assignment ------------------------------------------------------------------------

def test_one_helper_takes_several_requests_up_to_the_weekly_cap_and_never_two_at_once():
    somchai = helper(10, visits=1, cap=4, availability={d: frozenset(PARTS) for d in range(7)})
    needs = [need(1, weekday=0), need(2, weekday=0), need(3, weekday=0, part="afternoon"),
             need(4, weekday=2), need(5, weekday=4)]
    matches = assign(needs, [somchai])
    assert len(matches) == 3                                    # room for 4 − 1 visits
    taken = [(needs[m.request_id - 1].weekday, needs[m.request_id - 1].part) for m in matches]
    assert len(set(taken)) == len(taken)                        # no two at the same weekday and part
    assert not {1, 2} <= {m.request_id for m in matches}


def test_a_helper_at_the_cap_gets_nothing():
    assert assign([need()], [helper(visits=5, cap=5)]) == []


def test_each_match_is_scored_after_the_helpers_earlier_jobs_and_explained():
    somchai = helper(10, availability={d: frozenset({"morning"}) for d in range(7)})
    needs = [need(1, weekday=3), need(2, weekday=1)]
    matches = {m.request_id: m for m in assign(needs, [somchai])}
    assert matches[2].score == pytest.approx(score(needs[1], somchai).total)            # Tuesday first
    second = replace(somchai, visits_this_week=1)
    assert matches[1].score == pytest.approx(score(needs[0], second).total)
    assert matches[1].reason_th == explain(needs[0], second, score(needs[0], second))


def test_the_batch_beats_first_come_best_score():
    """สมชาย is ยายสมศรี's usual visitor, but only he can drive ยายมา to the clinic."""
    somchai = helper(10, skills={"clinic"}, moo=5, cap=1, history={1: 3})
    malee = helper(11, name="มาลี", moo=4, cap=1)
    visit = need(1, category="visit")
    clinic = need(2, elder_id=2, elder_name="ยายมา", category="clinic", moo=2)
    assert score(visit, somchai).total > score(clinic, somchai).total > score(visit, malee).total
    assert score(clinic, malee) is None
    matches = {m.request_id: m.member_id for m in assign([visit, clinic], [somchai, malee])}
    assert matches == {1: 11, 2: 10}


def test_no_village_helper_no_match_unless_they_know_the_elder():
    stranger = helper(10, village="บ้านโคกกลาง")
    friend = helper(11, village="บ้านโคกกลาง", history={1: 2})
    assert assign([need()], [stranger]) == []
    assert [m.member_id for m in assign([need()], [stranger, friend])] == [11]


def test_candidates_keep_the_best_few_per_request():
    helpers = [helper(10 + i, moo=i % 6) for i in range(12)]
    full = candidates([need()], helpers, max_candidates=50)[0]
    short = candidates([need()], helpers, max_candidates=4)[0]
    assert len(full) == 12 and short == full[:4]
    assert [helpers[i].moo for i, _ in short] == [5, 5, 0, 1]
    with pytest.raises(ValueError):
        candidates([need()], helpers, max_candidates=0)


# --- optimality on small random instances ------------------------------------------------------

def random_instance(rng: random.Random, n_needs: int, n_helpers: int, *, one_to_one: bool):
    villages = [NONGBUA, "บ้านโคกกลาง"]
    needs = [Need(r, 100 + rng.randrange(4), f"ยาย {r}", rng.choice(CATEGORIES), rng.choice(villages),
                  rng.randint(1, 3), rng.randrange(2), rng.choice(PARTS[:2]), rng.choice((60, 120, 240)))
             for r in range(1, n_needs + 1)]
    helpers = []
    for member_id in range(1, n_helpers + 1):
        availability = {d: frozenset(rng.sample(PARTS, rng.randint(1, 3))) for d in range(2)}
        visits = rng.randrange(3)
        cap = visits + 1 if one_to_one else visits + rng.randint(1, 3)
        helpers.append(Helper(member_id, f"อาสา {member_id}",
                              frozenset(s for s in ("clinic", "home", "errand") if rng.random() < 0.5),
                              rng.choice(villages), rng.randint(1, 3), availability, visits, cap,
                              rng.randint(-300, 2400), 2400,
                              {100 + e: rng.randint(1, 4) for e in range(4) if rng.random() < 0.25}))
    return needs, helpers


def allowed(the_need: Need, the_helper: Helper) -> bool:
    """The pairs assign considers: same village, or the helper has visited this elder before."""
    return score(the_need, the_helper) is not None and (
        the_helper.village == the_need.village or the_helper.history.get(the_need.elder_id, 0) > 0)


@pytest.mark.parametrize("seed", range(150))
def test_one_to_one_assignment_reaches_the_optimum_of_linear_sum_assignment(seed):
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    rng = random.Random(seed)
    needs, helpers = random_instance(rng, rng.randint(1, 8), rng.randint(1, 8), one_to_one=True)
    gain = np.zeros((len(needs), len(helpers)))
    for (i, n), (j, h) in itertools.product(enumerate(needs), enumerate(helpers)):
        if allowed(n, h):
            gain[i, j] = score(n, h).total        # 0 is as good as "not matched": every score is > 0
    rows, cols = linear_sum_assignment(gain, maximize=True)
    matches = assign(needs, helpers, max_candidates=8)
    assert sum(m.score for m in matches) == pytest.approx(gain[rows, cols].sum(), abs=1e-6)
    assert len({m.member_id for m in matches}) == len(matches)
    assert all(allowed(needs[m.request_id - 1], helpers[m.member_id - 1]) for m in matches)


def best_by_brute_force(needs: list[Need], helpers: list[Helper]) -> float:
    """Try every way to give each request a helper or nobody, within caps and free time."""
    options = [[None] + [j for j, h in enumerate(helpers) if allowed(n, h)] for n in needs]
    best = 0.0
    for choice in itertools.product(*options):
        jobs: dict[int, list[int]] = {}
        for i, j in enumerate(choice):
            if j is not None:
                jobs.setdefault(j, []).append(i)
        total, feasible = 0.0, True
        for j, mine in jobs.items():
            h = helpers[j]
            slots = [(needs[i].weekday, needs[i].part) for i in mine]
            if len(set(slots)) < len(slots) or len(mine) > h.weekly_cap - h.visits_this_week:
                feasible = False
                break
            total += sum(score(needs[i], replace(h, visits_this_week=h.visits_this_week + k)).total
                         for k, i in enumerate(mine))
        if feasible:
            best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(80))
def test_capacitated_assignment_reaches_the_brute_force_optimum(seed):
    rng = random.Random(1000 + seed)
    needs, helpers = random_instance(rng, rng.randint(1, 6), rng.randint(1, 3), one_to_one=False)
    matches = assign(needs, helpers)
    assert sum(m.score for m in matches) == pytest.approx(best_by_brute_force(needs, helpers), abs=1e-6)
    for member_id, count in Counter(m.member_id for m in matches).items():
        h = helpers[member_id - 1]
        assert count <= h.weekly_cap - h.visits_this_week
    taken = [(m.member_id, needs[m.request_id - 1].weekday, needs[m.request_id - 1].part) for m in matches]
    assert len(set(taken)) == len(taken)


def test_the_benchmark_agrees_with_scipy_on_a_small_district():
    from bench.matching import measure_all

    for row in measure_all(needs=300, helpers=1200, villages=30, moos=3, seed=3):
        assert row["matched"] > 200
        assert row["gap_percent"] == pytest.approx(0.0, abs=1e-6)


# --- fairness over a month ------------------------------------------------------------------

def gini(values: list[int]) -> float:
    mean = sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (2 * len(values) ** 2 * mean)


def simulate_month(rule: str, seed: int = 11):
    """30 volunteers of บ้านหนองบัว, 40 elders, 100 requests a week for 4 weeks, in batches of 20.

    After every batch the volunteers' visits this week, taken times, balances and history are
    updated; visits and taken times start again each week.
    """
    rng = random.Random(seed)
    all_slots = [(d, p) for d in range(7) for p in PARTS]
    people = []
    for k in range(30):
        free: dict[int, set[str]] = {}
        for d, p in rng.sample(all_slots, 10):
            free.setdefault(d, set()).add(p)
        skills = {"clinic"} if k < 8 else {"home"} if k < 14 else {rng.choice(("errand", "visit"))}
        people.append(Helper(200 + k, f"อาสา {k}", frozenset(skills), NONGBUA, 1 + k % 5,
                             {d: frozenset(p) for d, p in free.items()}, 0, 6, rng.randint(0, 600), 2400, {}))
    elders = [(1000 + e, f"ยาย {e}", 1 + rng.randrange(5)) for e in range(40)]
    given = Counter({h.member_id: 0 for h in people})
    history = {h.member_id: Counter() for h in people}
    balance = {h.member_id: h.balance for h in people}
    unmet = 0
    for week in range(4):
        visits = Counter()
        taken: dict[int, set[tuple[int, str]]] = {h.member_id: set() for h in people}
        requests = []
        for r in range(100):
            elder_id, elder_name, moo = rng.choice(elders)
            requests.append(Need(week * 100 + r, elder_id, elder_name,
                                 rng.choices(CATEGORIES, (25, 30, 10, 30, 5))[0], NONGBUA, moo,
                                 rng.randrange(7), rng.choice(PARTS), rng.choice((60, 90, 120))))
        for start in range(0, 100, 20):
            batch = requests[start:start + 20]

            def now(h: Helper, visits: Counter, taken: dict) -> Helper:
                free = {d: frozenset(p for p in parts if (d, p) not in taken[h.member_id])
                        for d, parts in h.availability.items()}
                return replace(h, availability=free, visits_this_week=visits[h.member_id],
                               balance=balance[h.member_id], history=dict(history[h.member_id]))

            if rule in ("wela", "wela without load"):
                weights = Weights() if rule == "wela" else Weights(load=0.0)
                chosen = [(m.request_id, m.member_id)
                          for m in assign(batch, [now(h, visits, taken) for h in people], weights)]
            else:  # first come, best score without the load part
                chosen = []
                so_far, busy = Counter(visits), {k: set(v) for k, v in taken.items()}
                for n in batch:
                    best = ranked(n, [now(h, so_far, busy) for h in people], Weights(load=0.0), limit=1)
                    if best:
                        member_id = best[0][0].member_id
                        chosen.append((n.request_id, member_id))
                        so_far[member_id] += 1
                        busy[member_id].add((n.weekday, n.part))
            by_id = {n.request_id: n for n in batch}
            unmet += len(batch) - len(chosen)
            for request_id, member_id in chosen:
                n = by_id[request_id]
                visits[member_id] += 1
                taken[member_id].add((n.weekday, n.part))
                history[member_id][n.elder_id] += 1
                balance[member_id] = min(balance[member_id] + n.minutes, 2400)
                given[member_id] += 1
    return [given[h.member_id] for h in people], unmet


@pytest.mark.parametrize("seed", range(11, 16))
def test_load_fairness_spreads_a_month_of_work_over_the_volunteers(seed):
    """The naive rule (first come, best score without the load part) keeps sending the same
    neighbours: familiarity feeds on itself, and over ten seeded months its Gini of visits per
    volunteer is 0.12–0.20, with the least busy volunteer getting 4–7 visits against the busiest
    18–23. Some spread is unavoidable here: 8 of the 30 can drive to the clinic and a quarter of
    the requests are clinic trips. Wela's batch with load points keeps the Gini at or below 0.13
    (0.08–0.12 over the same months), at most 0.7 times the naive rule's, and gives everyone at
    least 6 visits, without leaving more than a couple more requests unmet. The same batch
    without load points is about as uneven as the naive rule: the load points do the spreading."""
    ours, ours_unmet = simulate_month("wela", seed)
    naive, naive_unmet = simulate_month("naive", seed)
    unloaded, _ = simulate_month("wela without load", seed)
    assert gini(ours) <= 0.75 * gini(unloaded)
    assert sum(ours) + ours_unmet == sum(naive) + naive_unmet == 400
    assert ours_unmet <= naive_unmet + 2
    assert gini(ours) <= 0.13 and gini(ours) <= 0.7 * gini(naive)
    assert min(ours) >= 6 and max(ours) / min(ours) < max(naive) / min(naive)
