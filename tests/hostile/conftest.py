"""Hostile-input tests: the whole app as the internet sees it, with real signatures for the webhooks.

One app per test on a copy of the admin tests' prepared database (staff ``admin``/``headman``/
``auditor`` and a small village), with Twilio's Auth Token, the public URL and the Android
gateway's signing key set, so a test can sign any random request the way Twilio or the gateway
would. Outside things are in-memory fakes: nothing leaves the machine.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Mapping, Optional

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from prompts_th.engines import FakeEngine
from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from sms.gateways.memory import MemoryGateway
from tests.admin.conftest import PASSWORD, START, _prepared, sign_in  # noqa: F401  (re-exported)
from ledger.clock import FakeClock
from voice.outbound import FakeDialer
from wela.admin.orm import User
from wela.app import create_app
from wela.bootstrap import Adapters

TOKEN = "hostile-twilio-auth-token-000000"
PUBLIC = "https://wela.example.org"
SECRET = "hostile-android-signing-key"
TWILIO_PATHS = ("/voice/", "/sms/incoming", "/sms/status")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def build(tmp_path, clock, **config):  # noqa: ANN001, ANN003, ANN201
    env = Env(clock=clock, notifier=FakeNotifier(), calls=FakeCallPlacer())
    settings = {"database_url": _prepared(tmp_path), "instance_path": tmp_path / "instance", "TESTING": True,
                "twilio_auth_token": TOKEN, "twilio_account_sid": "AC" + "0" * 32, "public_url": PUBLIC,
                "android_webhook_secret": SECRET, "coordinator_phone": "+66860001111",
                "bank_phone": "081-000-1234", "secret_key": "hostile-tests", **config}
    return create_app(settings, clock=clock,
                      adapters=Adapters(sms_gateway=MemoryGateway(), call_placer=FakeDialer(),
                                        speech_engine=FakeEngine(), extra={"scheduler_env": env}))


@pytest.fixture
def app(tmp_path, clock):  # noqa: ANN001, ANN201
    """CSRF checks on, as in production."""
    application = build(tmp_path, clock)
    yield application
    application.extensions["wela"].close()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


def twilio_signature(path: str, form: Mapping[str, str], token: str = TOKEN) -> str:
    """What Twilio sends in X-Twilio-Signature for a POST of ``form`` to PUBLIC + ``path`` (with its query)."""
    return RequestValidator(token).compute_signature(PUBLIC + path, dict(form))


def android_headers(raw: bytes, clock, secret: str = SECRET, age: int = 0) -> dict[str, str]:  # noqa: ANN001
    timestamp = str(int(clock.now().timestamp()) - age)
    signature = hmac.new(secret.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    return {"X-Signature": signature, "X-Timestamp": timestamp}


def signed_headers(path: str, form: Optional[Mapping[str, str]], raw: bytes, clock) -> dict[str, str]:  # noqa: ANN001
    """The headers a genuine provider would send for this request (none for the other routes)."""
    bare = path.split("?", 1)[0]
    if bare.startswith("/sms/android"):
        return android_headers(raw, clock)
    if bare.startswith(TWILIO_PATHS) and not bare.startswith("/voice/audio/"):
        return {"X-Twilio-Signature": twilio_signature(path, form or {})}
    return {}


def user_id(app, username: str) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return s.scalar(select(User.id).where(User.username == username))
