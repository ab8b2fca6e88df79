"""Webhooks as Twilio and the Android SIM gateway call them: signed for real, forged ones refused."""
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from scheduler import offers, requests
from scheduler.orm import Offer
from sms.orm import InboundSms, OutboundSms
from sms.outbox import enqueue
from tests.sms.conftest import SOMCHAI, SOMSRI, STRANGER
from wela.app import create_app
from wela.bootstrap import Adapters
from wela.db import atomic

TOKEN = "twilio-auth-token-for-tests"
SECRET = "android-signing-key"
PUBLIC = "https://wela.example.org"


@pytest.fixture
def app(db, clock, gateway, tmp_path):
    app = create_app({"database_url": db.url, "instance_path": tmp_path / "instance", "TESTING": True,
                       "twilio_auth_token": TOKEN, "twilio_account_sid": "AC" + "0" * 32,
                       "public_url": PUBLIC, "android_webhook_secret": SECRET, "bank_phone": "081-000-1234"},
                      adapters=Adapters(sms_gateway=gateway), clock=clock)
    yield app
    app.extensions["wela"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def offered(db, env, village):
    """ยายสมศรี asked for a ride to the clinic tomorrow morning; สมชาย has the offer."""
    req = atomic(db.sessions, lambda s: requests.request_help(
        s, env, member_id=village.somsri, category="clinic", when="tomorrow", part="morning", minutes=120))
    atomic(db.sessions, lambda s: offers.match_open_requests(s, env))
    return req.id


def twilio_form(body, sid="SM" + "a" * 32, sender=SOMCHAI):
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": sender,
            "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}


def signed_post(client, path, form, *, url=None, token=TOKEN):
    signature = RequestValidator(token).compute_signature(url or PUBLIC + path, form)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    response.close()                         # runs what the view left for after the response
    return response


def twiml_reply(response):
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return [m.text for m in root.findall("Message")]


def count(db, model):
    with db.sessions() as s:
        return s.scalar(select(func.count(model.id)))


def request_state(db, request_id):
    with db.sessions() as s:
        return requests.load_request(s, request_id).state


# --- Twilio ------------------------------------------------------------------------------------

def test_a_volunteer_accepts_by_sms_and_gets_the_booking_text(client, db, gateway, offered):
    response = signed_post(client, "/sms/incoming", twilio_form("รับค่ะ"))
    assert twiml_reply(response) == []                  # the booking text is the answer
    assert request_state(db, offered) == "assigned"
    assert any(body.startswith("นัดแล้ว ยายสมศรี ไปหาหมอ") for body in gateway.to(SOMCHAI))


def test_the_inbox_keeps_the_command_as_the_bank_read_it_with_the_offers_code(client, db, offered):
    with db.sessions() as s:
        [code] = s.scalars(select(Offer.code).where(Offer.request_id == offered)).all()
    signed_post(client, "/sms/incoming", twilio_form(f"1{code}"))        # "1" and the code, no space
    assert request_state(db, offered) == "assigned"
    with db.sessions() as s:
        stored = s.scalars(select(InboundSms)).one()
    assert (stored.command, stored.member_id is not None) == ("Accept", True)


def test_a_forged_twilio_webhook_is_refused_and_changes_nothing(client, db, offered):
    form = twilio_form("1")
    for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}):
        assert client.post("/sms/incoming", data=form, headers=headers).status_code == 403
    signed_for_other_text = RequestValidator(TOKEN).compute_signature(PUBLIC + "/sms/incoming", twilio_form("2"))
    response = client.post("/sms/incoming", data=form, headers={"X-Twilio-Signature": signed_for_other_text})
    assert response.status_code == 403 and b"Traceback" not in response.data
    assert signed_post(client, "/sms/incoming", form, token="another-account").status_code == 403
    assert count(db, InboundSms) == 0 and request_state(db, offered) == "offered"


def test_the_signature_is_checked_against_the_public_url_not_the_one_behind_the_proxy(client, offered):
    wrong_url = signed_post(client, "/sms/incoming", twilio_form("ยอด"), url="http://localhost/sms/incoming")
    assert wrong_url.status_code == 403
    assert signed_post(client, "/sms/incoming", twilio_form("ยอด")).status_code == 200


def test_a_repeated_webhook_is_handled_once_and_answered_the_same(client, db, gateway, offered):
    first = twiml_reply(signed_post(client, "/sms/incoming", twilio_form("2")))
    again = twiml_reply(signed_post(client, "/sms/incoming", twilio_form("2")))
    assert first == again == ["รับทราบค่ะ ขอบคุณที่แจ้ง จะส่งงานนี้ให้คนอื่นค่ะ"]
    assert count(db, InboundSms) == 1
    with db.sessions() as s:
        replies = s.scalars(select(OutboundSms).where(OutboundSms.purpose == "reply")).all()
    assert [(r.status, r.body) for r in replies] == [("sent", first[0])]


def test_a_stranger_gets_the_banks_number_and_nothing_else(client, db, village):
    [reply] = twiml_reply(signed_post(client, "/sms/incoming", twilio_form("ยอด", sender=STRANGER)))
    assert reply == "ขออภัยค่ะ เบอร์นี้ไม่มีในทะเบียนธนาคารเวลา โทรสอบถาม 081-000-1234"
    assert twiml_reply(signed_post(client, "/sms/incoming", twilio_form("1", sid="SM2", sender=STRANGER))) == []


