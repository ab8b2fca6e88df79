"""A village that calls the bank: ยายสมศรี (elder, PIN 1234), สมชาย and มาลี (volunteers), ผู้ใหญ่สมศักดิ์."""
from __future__ import annotations


import pytest

from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from voice.outbound import FakeDialer
from wela.app import create_app
from wela.bootstrap import Adapters
from tests.villagers import Village, add_village

TOKEN = "12345678901234567890123456789012"
PUBLIC = "https://wela.example.org"
SOMSRI = "+66812345678"
HEADMAN = "+66860001111"


def make_village(sessions, clock) -> Village:
    """The shared village; ยายสมศรี has the PIN 1234 for calls from a neighbour's phone."""
    return add_village(sessions, clock, somsri_pin="1234")


@pytest.fixture
def village(db, clock) -> Village:
    return make_village(db.sessions, clock)


@pytest.fixture
def dialer() -> FakeDialer:
    return FakeDialer()


def build_app(db, clock, tmp_path, dialer, **settings):
    config = {"instance_path": str(tmp_path / "instance"), "database_url": db.url,
              "twilio_account_sid": "AC" + "1" * 32, "twilio_auth_token": TOKEN,
              "twilio_from_number": "+6620000000", "public_url": PUBLIC, "coordinator_phone": "",
              "TESTING": True, **settings}
    return create_app(config, clock=clock, adapters=Adapters(call_placer=dialer))


@pytest.fixture
def app(db, clock, tmp_path, dialer, village):
    app = build_app(db, clock, tmp_path, dialer)
    yield app
    app.extensions["wela"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def w(app):
    return app.extensions["wela"]


@pytest.fixture
def env(clock) -> Env:
    return Env(clock=clock, notifier=FakeNotifier(), calls=FakeCallPlacer())
