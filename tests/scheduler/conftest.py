"""A small village for scheduler tests: ยายสมศรี asks, สมชาย and มาลี can help."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.members import register_member
from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from wela.db import atomic


@dataclass
class Village:
    somsri: int
    somchai: int
    malee: int
    headman: int


@pytest.fixture
def env(clock) -> Env:
    return Env(clock=clock, notifier=FakeNotifier(), calls=FakeCallPlacer())


@pytest.fixture
def village(db, clock) -> Village:
    def work(s):
        add = lambda **f: register_member(s, clock=clock, entered_by="test", village="บ้านหนองบัว", **f).id
        return Village(
            somsri=add(name="ยายสมศรี", phone="081-234-5678", role="elder", moo="5"),
            somchai=add(name="สมชาย", phone="089-111-2233", role="volunteer", moo="5",
                        skills="clinic, errand", availability="ทุกวัน เช้า บ่าย"),
            malee=add(name="มาลี", phone="089-111-4455", role="both", moo="4",
                      skills="errand, visit", availability="ทุกวัน บ่าย เย็น"),
            headman=add(name="ผู้ใหญ่สมศักดิ์", phone="086-000-1111", role="coordinator", moo="5"),
        )
    return atomic(db.sessions, work)
