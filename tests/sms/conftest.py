"""A small village for SMS tests: ยายสมศรี asks for help, สมชาย and มาลี carry cheap phones, the
headman coordinates. The bank's SMS goes through an in-memory gateway unless a test says otherwise.
"""
from __future__ import annotations


import pytest

from scheduler.context import Env
from scheduler.ports import FakeCallPlacer
from sms.gateways.memory import MemoryGateway
from sms.notifier import OutboxNotifier
from wela.bootstrap import Adapters, Wela
from tests.villagers import Village, add_village  # noqa: F401  (re-exported for the SMS tests)
from wela.settings import load_settings

SOMSRI, SOMCHAI, MALEE, HEADMAN = "+66812345678", "+66891112233", "+66891114455", "+66860001111"
STRANGER = "+66819998877"


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
