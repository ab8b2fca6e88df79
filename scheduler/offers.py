"""Offers: match open requests to volunteers, send offers, take answers, expire, escalate."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Iterable, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import service as ledger
from ledger.clock import as_utc
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken
from ledger.orm import Member
from scheduler import matching
from scheduler.context import Env
from scheduler.jobs import enqueue
from scheduler.orm import HelpRequest, Offer
from scheduler.ports import Message
from scheduler.requests import describe, escalate, load_request, record
from scheduler.roster import Around, Roster, week_start
from scheduler.when import slots, start_of

QUIET_START, QUIET_END = time(21, 0), time(7, 0)


# --- what the matcher needs to know about a request ----------------------------------------

def _need(s: Session, req: HelpRequest, day: date, part: str) -> matching.Need:
    elder = s.get(Member, req.member_id)
    return matching.Need(request_id=req.id, elder_id=req.member_id, elder_name=elder.name,
                         category=req.category, village=req.village, moo=elder.moo,
                         weekday=day.weekday(), part=part, minutes=req.minutes)


def _tried(s: Session, request_id: int) -> set[int]:
    return set(s.scalars(select(Offer.volunteer_id).where(Offer.request_id == request_id)))


def _best_slot(s: Session, env: Env, req: HelpRequest, roster: Roster, exclude: Iterable[int] = ()
               ) -> Optional[tuple[date, str, list]]:
    """The earliest slot of the request's window that a volunteer can take, with the ranking.

    Neighbours first: the volunteers of the elder's own village and those who have helped this
    elder before. Only when none of them can go in any slot does the search take in every
    volunteer of the bank (the roster is widened for that).
    """
    windows = slots(_window(req), env.local_now())
    for near in ((req.village, req.member_id), None):
        if near is None and windows:
            roster.widen()
        for day, part in windows:
            ranking = matching.ranked(_need(s, req, day, part), roster.week(day, exclude, part, near), limit=5)
            if ranking:
                return day, part, ranking
    return None


def _window(req: HelpRequest):  # noqa: ANN202
    from scheduler.when import Window

    return Window(req.earliest_day, req.latest_day, req.part)


# --- the sweep: batch assignment of fresh requests, next candidate for the others ---------------

def match_open_requests(s: Session, env: Env, *, limit: int = 2000) -> int:
    """Offer every open request to its best volunteer. Returns the number of offers sent."""
    reqs = list(s.scalars(select(HelpRequest).where(HelpRequest.state == "open")
                          .order_by(HelpRequest.earliest_day, HelpRequest.id).limit(limit)
                          .with_for_update(skip_locked=True)))
    if not reqs:
        return 0
    roster = Roster(s, env, around=Around.requests(reqs))
    fresh, retry = [], []
    by_week: dict[date, list[matching.Need]] = defaultdict(list)
    for req in reqs:
        if _expire_if_past(s, env, req):
            continue
        if _tried(s, req.id):
            retry.append(req)
            continue
        found = _best_slot(s, env, req, roster)
        if found is None:
            _no_candidate(s, env, req)
            continue
        day, part, _ = found
        fresh.append((req, day, part))
        by_week[week_start(day)].append(_need(s, req, day, part))
    sent = 0
    matches = {m.request_id: m for week, needs in by_week.items()       # weeks share no slot or cap
               for m in matching.assign(needs, roster.week(week))}
    for req, day, part in fresh:
        m = matches.get(req.id)
        if m is None:
            retry.append(req)        # lost its volunteers to others in the batch: try one by one
            continue
        send_offer(s, env, req, m.member_id, day, part, reason=m.reason_th)
        roster.book(m.member_id, day, part)
        sent += 1
    for req in retry:
        sent += offer_next(s, env, req, roster=roster)
    return sent


def offer_next(s: Session, env: Env, req: HelpRequest, *, roster: Optional[Roster] = None) -> int:
    """Offer to the best volunteer not yet asked; escalate when nobody is left.

    A sweep passes its `roster` (kept up to date with the offers it makes) to save reading the
    volunteers again for every request.
    """
    roster = roster or Roster(s, env, around=Around.requests([req]))
    found = _best_slot(s, env, req, roster, exclude=_tried(s, req.id))
    if found is None:
        _no_candidate(s, env, req)
        return 0
    day, part, ranking = found
    helper, scored = ranking[0]
    need = _need(s, req, day, part)
    send_offer(s, env, req, helper.member_id, day, part, reason=matching.explain(need, helper, scored))
    roster.book(helper.member_id, day, part)
    return 1


def _no_candidate(s: Session, env: Env, req: HelpRequest) -> None:
    escalate(s, env, req, "ไม่มีจิตอาสาที่ว่างตรงเวลา", "no volunteer is free for this request")


def _expire_if_past(s: Session, env: Env, req: HelpRequest) -> bool:
    if slots(_window(req), env.local_now()):
        return False
    record(s, env, req, "expired", "system", "expired")
    req.stuck_reason = None
    escalate_finished(s, env, req, "หมดเวลา ยังหาผู้ช่วยไม่ได้", "expired without a volunteer")
    return True


def escalate_finished(s: Session, env: Env, req: HelpRequest, th: str, en: str) -> None:
    """Tell coordinators about a request that ended without help (it leaves the stuck list)."""
    escalate(s, env, req, th, en)
    req.stuck_reason = None


def _offer_code(s: Session, volunteer_id: int, request_id: int) -> str:
    """A 3-digit code unique among the volunteer's live offers (pending, or accepted and not finished)."""
    used = set(s.scalars(select(Offer.code).join(HelpRequest, HelpRequest.id == Offer.request_id)
                         .where(Offer.volunteer_id == volunteer_id,
                                Offer.state.in_(("pending", "accepted")),
                                HelpRequest.state.in_(("open", "offered", "assigned", "done")))))
    free = [c for c in range(100, 1000) if str(c) not in used]
    if not free:
        raise RuleBroken("จิตอาสาคนนี้มีงานค้างมากเกินไป", "this volunteer has 900 live offers")
    return str(random.Random(request_id * 7919 + volunteer_id).choice(free))


