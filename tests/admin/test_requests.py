"""The requests board: ยายสมศรี needs a ride to the clinic; the manager assigns สมชาย, confirms, resolves."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.service import balance
from scheduler.orm import HelpRequest
from tests.admin.conftest import text_of, travel
from wela.admin.orm import AuditEntry

CLINIC = {"member": "1 ยายสมศรี ใจดี", "category": "clinic", "when": "tomorrow", "part": "morning",
          "minutes": "60", "notes": "ไปอนามัย ตรวจความดัน"}


def request_row(app, request_id: int = 1) -> HelpRequest:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return s.get(HelpRequest, request_id)


def minutes_of(app, member_id: int) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return balance(s, member_id).balance


@pytest.fixture
def asked(manager, app):  # noqa: ANN001, ANN201
    """ยายสมศรี's request, entered by the manager: request 1, open."""
    response = manager.post("/requests/new", data=CLINIC)
    assert response.status_code == 302, text_of(response)
    return manager


@pytest.fixture
def assigned(asked, app):  # noqa: ANN001, ANN201
    response = asked.post("/requests/1/assign", data={"volunteer": "2"})
    assert response.status_code == 302, text_of(response)
    return asked


def test_a_request_entered_for_an_elder_lands_on_the_board(asked, app):
    req = request_row(app)
    assert req.channel == "web" and req.state == "open" and req.member_id == 1 and req.minutes == 60
    board = text_of(asked.get("/requests"))
    assert "#1 ยายสมศรี ใจดี" in board and "พาไปหาหมอ" in board and "22 พ.ย. 69" in board
    with app.extensions["wela"].sessions() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.target == "request:1")) == "request:create"


def test_an_elder_s_voice_message_can_be_heard_from_the_request_page(asked, app):
    with app.extensions["wela"].sessions.begin() as s:
        s.get(HelpRequest, 1).voice_message_url = "https://api.twilio.com/Recordings/RE7"
    page = text_of(asked.get("/requests/1"))
    assert "ข้อความเสียง" in page and '<audio controls preload="none" src="https://api.twilio.com/Recordings/RE7">' in page


def test_the_request_page_suggests_volunteers_with_a_one_line_reason(asked):
    page = text_of(asked.get("/requests/1"))
    assert "มอบหมายให้ สมชาย รักษ์ดี" in page
    reason = page.split("สมชาย รักษ์ดี</strong><br><span class=\"reason-text\">")[1].split("</span>")[0]
    assert reason.strip() and "ผู้ขอ" not in reason


def test_assigning_by_hand_tells_the_volunteer_and_holds_the_credits(assigned, app, notifier):
    req = request_row(app)
    assert req.state == "assigned" and req.volunteer_id == 2 and req.hold_id is not None
    assert [m.template for m in notifier.to(2)] == ["sms.assigned"]
    page = text_of(assigned.get("/requests/1"))
    assert "มีผู้ช่วยแล้ว" in page and "ยกเลิกคำขอ" in page


def test_the_manager_confirms_for_the_elder_after_the_visit_and_the_volunteer_is_paid(assigned, app, clock):
    early = assigned.post("/requests/1/confirm", data={"received": "yes"})
    assert early.status_code == 400 and "ยังไม่ถึงเวลานัด" in text_of(early)
    travel(assigned, app, clock, days=1, hours=2)
    response = assigned.post("/requests/1/confirm", data={"received": "yes", "minutes": "90"})
    assert response.status_code == 302
    req = request_row(app)
    assert req.state == "paid" and req.paid_minutes == 90
    assert minutes_of(app, 2) == 120 + 90 and minutes_of(app, 1) == 120 - 90
    page = text_of(assigned.get("/requests/1"))
    assert "(หน้าเว็บ · admin)" in page and "web:admin" not in page
    cards = page.split('<div class="grid2">')[1].split(">ประวัติ<")[0]
    assert cards.count("<section") == 2                          # the facts and the history: no empty box


@pytest.mark.parametrize("actor, shown", [
    ("system", "ระบบ"), ("ivr:CA279269f7245c4c92b4f537e5e21a8b1e", "ทางโทรศัพท์"), ("sms:2", "SMS · สมชาย รักษ์ดี"),
    ("volunteer:2", "สมชาย รักษ์ดี"), ("cli:somjai:for:2", "คำสั่งในเครื่อง · somjai แทน สมชาย รักษ์ดี"),
    ("web", "หน้าเว็บ"), ("sms:99", "sms:99"), ("importer-v2", "importer-v2")])