@pytest.mark.parametrize("body, reply_starts", [
    ("", "ไม่เข้าใจค่ะ"),
    ("ก" * 4000, "ข้อความยาวเกินไปค่ะ"),
    ("👍👍", "ไม่เข้าใจค่ะ"),
    ("\x00\x01\x02\xff\ufffd", "ไม่เข้าใจค่ะ"),
    ("ยกเลิก", "ไม่รับงานนี้ตอบ 2"),
    ("เสร็จ 2", "บอกเวลาที่ช่วย"),
])
def test_bad_bodies_get_a_thai_answer_never_a_trace(client, db, offered, body, reply_starts):
    response = signed_post(client, "/sms/incoming", twilio_form(body))
    [reply] = twiml_reply(response)
    assert reply.startswith(reply_starts) and b"Traceback" not in response.data
    with db.sessions() as s:
        stored = s.scalars(select(InboundSms)).one()
    assert len(stored.body) <= 1600 and "\x00" not in stored.body and stored.body_chars == len(body)


def test_a_failure_inside_the_bank_is_an_apology_not_a_trace(client, db, offered, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr("sms.inbound.reply_to", broken)
    response = signed_post(client, "/sms/incoming", twilio_form("1"))
    assert twiml_reply(response) == ["ขออภัยค่ะ ระบบขัดข้อง กรุณาลองใหม่อีกครั้งค่ะ"]
    assert b"disk" not in response.data
    with db.sessions() as s:
        assert "RuntimeError" in s.scalars(select(InboundSms)).one().error


def test_twilio_status_callbacks_move_the_row_forward_only(client, db, clock, village):
    row = atomic(db.sessions, lambda s: enqueue(s, key="k1", to_phone=SOMCHAI, body="ทดสอบ", purpose="manual",
                                                now=clock.now(), status="sent", provider="twilio"))
    path = f"/sms/status?ref={row.ref}"
    for status in ("delivered", "sent", "delivered"):
        form = {"MessageSid": "SM9", "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
        assert signed_post(client, path, form).status_code == 204
    forged = client.post(path, data={"MessageSid": "SM9", "MessageStatus": "failed"},
                         headers={"X-Twilio-Signature": "x"})
    assert forged.status_code == 403
    with db.sessions() as s:
        stored = s.get(OutboundSms, row.id)
    assert (stored.status, stored.provider_id) == ("delivered", "SM9")


# --- SMS Gateway for Android ------------------------------------------------------------------

def android_post(client, clock, event, *, secret=SECRET, age=0):
    raw = json.dumps(event, ensure_ascii=False).encode()
    timestamp = str(int(clock.now().timestamp()) - age)
    signature = hmac.new(secret.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    response = client.post("/sms/android", data=raw, content_type="application/json",
                           headers={"X-Signature": signature, "X-Timestamp": timestamp})
    response.close()
    return response


def received(text, event_id="Ey6ECgOkVVFjz3CL48B8C", sender=SOMCHAI):
    return {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": "sms:received", "id": event_id,
            "webhookId": "wh-1", "payload": {"messageId": "abc123", "message": text, "phoneNumber": sender,
                                             "simNumber": 1, "receivedAt": "2026-11-21T09:00:00.000+07:00"}}


def test_an_android_gateway_reply_is_handled_and_answered_through_the_gateway(client, db, clock, gateway, offered):
    response = android_post(client, clock, received("ไม่ว่างค่ะ"))
    assert response.status_code == 200 and response.json == {"ok": True}
    assert request_state(db, offered) in ("open", "offered")
    assert "รับทราบค่ะ ขอบคุณที่แจ้ง จะส่งงานนี้ให้คนอื่นค่ะ" in gateway.to(SOMCHAI)


def test_the_same_android_event_twice_is_handled_once(client, db, clock, gateway, offered):
    android_post(client, clock, received("1"))
    android_post(client, clock, received("1"))
    assert count(db, InboundSms) == 1 and request_state(db, offered) == "assigned"
    assert len([b for b in gateway.to(SOMCHAI) if b.startswith("นัดแล้ว")]) == 1


@pytest.mark.parametrize("kwargs", [{"secret": "not-the-key"}, {"age": 3600}])
def test_a_forged_or_replayed_android_webhook_is_refused(client, db, clock, offered, kwargs):
    assert android_post(client, clock, received("1"), **kwargs).status_code == 403
    assert count(db, InboundSms) == 0 and request_state(db, offered) == "offered"


def test_android_delivery_reports_find_our_text_by_its_id(client, db, clock, village):
    row = atomic(db.sessions, lambda s: enqueue(s, key="k1", to_phone=SOMSRI, body="ทดสอบ", purpose="manual",
                                                now=clock.now(), status="sent", provider="android"))
    for kind in ("sms:delivered", "sms:sent"):
        event = {"event": kind, "id": f"ev-{kind}", "payload": {"messageId": row.ref, "phoneNumber": SOMSRI}}
        assert android_post(client, clock, event).status_code == 200
    assert android_post(client, clock, {"event": "system:ping", "id": "p", "payload": {}}).status_code == 200
    with db.sessions() as s:
        assert s.get(OutboundSms, row.id).status == "delivered"


def test_a_batch_of_android_messages_is_stored_one_by_one(client, db, clock, village):
    event = {"event": "sms:batch:received", "id": "batch-1", "payload": {"messages": [
        received("ยอด")["payload"], {**received("ช่วย")["payload"], "phoneNumber": SOMSRI}]}}
    assert android_post(client, clock, event).status_code == 200
    assert count(db, InboundSms) == 2


def test_a_body_that_is_not_json_is_a_bad_request_not_a_crash(client, clock):
    raw = b"\xff\xfenot json"
    timestamp = str(int(clock.now().timestamp()))
    signature = hmac.new(SECRET.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    response = client.post("/sms/android", data=raw, headers={"X-Signature": signature, "X-Timestamp": timestamp})
    assert response.status_code == 400 and b"Traceback" not in response.data