def _send_moment(env: Env, urgent: bool) -> datetime:
    """Non-urgent texts wait out quiet hours (21:00–07:00): the answer time starts at 07:00."""
    return env.now() if urgent else outside_quiet_hours(env, env.now())


def outside_quiet_hours(env: Env, moment: datetime) -> datetime:
    """`moment`, or 07:00 after it when it falls in the quiet hours (21:00–07:00)."""
    local = as_utc(moment).astimezone(env.tz)
    if QUIET_END <= local.time() < QUIET_START:
        return moment
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, env.tz).astimezone(env.now().tzinfo)


def send_offer(s: Session, env: Env, req: HelpRequest, volunteer_id: int, day: date, part: str, *,
               reason: str = "", actor: str = "system") -> Offer:
    start = start_of(day, part, env.tz)
    req.planned_start = start
    urgent = start - env.local_now() < timedelta(hours=12)
    opens = _send_moment(env, urgent)
    expires = opens + timedelta(minutes=env.rules.offer_minutes)
    latest = start - timedelta(minutes=30)
    if expires > latest:
        expires = max(latest, env.now() + timedelta(minutes=15))
    rank = len(_tried(s, req.id)) + 1
    offer = Offer(request_id=req.id, volunteer_id=volunteer_id, code=_offer_code(s, volunteer_id, req.id),
                  state="pending", rank=rank, reason=reason[:300], sent_at=env.now(), expires_at=expires)
    s.add(offer)
    s.flush()
    record(s, env, req, "offered", actor, "offered", volunteer=volunteer_id, offer=offer.id,
           code=offer.code, reason=reason, rank=rank)
    volunteer = s.get(Member, volunteer_id)
    slots_ = {**describe(s, env, req), "code": offer.code}
    many = s.scalar(select(func.count(Offer.id)).where(Offer.volunteer_id == volunteer_id,
                                                       Offer.state == "pending")) > 1
    env.notifier.send(s, Message(volunteer.id, volunteer.phone, "sms.offer_coded" if many else "sms.offer",
                                 slots_, "offer", f"offer:{offer.id}", req.id, urgent=urgent))
    enqueue(s, key=f"expire-offer:{offer.id}", kind="expire_offer", due_at=expires, request_id=req.id,
            payload={"offer": offer.id})
    return offer


# --- answers ---------------------------------------------------------------------------

def open_offers(s: Session, volunteer_id: int) -> list[Offer]:
    return list(s.scalars(select(Offer).where(Offer.volunteer_id == volunteer_id, Offer.state == "pending")
                          .order_by(Offer.id)))


