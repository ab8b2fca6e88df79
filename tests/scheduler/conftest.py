"""A small village for scheduler tests: ยายสมศรี asks, สมชาย and มาลี can help."""
from __future__ import annotations

import pytest

from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from tests.villagers import Village, add_village


@pytest.fixture
def env(clock) -> Env:
    return Env(clock=clock, notifier=FakeNotifier(), calls=FakeCallPlacer())


@pytest.fixture
def village(db, clock) -> Village:
    return add_village(db.sessions, clock)
