"""The SMS provider fails: it answers 500, then hangs past the client's timeout, then takes a text but
answers too late, then recovers. The texts wait in the outbox the whole time and each reaches the
volunteer exactly once.

How the fault is made real: the real client libraries (twilio's REST client, android_sms_gateway
over requests) talk HTTP over loopback to local fakes of the providers' APIs (tests/sms/fakes.py),
which really answer 500, really hold the connection open longer than the gateway's 0.5 s timeout,
or take the text and answer after the client gave up.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter

import pytest
from sqlalchemy import select

from scheduler.ports import Message
from sms.gateways.android_gateway import AndroidGateway
from sms.gateways.twilio_gateway import TwilioGateway
from sms.notifier import OutboxNotifier
from sms.orm import OutboundSms
from sms.outbox import flush
from tests.sms.conftest import MALEE, SOMCHAI, SOMSRI, add_village
from tests.sms.fakes import FakeAndroidGateway, FakeTwilio
from wela.app import create_app
from wela.bootstrap import Adapters
from wela.db import atomic

pytestmark = pytest.mark.fault

TIMEOUT = 0.5          # the gateway's client timeout in these tests
HANG = 1.5             # how long a hanging provider holds the connection
SECRET = "android-signing-key"


class _Hangs:
    """A provider fault the shared fakes lack: hold the connection, take nothing, answer 503 late."""

    hang_next = 0

    def take(self, to, body, **extra):  # noqa: ANN001, ANN003, ANN201
        with self.lock:
            if self.hang_next > 0:
                self.hang_next -= 1
                return None, (503, self.error(503, "Service Unavailable"), HANG)
        return super().take(to, body, **extra)


class HangingTwilio(_Hangs, FakeTwilio):
    pass


class HangingAndroid(_Hangs, FakeAndroidGateway):
    pass


@pytest.fixture(params=["twilio", "android"])
def provider(request):  # noqa: ANN001, ANN201
    fake = HangingTwilio() if request.param == "twilio" else HangingAndroid()
    with fake:
        fake.delay = HANG
        yield request.param, fake


def _gateway(kind: str, fake):  # noqa: ANN001, ANN202
    if kind == "twilio":
        return TwilioGateway(fake.user, fake.password, "+15005550006", api_base=fake.url, timeout=TIMEOUT,
                             status_callback="https://wela.example.org/sms/status")
    return AndroidGateway(fake.api_url, fake.user, fake.password, timeout=TIMEOUT)


@pytest.fixture
def app(db, clock, tmp_path, provider):  # noqa: ANN001, ANN201
    kind, fake = provider
    app = create_app({"database_url": db.url, "instance_path": tmp_path / "instance", "TESTING": True,
                      "android_webhook_secret": SECRET, "bank_phone": "081-000-1234"},
                     adapters=Adapters(sms_gateway=_gateway(kind, fake)), clock=clock)
    add_village(db.sessions, clock)
    yield app
    app.extensions["wela"].close()


def _statuses(w) -> Counter:  # noqa: ANN001
    with w.sessions() as s:
        return Counter(s.scalars(select(OutboundSms.status)))


def _queue_texts(w) -> list[str]:  # noqa: ANN001
    """Three urgent texts to two volunteers, as the scheduler queues them."""
    texts = [(SOMCHAI, 2, "offer:1"), (SOMCHAI, 2, "offer:2"), (MALEE, 3, "offer:3")]
    atomic(w.sessions, lambda s: [OutboxNotifier(w.clock).send(s, Message(
        member_id=member, phone=phone, template="sms.offer", purpose="offer", key=key, urgent=True,
        slots={"request": i, "name": "ยายสมศรี", "category": "clinic", "day": "2026-11-22", "start": "09:00",
               "village": "บ้านหนองบัว", "minutes": 60})) for i, (phone, member, key) in enumerate(texts, 1)])
    with w.sessions() as s:
        return list(s.scalars(select(OutboundSms.body).order_by(OutboundSms.id)))


def _flush_timed(w) -> tuple[dict, float]:  # noqa: ANN001
    started = time.monotonic()
    report = flush(w)
    return report, time.monotonic() - started


def test_texts_wait_through_errors_and_hangs_and_are_sent_once_when_the_provider_recovers(app, clock, provider):
    _kind, fake = provider
    w = app.extensions["wela"]
    bodies = _queue_texts(w)

    # 1. The provider answers 500: nothing leaves, everything stays queued, the rest are held back.
    fake.fail_next = 100
    report, _ = _flush_timed(w)
    assert report == {"retried": 1, "held_back": 2}
    assert _statuses(w) == {"queued": 3} and fake.messages == []

    # 2. It hangs past the client timeout: one timeout per flush (not three), still queued.
    fake.fail_next, fake.hang_next = 0, 100
    clock.advance(minutes=5)
    report, took = _flush_timed(w)
    assert report == {"retried": 1, "held_back": 2}
    assert TIMEOUT * 0.8 < took < TIMEOUT * 3 + 1.0
    assert _statuses(w) == {"queued": 3} and fake.messages == []

    # 3. It takes a text but answers after the client gave up: the row is in doubt, not re-sent blindly.
    fake.hang_next, fake.slow_next = 0, 1
    clock.advance(minutes=5)
    report, _ = _flush_timed(w)
    assert report.get("retried") == 1 and len(fake.messages) == 1
    assert _statuses(w) == {"queued": 3}

    # 4. It recovers: every text goes out, the one it already had is found rather than sent again.
    outcomes: Counter = Counter()
    for _ in range(6):                                  # bounded: a few runner ticks
        clock.advance(minutes=5)
        outcomes.update(flush(w))
        if _statuses(w) == {"sent": 3}:
            break
    assert _statuses(w) == {"sent": 3}, outcomes
    assert outcomes["found"] == 1 and outcomes["sent"] == 2
    assert sorted(m.body for m in fake.messages) == sorted(bodies)           # each text exactly once
    assert Counter(m.to for m in fake.messages) == {SOMCHAI: 2, MALEE: 1}
    with w.sessions() as s:
        ids = sorted(s.scalars(select(OutboundSms.provider_id)))
    assert ids == sorted(m.id for m in fake.messages)
    assert flush(w) == {} and len(fake.messages) == 3                     # nothing left to send


def _android_post(client, clock, event):  # noqa: ANN001, ANN201
    raw = json.dumps(event, ensure_ascii=False).encode()
    timestamp = str(int(clock.now().timestamp()))
    signature = hmac.new(SECRET.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    response = client.post("/sms/android", data=raw, content_type="application/json",
                           headers={"X-Signature": signature, "X-Timestamp": timestamp})
    response.close()                     # runs the send the view left for after the answer
    return response


@pytest.mark.parametrize("provider", ["android"], indirect=True)      # Twilio replies ride in the TwiML
def test_a_reply_that_cannot_leave_during_the_webhook_is_sent_once_by_a_later_flush(app, clock, provider):
    _kind, fake = provider
    w = app.extensions["wela"]
    fake.hang_next = 100
    event = {"event": "sms:received", "id": "ev-1", "deviceId": "d1",
             "payload": {"messageId": "m-1", "message": "ยอด", "phoneNumber": SOMSRI}}
    started = time.monotonic()
    response = _android_post(app.test_client(), clock, event)
    assert response.status_code == 200 and response.json == {"ok": True}
    assert time.monotonic() - started < TIMEOUT * 3 + 1.0
    assert _statuses(w) == {"queued": 1} and fake.messages == []
    again = _android_post(app.test_client(), clock, event)                  # the app retries the event
    assert again.status_code == 200 and _statuses(w) == {"queued": 1}

    fake.hang_next = 0
    for _ in range(4):
        clock.advance(minutes=5)
        flush(w)
        if _statuses(w) == {"sent": 1}:
            break
    assert _statuses(w) == {"sent": 1}
    assert len(fake.bodies_to(SOMSRI)) == 1 and "เวลา" in fake.bodies_to(SOMSRI)[0]