def test_the_history_says_who_in_words_not_tags(actor, shown):
    from wela.admin.views.requests import who

    assert who(actor, {1: "ยายสมศรี ใจดี", 2: "สมชาย รักษ์ดี"}) == shown


def test_a_dispute_is_resolved_by_paying_part_of_the_time(assigned, app, clock):
    travel(assigned, app, clock, days=1, hours=2)
    assigned.post("/requests/1/confirm", data={"received": "no"})
    assert request_row(app).state == "disputed"
    assert "ตัดสินข้อโต้แย้ง" in text_of(assigned.get("/requests/1"))
    missing = assigned.post("/requests/1/resolve", data={"decision": "pay"})
    assert missing.status_code == 400 and "กรุณาใส่จำนวนนาทีที่จะจ่าย" in text_of(missing)
    assert assigned.post("/requests/1/resolve", data={"decision": "pay", "minutes": "45",
                                                      "note": "ช่วยครึ่งทาง"}).status_code == 302
    assert request_row(app).state == "paid" and minutes_of(app, 2) == 165


def test_a_dispute_is_resolved_as_a_no_show_and_the_elder_keeps_the_credits(assigned, app, clock):
    travel(assigned, app, clock, days=1, hours=2)
    assigned.post("/requests/1/confirm", data={"received": "no"})
    assert assigned.post("/requests/1/resolve", data={"decision": "no_show"}).status_code == 302
    assert request_row(app).state == "no_show"
    with app.extensions["wela"].sessions() as s:
        assert balance(s, 1).available == 120


def test_cancelling_releases_the_hold_and_tells_the_volunteer(assigned, app, notifier):
    response = assigned.post("/requests/1/cancel", data={"reason": "ลูกสาวพาไปเอง"})
    assert response.status_code == 302
    assert request_row(app).state == "cancelled"
    assert "sms.cancelled" in [m.template for m in notifier.to(2)]
    page = text_of(assigned.get("/requests/1"))
    assert "ลูกสาวพาไปเอง" in page and 'action="/requests/1/cancel"' not in page


@pytest.mark.parametrize("volunteer, message", [
    ("1", "ผู้ขอช่วยเหลือเป็นผู้ช่วยให้ตัวเองไม่ได้"),
    ("999", "ไม่พบสมาชิกเลขที่ 999"),
    ("", "กรุณากรอกช่องนี้"),
    ("089-000-0000", "ไม่พบสมาชิกเบอร์"),
])
def test_a_wrong_helper_is_refused_in_thai(asked, app, volunteer, message):
    response = asked.post("/requests/1/assign", data={"volunteer": volunteer})
    assert response.status_code == 400 and message in text_of(response)
    assert request_row(app).state == "open"


def test_a_finished_request_cannot_be_assigned_again(assigned):
    response = assigned.post("/requests/1/assign", data={"volunteer": "3"})
    assert response.status_code == 400 and "มีผู้ช่วยแล้วหรือจบไปแล้ว" in text_of(response)


@pytest.mark.parametrize("change, message", [
    ({"minutes": "-30"}, "ใส่ได้ 15 ถึง 480 นาที"),
    ({"minutes": "สิบ"}, "กรุณาใส่ตัวเลขจำนวนเต็ม"),
    ({"when": "date"}, "กรุณาระบุวันที่"),
    ({"when": "date", "on": "2026-11-01"}, "วันที่ผ่านไปแล้ว"),
    ({"member": "ไม่มีใครชื่อนี้"}, "ไม่พบสมาชิก"),
    ({"category": "massage"}, "กรุณาเลือกจากรายการ"),
])
def test_a_bad_new_request_is_refused_in_thai_and_nothing_is_saved(manager, app, change, message):
    response = manager.post("/requests/new", data={**CLINIC, **change})
    assert response.status_code == 400 and message in text_of(response)
    assert request_row(app) is None


def test_an_unknown_request_is_404(manager):
    assert manager.get("/requests/77").status_code == 404


def test_the_auditor_reads_the_board_but_sees_no_buttons(asked, app):
    from tests.admin.conftest import sign_in

    sign_in(asked, app, "auditor")
    page = text_of(asked.get("/requests/1"))
    assert "ยายสมศรี" in page and "มอบหมายผู้ช่วย" not in page
    assert asked.post("/requests/1/assign", data={"volunteer": "2"}).status_code == 403