def pick_offer(s: Session, volunteer_id: int, code: Optional[str], states: Sequence[str] = ("pending",)
               ) -> Offer:
    """The offer a reply is about: by code, or the only one open. Ambiguity is a question back."""
    offers = list(s.scalars(select(Offer).where(Offer.volunteer_id == volunteer_id,
                                                Offer.state.in_(states)).order_by(Offer.id)))
    if code:
        for offer in offers:
            if offer.code == code:
                return offer
        raise NotFound(f"ไม่พบงานรหัส {code} ที่เสนอให้คุณ", f"no open offer with code {code}")
    if not offers:
        raise NotFound("ตอนนี้ไม่มีงานที่รอคำตอบจากคุณ", "no open offer for this volunteer")
    if len(offers) > 1:
        codes = " ".join(o.code for o in offers)
        raise InvalidInput(f"มีงานรอคำตอบหลายงาน กรุณาตอบพร้อมรหัส เช่น 1 {offers[0].code} (รหัส: {codes})",
                           f"several open offers; reply with a code ({codes})", codes=[o.code for o in offers])
    return offers[0]


def answer_offer(s: Session, env: Env, *, volunteer_id: int, accept: bool, code: Optional[str] = None,
                 actor: Optional[str] = None) -> HelpRequest:
    """A volunteer says yes or no. Yes assigns the request and holds the elder's credits."""
    offer = pick_offer(s, volunteer_id, code)
    req = load_request(s, offer.request_id, lock=True)
    offer = s.scalar(select(Offer).where(Offer.id == offer.id).with_for_update()
                     .execution_options(populate_existing=True))
    if offer.state != "pending":
        raise Conflict("งานนี้ไม่ได้รอคำตอบแล้ว", f"offer {offer.id} is {offer.state}")
    actor = actor or f"volunteer:{volunteer_id}"
    offer.answered_at = env.now()
    if not accept:
        offer.state = "declined"
        record(s, env, req, "declined", actor, "open", offer=offer.id)
        _after_refusal(s, env, req)
        return req
    offer.state = "accepted"
    assign(s, env, req, volunteer_id, actor=actor, offer_id=offer.id)
    return req


def assign(s: Session, env: Env, req: HelpRequest, volunteer_id: int, *, actor: str,
           offer_id: Optional[int] = None) -> HelpRequest:
    """Make `volunteer_id` the helper: hold the credits, plan reminders and the confirmation."""
    if req.member_id == volunteer_id:
        raise InvalidInput("ผู้ขอช่วยเหลือเป็นผู้ช่วยให้ตัวเองไม่ได้", "a member cannot help themself")
    volunteer = s.get(Member, volunteer_id)
    if volunteer is None or not volunteer.gives and volunteer.role != "coordinator":
        raise InvalidInput("สมาชิกคนนี้ไม่ได้เป็นจิตอาสา", f"member {volunteer_id} is not a volunteer")
    if req.planned_start is None:
        first = slots(_window(req), env.local_now())
        day, part = first[0] if first else (req.earliest_day, req.part or "morning")
        req.planned_start = start_of(day, part, env.tz)
    for other in s.scalars(select(Offer).where(Offer.request_id == req.id, Offer.state == "pending",
                                               Offer.id != (offer_id or 0))):
        other.state, other.answered_at = "withdrawn", env.now()
    req.volunteer_id = volunteer_id
    req.stuck_reason = None
    try:
        h = ledger.hold(s, payer_id=req.member_id, payee_id=volunteer_id, minutes=req.minutes,
                        key=f"request:{req.id}:{volunteer_id}", clock=env.clock, entered_by=actor,
                        reason=f"คำขอเลขที่ {req.id}")
        req.hold_id = h.id
    except RuleBroken:
        escalate(s, env, req, "เวลาคงเหลือของผู้ขอไม่พอ ต้องให้กองกลางช่วย",
                 "the elder cannot cover the visit; a grant from the pool is needed")
    record(s, env, req, "assigned", actor, "assigned", volunteer=volunteer_id, offer=offer_id)
    slots_ = describe(s, env, req)
    env.notifier.send(s, Message(volunteer.id, volunteer.phone, "sms.assigned", slots_, "assigned",
                                 f"assigned:{req.id}:{volunteer_id}", req.id, urgent=True))
    _plan_visit_jobs(s, env, req)
    return req


