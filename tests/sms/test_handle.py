"""A volunteer's day by SMS: the offer arrives, รับ books it, เสร็จ reports it, the elder's word pays it."""
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledger import service as ledger
from ledger.orm import Member
from scheduler import offers, requests, visits
from scheduler.orm import Offer
from scheduler.runner import Runner
from sms.handle import handle_incoming
from sms.inbound import receive
from sms.orm import OutboundSms
from sms.outbox import flush
from tests.sms.conftest import MALEE, SOMCHAI, SOMSRI, STRANGER
from wela.db import atomic


def sms_from(w, env, phone, body):
    """What the bank answers to `body` texted from `phone` (the simulate path)."""
    return receive(w, provider="simulate", provider_id=uuid.uuid4().hex, from_phone=phone, body=body,
                   reply_via="none", env=env).reply


def outbox_to(w, phone, purpose=None):
    with w.sessions() as s:
        stmt = select(OutboundSms).where(OutboundSms.to_phone == phone).order_by(OutboundSms.id)
        if purpose:
            stmt = stmt.where(OutboundSms.purpose == purpose)
        return list(s.scalars(stmt))


def ask(w, env, village, part="morning", category="clinic", minutes=120):
    return atomic(w.sessions, lambda s: requests.request_help(
        s, env, member_id=village.somsri, category=category, when="tomorrow", part=part, minutes=minutes)).id


def state(w, request_id):
    with w.sessions() as s:
        return requests.load_request(s, request_id).state


def test_a_clinic_ride_goes_from_offer_sms_to_payment_by_text_alone(w, env, clock, gateway, village):
    req = ask(w, env, village)
    Runner(w.sessions, env).tick()
    [offer] = outbox_to(w, SOMCHAI, "offer")
    assert offer.body == "ช่วยยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว ตอบ 1 รับ 2 ไม่รับ"
    assert flush(w) == {"sent": 1} and gateway.to(SOMCHAI) == [offer.body]

    assert sms_from(w, env, "089-111-2233", "รับค่ะ") is None
    assert state(w, req) == "assigned"
    [booked] = outbox_to(w, SOMCHAI, "assigned")
    assert booked.body == "นัดแล้ว ยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว เสร็จแล้วตอบ 3"
    assert booked.urgent

    clock.advance(hours=26)                              # Sunday 11:00, after the 09:00 start
    assert sms_from(w, env, SOMCHAI, "เสร็จ 1 ชม ครึ่ง") == \
        "บันทึกแล้วค่ะ ช่วยยายสมศรีเสร็จ 1 ชั่วโมง 30 นาที รอผู้รับยืนยัน"
    assert state(w, req) == "done"

    atomic(w.sessions, lambda s: visits.confirm_service(s, env, request_id=req, received=True, actor="ivr",
                                                         minutes=90))
    [paid] = outbox_to(w, SOMCHAI, "paid")
    assert paid.body == "ยายสมศรียืนยันแล้ว คุณได้รับเวลา 1 ชั่วโมง 30 นาที ขอบคุณค่ะ"
    flush(w)
    assert [r.status for r in outbox_to(w, SOMCHAI)] == ["sent", "sent", "sent"]
    with w.sessions() as s:
        assert state(w, req) == "paid"
        assert ledger.balance(s, village.somchai).balance == 120 + 90


def two_clinic_offers(w, env, village):
    first, second = ask(w, env, village, "morning"), ask(w, env, village, "afternoon")
    atomic(w.sessions, lambda s: offers.match_open_requests(s, env))
    with w.sessions() as s:
        return {o.request_id: o.code for o in s.scalars(select(Offer).where(Offer.volunteer_id == village.somchai))}, \
            (first, second)


def test_with_two_open_offers_a_bare_yes_gets_a_question_and_a_coded_yes_books_that_one(w, env, village):
    codes, (first, second) = two_clinic_offers(w, env, village)
    assert len(codes) == 2
    coded = outbox_to(w, SOMCHAI, "offer")[-1]
    assert f"ตอบ 1 {codes[second]} รับ 2 {codes[second]} ไม่รับ" in coded.body
    question = sms_from(w, env, SOMCHAI, "1")
    assert question.startswith("มีงานรอคำตอบหลายงาน") and codes[first] in question and codes[second] in question
    assert state(w, first) == state(w, second) == "offered"
    assert sms_from(w, env, SOMCHAI, f"1 {codes[second]}") is None
    assert (state(w, first), state(w, second)) == ("offered", "assigned")


def test_a_no_is_thanked_and_the_offer_passes_on(w, env, village):
    req = ask(w, env, village, "afternoon", category="errand", minutes=60)
    atomic(w.sessions, lambda s: offers.match_open_requests(s, env))
    first, other = (SOMCHAI, MALEE) if outbox_to(w, SOMCHAI, "offer") else (MALEE, SOMCHAI)
    assert sms_from(w, env, first, "ไม่ว่าง") == "รับทราบค่ะ ขอบคุณที่แจ้ง จะส่งงานนี้ให้คนอื่นค่ะ"
    assert len(outbox_to(w, other, "offer")) == 1 and state(w, req) == "offered"


def test_a_yes_after_the_offer_expired_is_told_kindly(w, env, clock, village):
    ask(w, env, village)
    runner = Runner(w.sessions, env)
    runner.tick()
    clock.advance(hours=3)
    runner.tick()                                         # the offer expired unanswered
    assert sms_from(w, env, SOMCHAI, "รับ") == "งานนี้ปิดแล้วค่ะ หมดเวลาตอบหรือมีผู้รับแล้ว ขอบคุณค่ะ"
    assert sms_from(w, env, SOMCHAI, "1 123") == "ไม่พบงานรหัส 123 ที่เสนอให้คุณ"


