"""Ledger pages: every form goes through ledger.service with its own key; mistakes are reversed, never edited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ledger.orm import MonthClose, Transfer
from ledger.service import balance, pool_balance
from ledger.settings import load_policy
from tests.admin.conftest import text_of
from wela.admin.orm import AuditEntry


def key_of(page: str) -> str:
    return re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page).group(1)


def form(client, path: str, **fields) -> dict:  # noqa: ANN001, ANN003
    """The form's fields as the browser would send them, with the key the page was drawn with."""
    return {"key": key_of(text_of(client.get(path))), "hours": "1", "minutes": "0", **fields}


def transfers(app) -> list[Transfer]:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return list(s.scalars(select(Transfer).order_by(Transfer.id)))


def minutes(app, member_id: int) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return balance(s, member_id).balance


def test_the_journal_lists_the_starting_credits(manager):
    page = text_of(manager.get("/ledger"))
    assert "เครดิตเริ่มต้น" in page and "ธนาคาร (เวลาเริ่มต้น)" in page and "ยายสมศรี ใจดี" in page
    assert "รายการทั้งหมด 4 รายการ" in page


def test_yai_somsri_pays_somchai_an_hour_and_a_half(manager, app):
    data = form(manager, "/ledger/transfer", payer="1 ยายสมศรี ใจดี", payee="089-111-2233", hours="1",
                minutes="30", reason="พาไปอนามัย", for_elder="y")
    response = manager.post("/ledger/transfer", data=data)
    assert response.status_code == 302
    assert "บันทึกรายการเลขที่ 5 แล้ว: 1 ชั่วโมง 30 นาที" in text_of(manager.get("/ledger"))
    assert minutes(app, 1) == 30 and minutes(app, 2) == 210
    last = transfers(app)[-1]
    assert (last.kind, last.amount, last.entered_by, last.on_behalf_of_id, last.reason) == \
        ("service", 90, "web:admin", 1, "พาไปอนามัย")
    with app.extensions["wela"].sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "ledger:transfer"))
    assert entry.target == "transfer:5" and entry.detail["minutes"] == 90


def test_a_form_sent_twice_pays_once(manager, app):
    data = form(manager, "/ledger/transfer", payer="1", payee="2")
    manager.post("/ledger/transfer", data=data)
    again = manager.post("/ledger/transfer", data=data, follow_redirects=True)
    assert "รายการนี้บันทึกไว้แล้ว (ส่งแบบฟอร์มซ้ำ)" in text_of(again)
    assert len(transfers(app)) == 5 and minutes(app, 2) == 180
    with app.extensions["wela"].sessions() as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "ledger:transfer")) == 1


