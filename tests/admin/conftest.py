"""An admin app per test on a copy of one prepared database: staff accounts and a small village.

Staff: สมใจ the manager (``admin``), ผู้ใหญ่สมศักดิ์ the headman (``headman``), and an auditor.
Village: ยายสมศรี (elder), สมชาย (volunteer), มาลี (both), ผู้ใหญ่สมศักดิ์ (coordinator).
Passwords are hashed once for the whole run (scrypt is slow on purpose).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ledger.clock import BANGKOK, FakeClock
from ledger.members import register_member
from prompts_th.engines import FakeEngine
from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from tests.databases import migrated_sqlite
from wela.admin.orm import User
from wela.admin.users import create_user, session_stamp
from wela.app import create_app
from wela.bootstrap import Adapters
from wela.db import atomic, make_engine, make_sessions

PASSWORD = "ต้นมะม่วง-2569"
START = datetime(2026, 11, 21, 9, 0, tzinfo=BANGKOK)
_template: dict[str, Path] = {}


@dataclass(frozen=True)
class Village:
    somsri: int = 1
    somchai: int = 2
    malee: int = 3
    somsak: int = 4


def _prepared(tmp_path: Path) -> str:
    """A migrated database with staff and villagers, made once and copied per test."""
    if "path" not in _template:
        folder = Path(tempfile.mkdtemp(prefix="wela-admin-template-"))
        source = Path(migrated_sqlite(folder).removeprefix("sqlite:///"))
        engine = make_engine(f"sqlite:///{source}")
        clock = FakeClock(START)

        def work(s):  # noqa: ANN001, ANN202
            for username, role, name in (("admin", "manager", "สมใจ ผู้จัดการ"),
                                         ("headman", "headman", "ผู้ใหญ่สมศักดิ์"),
                                         ("auditor", "auditor", "คุณตรวจ")):
                create_user(s, username=username, role=role, password=PASSWORD, clock=clock,
                            display_name=name)
            add = lambda **f: register_member(s, clock=clock, entered_by="test",  # noqa: E731
                                              village="บ้านหนองบัว", **f)
            add(name="ยายสมศรี ใจดี", phone="081-234-5678", role="elder", moo="5",
                needs="พาไปอนามัย", health_notes="ความดันสูง")
            add(name="สมชาย รักษ์ดี", phone="089-111-2233", role="volunteer", moo="5",
                skills="clinic, errand", availability="ทุกวัน เช้า บ่าย")
            add(name="มาลี ศรีสุข", phone="089-111-4455", role="both", moo="4",
                skills="errand, visit", availability="ทุกวัน บ่าย เย็น")
            add(name="ผู้ใหญ่สมศักดิ์ นำชัย", phone="086-000-1111", role="coordinator", moo="5")

        atomic(make_sessions(engine), work)
        engine.dispose()
        _template["path"] = source
    target = tmp_path / "admin.sqlite3"
    shutil.copy(_template["path"], target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def speech() -> FakeEngine:
    return FakeEngine()


def make_app(tmp_path: Path, clock: FakeClock, notifier: FakeNotifier, speech: FakeEngine, **config):  # noqa: ANN003, ANN201
    env = Env(clock=clock, notifier=notifier, calls=FakeCallPlacer())
    settings = {"database_url": _prepared(tmp_path), "instance_path": tmp_path / "instance",
                "TESTING": True, "WTF_CSRF_ENABLED": False, **config}
    return create_app(settings, adapters=Adapters(speech_engine=speech, extra={"scheduler_env": env}),
                      clock=clock)


@pytest.fixture
def app(tmp_path, clock, notifier, speech):  # noqa: ANN001, ANN201
    """The app without CSRF checks (tests about CSRF build their own with `csrf_app`)."""
    application = make_app(tmp_path, clock, notifier, speech)
    yield application
    application.extensions["wela"].close()


@pytest.fixture
def csrf_app(tmp_path, clock, notifier, speech):  # noqa: ANN001, ANN201
    application = make_app(tmp_path, clock, notifier, speech, WTF_CSRF_ENABLED=True)
    yield application
    application.extensions["wela"].close()


@pytest.fixture
def village() -> Village:
    return Village()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


def sign_in(client, app, username: str) -> None:  # noqa: ANN001
    """Sign a test client in without the (slow) password check: what a real sign-in leaves behind."""
    w = app.extensions["wela"]
    with w.sessions() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
    now = w.clock.now().timestamp()
    with client.session_transaction() as sess:
        sess.clear()
        sess.permanent = True
        sess.update(uid=user.id, stamp=session_stamp(user), auth_at=now, seen=now)


@pytest.fixture
def manager(client, app):  # noqa: ANN001, ANN201
    sign_in(client, app, "admin")
    return client


@pytest.fixture
def headman(client, app):  # noqa: ANN001, ANN201
    sign_in(client, app, "headman")
    return client


@pytest.fixture
def auditor(client, app):  # noqa: ANN001, ANN201
    sign_in(client, app, "auditor")
    return client


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def travel(client, app, clock, **delta) -> None:  # noqa: ANN001, ANN003
    """Move the clock on, as a person who stayed signed in (a new sign-in after the long wait)."""
    clock.advance(**delta)
    with client.session_transaction() as sess:
        uid = sess["uid"]
    w = app.extensions["wela"]
    with w.sessions() as s:
        username = s.get(User, uid).username
    sign_in(client, app, username)