def _plan_visit_jobs(s: Session, env: Env, req: HelpRequest) -> None:
    start = as_utc(req.planned_start)
    evening_before = datetime.combine(start.astimezone(env.tz).date() - timedelta(days=1),
                                      time(18, 0), env.tz)
    now = env.now()
    v = req.volunteer_id
    if evening_before > now:
        enqueue(s, key=f"remind-volunteer-evening:{req.id}:{v}", kind="remind_volunteer",
                due_at=evening_before, request_id=req.id, payload={"when": "evening"})
        enqueue(s, key=f"remind-elder-evening:{req.id}:{v}", kind="remind_elder",
                due_at=evening_before, request_id=req.id)
    hour_before = start - timedelta(hours=1)
    if hour_before > now:
        enqueue(s, key=f"remind-volunteer-hour:{req.id}:{v}", kind="remind_volunteer",
                due_at=hour_before, request_id=req.id, payload={"when": "hour"})
    end = start + timedelta(minutes=req.minutes + env.rules.confirm_after_minutes)
    enqueue(s, key=f"ask-confirmation:{req.id}:{v}", kind="ask_confirmation",
            due_at=outside_quiet_hours(env, max(end, now)), request_id=req.id)   # no calls at night
    enqueue(s, key=f"confirm-timeout:{req.id}:{v}", kind="confirm_timeout",
            due_at=end + timedelta(days=env.rules.confirm_timeout_days), request_id=req.id)


def _after_refusal(s: Session, env: Env, req: HelpRequest) -> None:
    refusals = s.scalar(select(func.count(Offer.id)).where(
        Offer.request_id == req.id, Offer.state.in_(("declined", "expired")))) or 0
    if refusals >= env.rules.max_refusals:
        escalate(s, env, req, "ผู้ช่วยปฏิเสธหลายครั้ง", f"{refusals} volunteers said no or did not answer",
                 refusals=refusals)
    offer_next(s, env, req)


def expire_offer(s: Session, env: Env, offer_id: int) -> None:
    """An offer nobody answered in time: the next candidate gets it."""
    offer = s.get(Offer, offer_id)
    if offer is None or offer.state != "pending":
        return
    req = load_request(s, offer.request_id, lock=True)
    offer.state, offer.answered_at = "expired", env.now()
    record(s, env, req, "offer_expired", "system", "open", offer=offer.id, volunteer=offer.volunteer_id)
    _after_refusal(s, env, req)


def check_near(s: Session, env: Env) -> int:
    """Unassigned requests close to their time go in front of the coordinator."""
    soon = env.now() + timedelta(hours=env.rules.escalate_hours_before)
    count = 0
    for req in s.scalars(select(HelpRequest).where(HelpRequest.state.in_(("open", "offered")),
                                                   HelpRequest.planned_start.is_not(None))):
        if as_utc(req.planned_start) <= soon and req.stuck_reason is None:
            escalate(s, env, req, "ใกล้เวลานัดแล้ว ยังไม่มีผู้ช่วย", "the time is near and nobody has accepted")
            count += 1
    return count


def assign_by_hand(s: Session, env: Env, request_id: int, volunteer_id: int, *, actor: str,
                   day: Optional[date] = None, part: Optional[str] = None) -> HelpRequest:
    """The coordinator assigns directly (the volunteer agreed by phone)."""
    req = load_request(s, request_id, lock=True)
    if req.state not in ("open", "offered"):
        raise Conflict("คำขอนี้มีผู้ช่วยแล้วหรือจบไปแล้ว", f"request {request_id} is {req.state}")
    if day and part:
        req.planned_start = start_of(day, part, env.tz)
    return assign(s, env, req, volunteer_id, actor=actor)


def suggestions(s: Session, env: Env, request_id: int, limit: int = 5) -> list[tuple[Member, str, float]]:
    """The best volunteers for one request with the one-line reason, for the coordinator."""
    req = load_request(s, request_id)
    found = _best_slot(s, env, req, Roster(s, env, exclude=[req.member_id], around=Around.requests([req])))
    if not found:
        return []
    day, part, ranking = found
    need = _need(s, req, day, part)
    return [(s.get(Member, h.member_id), matching.explain(need, h, sc), sc.total)
            for h, sc in ranking[:limit]]