@pytest.mark.parametrize("change, message", [
    ({"minutes": "-30"}, "นาทีต้องอยู่ระหว่าง 0 ถึง 59"),
    ({"hours": "-1"}, "ชั่วโมงต้องไม่ติดลบ"),
    ({"hours": "0", "minutes": "0"}, "จำนวนเวลาต้องมากกว่าศูนย์"),
    ({"hours": "หนึ่ง"}, "กรุณาใส่ตัวเลขจำนวนเต็ม"),
    ({"hours": "3"}, "เวลาคงเหลือไม่พอ มีอยู่ 120 นาที ต้องใช้ 180 นาที"),
    ({"payee": "1"}, "โอนเวลาให้ตัวเองไม่ได้"),
    ({"payee": "081-2"}, "ไม่พบสมาชิก"),
    ({"key": ""}, "แบบฟอร์มไม่สมบูรณ์"),
    ({"key": "not-a-key"}, "แบบฟอร์มไม่สมบูรณ์ กรุณาโหลดหน้าใหม่"),
    ({"on": "2026-12-01"}, "ลงรายการล่วงหน้าไม่ได้"),
])
def test_a_bad_payment_says_why_in_thai_and_nothing_moves(manager, app, change, message):
    data = {**form(manager, "/ledger/transfer", payer="1", payee="2"), **change}
    response = manager.post("/ledger/transfer", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert len(transfers(app)) == 4 and minutes(app, 1) == 120


def test_a_refused_form_keeps_its_key_so_the_corrected_one_pays_once(manager, app):
    data = form(manager, "/ledger/transfer", payer="1", payee="2", hours="3")
    refused = text_of(manager.post("/ledger/transfer", data=data))
    assert key_of(refused) == data["key"]
    manager.post("/ledger/transfer", data={**data, "hours": "1"})
    manager.post("/ledger/transfer", data={**data, "hours": "1"})
    assert len(transfers(app)) == 5


def test_donation_to_the_pool_then_a_grant_from_it(manager, app):
    manager.post("/ledger/donate", data=form(manager, "/ledger/donate", donor="2", hours="0", minutes="45"))
    with app.extensions["wela"].sessions() as s:
        assert pool_balance(s) == 45
    manager.post("/ledger/grant", data=form(manager, "/ledger/grant", member="1", hours="0", minutes="30",
                                            reason="ยายอยู่คนเดียว"))
    with app.extensions["wela"].sessions() as s:
        assert pool_balance(s) == 15
    assert minutes(app, 1) == 150 and minutes(app, 2) == 75
    too_much = manager.post("/ledger/grant", data=form(manager, "/ledger/grant", member="1"))
    assert too_much.status_code == 400 and "เวลาคงเหลือไม่พอ" in text_of(too_much)


def test_a_gift_to_a_named_member(manager, app):
    manager.post("/ledger/donate", data=form(manager, "/ledger/donate", donor="3", to_member="1"))
    assert minutes(app, 3) == 60 and minutes(app, 1) == 180


def test_a_loan_and_its_repayment(manager, app):
    manager.post("/ledger/loan", data=form(manager, "/ledger/loan", member="1", action="borrow", hours="2"))
    with app.extensions["wela"].sessions() as s:
        assert balance(s, 1).loan_owed == 120
    manager.post("/ledger/loan", data=form(manager, "/ledger/loan", member="1", action="repay"))
    with app.extensions["wela"].sessions() as s:
        assert balance(s, 1).loan_owed == 60
    over = manager.post("/ledger/loan", data=form(manager, "/ledger/loan", member="1", action="borrow", hours="5"))
    assert over.status_code == 400 and "ยืม" in text_of(over)


def test_a_mistake_is_reversed_by_a_new_entry_never_edited(manager, app):
    manager.post("/ledger/transfer", data=form(manager, "/ledger/transfer", payer="1", payee="2"))
    page = text_of(manager.get("/ledger/5/reverse"))
    assert "กลับรายการเลขที่ 5" in page and "รายการเดิมจะไม่ถูกลบหรือแก้ไข" in page
    no_reason = manager.post("/ledger/5/reverse", data={"key": key_of(page), "reason": ""})
    assert no_reason.status_code == 400 and "กรุณากรอกช่องนี้" in text_of(no_reason)
    done = manager.post("/ledger/5/reverse", data={"key": key_of(page), "reason": "บันทึกผิดคน"})
    assert done.status_code == 302
    original, reversal = transfers(app)[4:]
    assert (original.amount, original.kind) == (60, "service")            # untouched
    assert reversal.reverses_id == 5 and reversal.kind == "reversal"
    assert minutes(app, 1) == 120 and minutes(app, 2) == 120
    assert "กลับรายการแล้ว #6" in text_of(manager.get("/ledger"))
    again = text_of(manager.get("/ledger/5/reverse"))
    assert "รายการนี้ถูกกลับรายการไปแล้ว" in again
    twice = manager.post("/ledger/5/reverse", data={"key": "f" * 32, "reason": "อีกครั้ง"})
    assert twice.status_code == 400 and "ถูกกลับรายการไปแล้ว" in text_of(twice)
    assert manager.get("/ledger/99/reverse").status_code == 404


def test_a_closed_month_takes_no_more_entries(manager, app):
    page = text_of(manager.get("/ledger/close-month"))
    assert "ตุลาคม 2569" in page and "พฤศจิกายน 2569" not in page.split("<select")[1].split("</select>")[0]
    assert manager.post("/ledger/close-month", data={"month": "2026-10"}).status_code == 302
    with app.extensions["wela"].sessions() as s:
        assert s.get(MonthClose, (2026, 10)).closed_by == "web:admin"
    backdated = manager.post("/ledger/transfer", data=form(manager, "/ledger/transfer", payer="1", payee="2",
                                                           on="2026-10-15"))
    assert backdated.status_code == 400 and "ปิดบัญชีแล้ว" in text_of(backdated)
    after = text_of(manager.get("/ledger/close-month"))
    assert "ตุลาคม 2569" not in after.split("<select")[1].split("</select>")[0]
    assert "ตุลาคม 2569 · ปิดเมื่อ 21 พ.ย. 69 09:00 · web:admin" in after
    bogus = manager.post("/ledger/close-month", data={"month": "2026-11"})
    assert bogus.status_code == 400


def test_the_bank_settings_are_changed_from_the_page(manager, app):
    page = text_of(manager.get("/ledger/settings"))
    assert 'value="2400"' in page
    data = {"starting_minutes": "60", "loan_limit_minutes": "300", "loan_repay_percent": "50",
            "balance_cap_minutes": "1800"}
    assert manager.post("/ledger/settings", data=data).status_code == 302
    with app.extensions["wela"].sessions() as s:
        assert load_policy(s).balance_cap_minutes == 1800
    bad = manager.post("/ledger/settings", data={**data, "starting_minutes": "5000"})
    assert bad.status_code == 400 and "ค่าตั้งไม่ถูกต้อง" in text_of(bad)
    negative = manager.post("/ledger/settings", data={**data, "loan_limit_minutes": "-5"})
    assert negative.status_code == 400 and "ต้องไม่ติดลบ" in text_of(negative)


def test_the_books_check_out_after_a_busy_morning(manager):
    manager.post("/ledger/transfer", data=form(manager, "/ledger/transfer", payer="1", payee="2"))
    manager.post("/ledger/donate", data=form(manager, "/ledger/donate", donor="2"))
    assert "บัญชีถูกต้องทุกข้อ" in text_of(manager.get("/ledger/check"))


def test_the_journal_filters_by_member_and_kind(manager):
    manager.post("/ledger/transfer", data=form(manager, "/ledger/transfer", payer="1", payee="2"))
    page = text_of(manager.get("/ledger", query_string={"member": "สมชาย", "kind": "service"}))
    table = page.split("<tbody>")[1]
    assert "ค่าบริการ" in table and table.count("<tr") == 1 and "เครดิตเริ่มต้น" not in table
    unknown = text_of(manager.get("/ledger", query_string={"member": "ไม่มีใคร"}))
    assert "ไม่พบสมาชิก" in unknown
