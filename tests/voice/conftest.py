"""A village that calls the bank: ยายสมศรี (elder, PIN 1234), สมชาย and มาลี (volunteers), ผู้ใหญ่สมศักดิ์."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.members import register_member, set_pin
from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from voice.outbound import FakeDialer
from wela.app import create_app
from wela.bootstrap import Adapters
from wela.db import atomic

TOKEN = "12345678901234567890123456789012"
PUBLIC = "https://wela.example.org"
SOMSRI = "+66812345678"
HEADMAN = "+66860001111"


@dataclass
class Village:
    somsri: int
    somchai: int
    malee: int
    headman: int


def make_village(sessions, clock) -> Village:
    def work(s):
        def add(**fields):
            return register_member(s, clock=clock, entered_by="test", village="บ้านหนองบัว", **fields)
        somsri = add(name="ยายสมศรี ใจดี", phone="081-234-5678", role="elder", moo="5")
        set_pin(s, somsri, "1234")
        return Village(
            somsri=somsri.id,
            somchai=add(name="สมชาย รักษ์ดี", phone="089-111-2233", role="volunteer", moo="5",
                        skills="clinic, errand", availability="ทุกวัน เช้า บ่าย").id,
            malee=add(name="มาลี ศรีสุข", phone="089-111-4455", role="both", moo="4",
                      skills="errand, visit", availability="ทุกวัน บ่าย เย็น").id,
            headman=add(name="ผู้ใหญ่สมศักดิ์ นำชัย", phone="086-000-1111", role="coordinator", moo="5").id,
        )
    return atomic(sessions, work)


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
