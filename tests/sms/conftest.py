"""A small village for SMS tests: ยายสมศรี asks for help, สมชาย and มาลี carry cheap phones, the
headman coordinates. The bank's SMS goes through an in-memory gateway unless a test says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.members import register_member
from scheduler.context import Env
from scheduler.ports import FakeCallPlacer
from sms.gateways.memory import MemoryGateway
from sms.notifier import OutboxNotifier
from wela.bootstrap import Adapters, Wela
from wela.db import atomic
from wela.settings import load_settings

SOMSRI, SOMCHAI, MALEE, HEADMAN = "+66812345678", "+66891112233", "+66891114455", "+66860001111"
STRANGER = "+66819998877"


@dataclass
class Village:
    somsri: int
    somchai: int
    malee: int
    headman: int


def add_village(sessions, clock) -> Village:
    def work(s):
        def add(**fields):
            return register_member(s, clock=clock, entered_by="test", village="บ้านหนองบัว", **fields).id
        return Village(
            somsri=add(name="ยายสมศรี ใจดี", phone="081-234-5678", role="elder", moo="5"),
            somchai=add(name="สมชาย รักษ์ดี", phone="089-111-2233", role="volunteer", moo="5",
                        skills="clinic, errand", availability="ทุกวัน เช้า บ่าย"),
            malee=add(name="มาลี ศรีสุข", phone="089-111-4455", role="both", moo="4",
                      skills="errand, visit", availability="ทุกวัน บ่าย เย็น"),
            headman=add(name="ผู้ใหญ่สมศักดิ์ นำชัย", phone="086-000-1111", role="coordinator", moo="5"),
        )
    return atomic(sessions, work)


@pytest.fixture
def village(db, clock) -> Village:
    return add_village(db.sessions, clock)


@pytest.fixture
def gateway() -> MemoryGateway:
    return MemoryGateway()


@pytest.fixture
def w(db, clock, gateway, tmp_path) -> Wela:
    """The composition root's container on the test database, the fake clock and the memory gateway."""
    settings = load_settings(environ={}, overrides={"instance_path": tmp_path / "instance",
                                                     "database_url": db.url, "bank_phone": "081-000-1234"})
    return Wela(settings=settings, engine=db.engine, sessions=db.sessions, clock=clock,
                adapters=Adapters(sms_gateway=gateway))


@pytest.fixture
def env(clock) -> Env:
    return Env(clock=clock, notifier=OutboxNotifier(clock), calls=FakeCallPlacer())
