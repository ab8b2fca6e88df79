"""After the visit: the volunteer reports done, the elder confirms, the held credits are paid."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import service as ledger
from ledger.clock import as_utc
from ledger.errors import Conflict, InvalidInput, NotFound, RuleBroken
from ledger.orm import Member
from scheduler.context import Env
from scheduler.jobs import enqueue
from scheduler.offers import outside_quiet_hours, pick_offer
from scheduler.orm import HelpRequest, Job, Offer, RequestEvent
from scheduler.ports import CallOrder, Message
from scheduler.requests import cancel_jobs, describe, escalate, load_request, record


def report_done(s: Session, env: Env, *, volunteer_id: int, code: Optional[str] = None,
                minutes: Optional[int] = None, actor: Optional[str] = None,
                request_id: Optional[int] = None) -> HelpRequest:
    """The volunteer says the help is given (optionally with the real duration).

    `request_id` names the request directly (the coordinator entering it for the volunteer).
    """
    offer = pick_offer(s, volunteer_id, code, states=("accepted",)) if code and request_id is None else None
    if request_id is not None:
        req = load_request(s, request_id)
    elif offer is None:
        reqs = list(s.scalars(select(HelpRequest).where(HelpRequest.volunteer_id == volunteer_id,
                                                        HelpRequest.state == "assigned")
                              .order_by(HelpRequest.planned_start)))
        if not reqs:
            raise NotFound("ไม่มีงานที่คุณรับไว้และยังไม่เสร็จ", "no assigned request to report done")
        if len(reqs) > 1:
            codes = _codes(s, volunteer_id, [r.id for r in reqs])
            raise InvalidInput(f"คุณมีหลายงาน กรุณาตอบ เสร็จ พร้อมรหัส (รหัส: {' '.join(codes)})",
                               f"several assigned requests; reply with a code ({' '.join(codes)})")
        req = reqs[0]
    else:
        req = load_request(s, offer.request_id)
    req = load_request(s, req.id, lock=True)
    if req.volunteer_id != volunteer_id:
        raise Conflict("งานนี้ไม่ใช่ของคุณแล้ว", "this request is no longer yours")
    if req.state == "done":
        return req
    if minutes is not None and not 1 <= minutes <= 720:
        raise InvalidInput("จำนวนนาทีไม่ถูกต้อง", f"minutes out of range: {minutes}")
    if req.planned_start and as_utc(req.planned_start) > env.now() + timedelta(hours=1):
        raise Conflict("ยังไม่ถึงเวลานัด แจ้งเสร็จไม่ได้", "the visit has not started yet")
    req.reported_minutes = minutes
    record(s, env, req, "done", actor or f"volunteer:{volunteer_id}", "done", minutes=minutes)
    enqueue(s, key=f"ask-confirmation-done:{req.id}", kind="ask_confirmation",
            due_at=outside_quiet_hours(env, env.now() + timedelta(minutes=10)), request_id=req.id)
    return req


def _codes(s: Session, volunteer_id: int, request_ids: Sequence[int]) -> list[str]:
    return list(s.scalars(select(Offer.code).where(Offer.volunteer_id == volunteer_id,
                                                   Offer.request_id.in_(request_ids),
                                                   Offer.state == "accepted")))


def awaiting_confirmation(s: Session, env: Env, member_id: int) -> list[HelpRequest]:
    """Visits to this elder that have happened (or were reported done) and await their word."""
    reqs = s.scalars(select(HelpRequest).where(HelpRequest.member_id == member_id,
                                               HelpRequest.state.in_(("assigned", "done")))
                     .order_by(HelpRequest.planned_start))
    return [r for r in reqs if r.state == "done"
            or (r.planned_start and as_utc(r.planned_start) <= env.now())]


def confirm_service(s: Session, env: Env, *, request_id: int, received: bool, actor: str,
                    minutes: Optional[int] = None, member_id: Optional[int] = None) -> HelpRequest:
    """The elder's word. Yes pays the volunteer from the held credits; no opens a dispute.

    `minutes` is the duration both agree on (the volunteer's report, read back to the elder);
    without it the expected duration is paid. `member_id`, when given, must be the requester.
    """
    req = load_request(s, request_id, lock=True)
    if member_id is not None and req.member_id != member_id:
        raise NotFound("ไม่พบคำขอนี้ของคุณ", "this request is not the caller's")
    if req.state in ("confirmed", "paid") and received:
        return req                                      # a repeated key press or webhook
    if req.state == "disputed" and not received:
        return req
    if req.state not in ("assigned", "done"):
        raise Conflict("คำขอนี้ยังไม่ได้รับความช่วยเหลือ ยืนยันไม่ได้",
                       f"request {request_id} is {req.state}; nothing to confirm")
    if req.state == "assigned" and (req.planned_start is None or as_utc(req.planned_start) > env.now()):
        raise Conflict("ยังไม่ถึงเวลานัด ยืนยันไม่ได้", "the visit has not happened yet")
    if not received:
        record(s, env, req, "disputed", actor, "disputed")
        escalate(s, env, req, "ผู้รับบอกว่าไม่ได้รับความช่วยเหลือ", "the elder says the help did not happen")
        cancel_jobs(s, req.id, ("ask_confirmation", "confirm_timeout"))
        return req
    record(s, env, req, "confirmed", actor, "confirmed", minutes=minutes)
    amount = minutes or req.reported_minutes or req.minutes
    try:
        with s.begin_nested():          # a refused payment must not undo the elder's word
            return pay(s, env, req, actor=actor, minutes=amount)
    except RuleBroken as err:
        cancel_jobs(s, req.id, ("ask_confirmation", "confirm_timeout"))
        escalate(s, env, req, "ผู้รับยืนยันแล้ว แต่เวลาคงเหลือไม่พอจ่าย ต้องให้กองกลางช่วย",
                 "confirmed, but the elder's credits cannot cover it: grant from the pool, then pay",
                 minutes=amount, refused=err.en)
        return req


def pay(s: Session, env: Env, req: HelpRequest, *, actor: str, minutes: int) -> HelpRequest:
    """Post the held credits (hold one now if there was none) and thank the volunteer."""
    if req.hold_id is None:
        h = ledger.hold(s, payer_id=req.member_id, payee_id=req.volunteer_id, minutes=minutes,
                        key=f"request:{req.id}:{req.volunteer_id}:late", clock=env.clock,
                        entered_by=actor, reason=f"คำขอเลขที่ {req.id}")
        req.hold_id = h.id
    receipt = ledger.post_hold(s, hold_id=req.hold_id, minutes=minutes, clock=env.clock,
                               entered_by=actor, on_behalf_of=req.member_id)
    req.paid_minutes = receipt.amount
    req.stuck_reason = None
    record(s, env, req, "paid", actor, "paid", transfer=receipt.transfer_id, minutes=receipt.amount,
           to_loan=receipt.to_loan, to_pool=receipt.to_pool)
    cancel_jobs(s, req.id, ("ask_confirmation", "confirm_timeout", "remind_volunteer", "remind_elder"))
    volunteer = s.get(Member, req.volunteer_id)
    env.notifier.send(s, Message(volunteer.id, volunteer.phone, "sms.paid",
                                 {**describe(s, env, req), "minutes": receipt.amount,
                                  "to_pool": receipt.to_pool, "to_loan": receipt.to_loan},
                                 "paid", f"paid:{req.id}", req.id))
    return req


def resolve_dispute(s: Session, env: Env, *, request_id: int, pay_minutes: Optional[int], actor: str,
                    note: str = "") -> HelpRequest:
    """The coordinator decides a dispute: pay (some minutes) or record a no-show. A visit the elder
    confirmed but could not cover is paid the same way, once the pool has granted the credits."""
    req = load_request(s, request_id, lock=True)
    if req.state not in ("disputed", "confirmed") or (req.state == "confirmed" and not pay_minutes):
        raise Conflict("คำขอนี้ไม่มีข้อโต้แย้ง", f"request {request_id} is {req.state}, not disputed")
    if pay_minutes:
        record(s, env, req, "resolved", actor, note=note, pay=pay_minutes)
        return pay(s, env, req, actor=actor, minutes=pay_minutes)
    if req.hold_id is not None:
        ledger.void_hold(s, hold_id=req.hold_id, clock=env.clock, entered_by=actor)
    req.stuck_reason = None
    record(s, env, req, "no_show", actor, "no_show", note=note)
    return req


# --- job handlers ---------------------------------------------------------------------------

def _assigned(s: Session, job: Job) -> Optional[HelpRequest]:
    req = s.get(HelpRequest, job.request_id)
    return req if req is not None and req.state in ("assigned", "done") else None


def remind_volunteer(s: Session, env: Env, job: Job) -> None:
    req = _assigned(s, job)
    if req is None or req.state != "assigned":
        return
    volunteer = s.get(Member, req.volunteer_id)
    template = "sms.reminder_evening" if job.payload.get("when") == "evening" else "sms.reminder_hour"
    env.notifier.send(s, Message(volunteer.id, volunteer.phone, template, describe(s, env, req),
                                 "reminder", f"{job.key}:sms", req.id,
                                 urgent=job.payload.get("when") == "hour"))
    record(s, env, req, "reminded", "system", who="volunteer", when=job.payload.get("when"))


def remind_elder(s: Session, env: Env, job: Job) -> None:
    req = _assigned(s, job)
    if req is None:
        return
    elder = s.get(Member, req.member_id)
    env.calls.place(s, CallOrder(elder.id, elder.phone, "reminder", f"{job.key}:call", req.id))
    record(s, env, req, "reminded", "system", who="elder")


def ask_confirmation(s: Session, env: Env, job: Job) -> None:
    """Call the elder to confirm the visit: after its planned end, or after the volunteer's "done",
    whichever comes first (one call: the later job finds the elder already asked)."""
    req = _assigned(s, job)
    if req is None or _asked(s, req):
        return
    elder = s.get(Member, req.member_id)
    env.calls.place(s, CallOrder(elder.id, elder.phone, "confirm", f"confirm-call:{req.id}", req.id))
    record(s, env, req, "confirmation_asked", "system")


def _asked(s: Session, req: HelpRequest) -> bool:
    return s.scalar(select(RequestEvent.id).where(RequestEvent.request_id == req.id,
                                                  RequestEvent.kind == "confirmation_asked").limit(1)) is not None


def confirm_timeout(s: Session, env: Env, job: Job) -> None:
    req = _assigned(s, job)
    if req is None:
        return
    escalate(s, env, req, "ผู้รับยังไม่ยืนยันเกิน 3 วัน", "no confirmation from the elder after 3 days")


def expire_offer_job(s: Session, env: Env, job: Job) -> None:
    from scheduler.offers import expire_offer

    expire_offer(s, env, job.payload["offer"])


HANDLERS = {"remind_volunteer": remind_volunteer, "remind_elder": remind_elder,
            "ask_confirmation": ask_confirmation, "confirm_timeout": confirm_timeout,
            "expire_offer": expire_offer_job}