def test_stop_is_honoured_at_once_and_only_start_is_answered_after_it(w, env, gateway, village):
    req = ask(w, env, village)
    atomic(w.sessions, lambda s: offers.match_open_requests(s, env))
    assert sms_from(w, env, SOMCHAI, "หยุด") == "หยุดส่งข้อความให้แล้วค่ะ ถ้าจะรับอีกตอบ เริ่ม"
    with w.sessions() as s:
        assert s.get(Member, village.somchai).status == "paused"
    assert state(w, req) in ("open", "offered")           # his offer was declined for him
    assert sms_from(w, env, SOMCHAI, "ยอด") is None
    assert sms_from(w, env, SOMCHAI, "ช่วย") is None
    flush(w)
    assert gateway.to(SOMCHAI) == []                      # the queued offer never went out
    assert sms_from(w, env, SOMCHAI, "เริ่ม") == "เริ่มส่งข้อความอีกครั้งแล้วค่ะ ตอบ ช่วย เพื่อดูคำสั่ง"
    with w.sessions() as s:
        assert s.get(Member, village.somchai).status == "active"
    assert sms_from(w, env, SOMCHAI, "ยอด") == "เวลาคงเหลือของคุณ 2 ชั่วโมง ค่ะ"


def test_pause_for_a_week_declines_the_open_offer_and_says_until_when(w, env, village):
    req = ask(w, env, village)
    atomic(w.sessions, lambda s: offers.match_open_requests(s, env))
    assert sms_from(w, env, SOMCHAI, "พัก 7") == "พักรับงานถึง ส. 28 พ.ย. 69 ค่ะ พร้อมเมื่อไรตอบ เริ่ม"
    with w.sessions() as s:
        member = s.get(Member, village.somchai)
        assert (member.status, member.paused_until.isoformat()) == ("paused", "2026-11-28")
        assert s.scalar(select(Offer.state).where(Offer.request_id == req)) == "declined"


@pytest.mark.parametrize("body, reply", [
    ("bal", "เวลาคงเหลือของคุณ 2 ชั่วโมง ค่ะ"),
    ("help", "ตอบ 1 รับงาน 2 ไม่รับ 3 เสร็จ ยอด ดูเวลา พัก 7 พักงาน หยุด เลิกรับ"),
    ("สวัสดีจ้า อากาศดี", "ไม่เข้าใจค่ะ ตอบ 1 รับ 2 ไม่รับ 3 เสร็จ หรือ ช่วย ดูคำสั่ง"),
    ("รับ ไม่รับ", "ตอบทีละอย่างค่ะ เช่น 1 รับ หรือ 2 ไม่รับ"),
    ("พัก 400", "พักได้ 1 ถึง 90 วันค่ะ เช่น พัก 7"),
    ("เสร็จ", "ไม่มีงานที่คุณรับไว้และยังไม่เสร็จ"),
    ("1", "ตอนนี้ไม่มีงานที่รอคำตอบจากคุณ"),
])
def test_every_other_reply_gets_a_short_thai_answer(w, env, village, body, reply):
    assert sms_from(w, env, SOMCHAI, body) == reply


def test_a_stranger_is_answered_once_a_day_with_the_banks_number_only(w, env, clock, village):
    first = sms_from(w, env, STRANGER, "1")
    assert first == "ขออภัยค่ะ เบอร์นี้ไม่มีในทะเบียนธนาคารเวลา โทรสอบถาม 081-000-1234"
    assert sms_from(w, env, STRANGER, "ยอด") is None
    clock.advance(days=1, minutes=1)
    assert sms_from(w, env, STRANGER, "ยอด") == first
    assert sms_from(w, env, STRANGER, "stop") == "หยุดส่งข้อความให้แล้วค่ะ ถ้าจะรับอีกตอบ เริ่ม"


def test_an_elder_texting_yes_with_nothing_offered_is_told_so(w, env, village):
    assert sms_from(w, env, SOMSRI, "ok") == "ตอนนี้ไม่มีงานที่รอคำตอบจากคุณ"


def test_a_flood_from_one_number_stops_getting_replies(w, env, village):
    replies = [sms_from(w, env, SOMCHAI, "ยอด") for _ in range(12)]
    assert replies[:10] == ["เวลาคงเหลือของคุณ 2 ชั่วโมง ค่ะ"] * 10 and replies[-1] is None


def test_the_reply_to_a_gateway_text_is_an_urgent_outbox_row_sent_once(w, env, gateway, clock, village):
    for _ in range(2):
        receive(w, provider="android", provider_id="ev-1", from_phone=SOMCHAI, body="ยอด", reply_via="outbox",
                env=env)
    [reply] = outbox_to(w, SOMCHAI, "reply")
    assert reply.urgent and reply.status == "queued" and reply.key == "reply:android:ev-1"
    clock.advance(hours=14)                                # 23:00: quiet hours, replies still go
    assert flush(w) == {"sent": 1}
    assert gateway.to(SOMCHAI) == ["เวลาคงเหลือของคุณ 2 ชั่วโมง ค่ะ"]
    assert timedelta(0) < clock.now() - reply.created_at


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.text(max_size=300), st.sampled_from(["1 999", "เสร็จ 3", "พัก 0", "รับ 482 517", "๑", "?"])))
def test_any_text_at_all_gets_a_thai_answer_or_silence_never_an_exception(w, env, village, body):
    reply = atomic(w.sessions, lambda s: handle_incoming(s, env, SOMCHAI, body))
    assert reply is None or (isinstance(reply, str) and reply.strip() and "Traceback" not in reply)
