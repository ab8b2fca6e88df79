"""The same pages on PostgreSQL (a district's database): a manager's morning, end to end."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ledger.members import register_member
from ledger.orm import Transfer
from prompts_th.engines import FakeEngine
from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from tests.admin.conftest import sign_in, text_of
from tests.databases import drop_postgres, fresh_postgres
from wela.admin.orm import AuditEntry
from wela.admin.users import create_user
from wela.app import create_app
from wela.bootstrap import Adapters
from wela.db import atomic

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path, clock):  # noqa: ANN001, ANN201
    url = fresh_postgres()
    env = Env(clock=clock, notifier=FakeNotifier(), calls=FakeCallPlacer())
    app = create_app({"database_url": url, "instance_path": tmp_path, "TESTING": True,
                      "WTF_CSRF_ENABLED": False},
                     adapters=Adapters(speech_engine=FakeEngine(), extra={"scheduler_env": env}), clock=clock)

    def village(s):  # noqa: ANN001, ANN202
        create_user(s, username="admin", role="manager", password="ต้นมะม่วง-2569", clock=clock)
        register_member(s, clock=clock, entered_by="test", name="ยายสมศรี", phone="081-234-5678", role="elder")
        register_member(s, clock=clock, entered_by="test", name="สมชาย", phone="089-111-2233", role="volunteer",
                        skills="clinic", availability="ทุกวัน เช้า บ่าย")

    atomic(app.extensions["wela"].sessions, village)
    yield app
    app.extensions["wela"].close()
    drop_postgres(url)


def test_a_managers_morning_on_postgresql(pg_app):
    client = pg_app.test_client()
    sign_in(client, pg_app, "admin")
    assert client.post("/members/new", data={"name": "ยายแดง", "phone": "081-999-0000", "role": "elder",
                                             "consent": "y"}).status_code == 302
    assert "ยายแดง" in text_of(client.get("/members?q=0819990000"))
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', text_of(client.get("/ledger/transfer"))).group(1)
    data = {"key": key, "payer": "1", "payee": "2", "hours": "1", "minutes": "0"}
    client.post("/ledger/transfer", data=data)
    client.post("/ledger/transfer", data=data)                      # sent twice, paid once
    client.post("/requests/new", data={"member": "1", "category": "clinic", "when": "tomorrow",
                                       "part": "morning", "minutes": "60"})
    assert client.post("/requests/1/assign", data={"volunteer": "2"}).status_code == 302
    assert client.post("/ledger/close-month", data={"month": "2026-10"}).status_code == 302
    for path in ("/", "/members/1", "/members/1/statement", "/requests", "/requests/1", "/ledger",
                 "/ledger/check", "/staff/audit?action=ledger", "/trouble/sms", "/trouble/calls"):
        assert client.get(path).status_code == 200, path
    assert "บัญชีถูกต้องทุกข้อ" in text_of(client.get("/ledger/check"))
    with pg_app.extensions["wela"].sessions() as s:
        assert len(s.scalars(select(Transfer).where(Transfer.kind == "service")).all()) == 1
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"member:register", "ledger:transfer", "request:create", "request:assign",
            "ledger:close_month"} <= actions
