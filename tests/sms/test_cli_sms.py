"""`wela sms …` as the bank manager types it: send, simulate a volunteer's reply, read the outbox."""
import json
from datetime import datetime

import pytest
from flask.cli import ScriptInfo

from ledger.clock import BANGKOK
from scheduler import offers, requests, visits
from tests.sms.conftest import SOMCHAI, add_village
from wela.app import create_app
from wela.cli import main
from wela.db import atomic


@pytest.fixture
def app(db, clock, tmp_path, monkeypatch):
    monkeypatch.delenv("WELA_SMS_GATEWAY", raising=False)
    app = create_app({"database_url": db.url, "instance_path": tmp_path / "instance",
                      "sms_gateway": "console", "bank_phone": "081-000-1234"}, clock=clock)
    yield app
    app.extensions["wela"].close()


def wela(app, *args):
    """Run `wela sms ARGS`; .stdout is the command's own output, .stderr the console gateway's texts."""
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:                      # Click 8.2 keeps stdout and stderr apart by itself
        runner = app.test_cli_runner()
    result = runner.invoke(main, ["sms", *args], obj=ScriptInfo(create_app=lambda: app))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_send_texts_a_volunteer_now_through_the_configured_gateway(app, db, clock):
    add_village(db.sessions, clock)
    out = wela(app, "send", "089-111-2233", "พรุ่งนี้ประชุมที่ศาลาค่ะ")
    assert out.exit_code == 0, out.stderr
    assert f"SMS → {SOMCHAI}: พรุ่งนี้ประชุมที่ศาลาค่ะ" in out.stderr        # the console gateway
    assert f"#1 → {SOMCHAI} [sent] (1 SMS, UCS-2) via console" in out.stdout


def test_at_night_a_text_waits_for_seven_unless_urgent(app, db, clock):
    clock.set(datetime(2026, 11, 21, 22, 0, tzinfo=BANGKOK))
    out = wela(app, "send", "089-111-2233", "ทดสอบ")
    assert "[queued]" in out.stdout and "07:00" in out.stdout
    out = wela(app, "send", "089-111-2233", "ด่วนค่ะ", "--urgent")
    assert "[sent]" in out.stdout


def test_a_bad_phone_number_is_a_thai_error_not_a_trace(app):
    out = wela(app, "send", "12", "ทดสอบ")
    assert out.exit_code == 1 and "เบอร์โทรศัพท์ไม่ถูกต้อง" in out.stderr


def test_the_demo_path_offer_simulated_yes_done_and_the_elders_word_pays(app, db, clock, env):
    village = add_village(db.sessions, clock)
    req = atomic(db.sessions, lambda s: requests.request_help(
        s, env, member_id=village.somsri, category="clinic", when="tomorrow", part="morning", minutes=120))
    atomic(db.sessions, lambda s: offers.match_open_requests(s, env))
    listing = json.loads(wela(app, "outbox", "--json").stdout)
    assert [(r["to"], r["purpose"], r["status"]) for r in listing] == [(SOMCHAI, "offer", "queued")]
    assert {"to", "body", "purpose", "status", "segments", "request", "created_at"} <= set(listing[0])

    out = wela(app, "simulate", "089-111-2233", "รับ")
    assert out.exit_code == 0 and "(ไม่มีข้อความตอบกลับ / no reply)" in out.stdout
    assert "assigned: นัดแล้ว ยายสมศรี ไปหาหมอ" in out.stdout
    clock.advance(hours=26)
    out = wela(app, "simulate", "089-111-2233", "เสร็จ")
    assert out.stdout.startswith("บันทึกแล้วค่ะ ช่วยยายสมศรีเสร็จ 2 ชั่วโมง รอผู้รับยืนยัน")
    atomic(db.sessions, lambda s: visits.confirm_service(s, env, request_id=req.id, received=True, actor="ivr"))

    listing = json.loads(wela(app, "outbox", "--json").stdout)
    assert [r["purpose"] for r in listing] == ["paid", "assigned", "offer"]
    assert listing[0]["body"] == "ยายสมศรียืนยันแล้ว คุณได้รับเวลา 2 ชั่วโมง ขอบคุณค่ะ"
    out = wela(app, "flush", "--json")
    assert json.loads(out.stdout) == {"sent": 3}
    assert {r["status"] for r in json.loads(wela(app, "outbox", "--json", "--phone", "089-111-2233").stdout)} \
        == {"sent"}
    inbox = json.loads(wela(app, "inbox", "--json").stdout)
    assert [(m["body"], m["command"]) for m in inbox] == [("เสร็จ", "Done"), ("รับ", "Accept")]


def test_the_outbox_lists_as_a_table_too(app, db, clock):
    add_village(db.sessions, clock)
    wela(app, "send", "089-111-2233", "ทดสอบ", "--urgent")
    out = wela(app, "outbox")
    assert out.exit_code == 0 and "status" in out.stdout.splitlines()[0] and "ทดสอบ" in out.stdout
    assert "nothing due" in wela(app, "flush").stdout
