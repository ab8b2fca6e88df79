"""Members pages: search in every Thai way, profile and statement, register, edit, pause, import, export."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from ledger.orm import Member
from tests.admin.conftest import text_of
from wela.admin.orm import AuditEntry

NEW = {"name": "ยายแดง มีสุข", "phone": "081-999-0000", "role": "elder", "village": "บ้านหนองบัว",
       "moo": "5", "birth_year": "2490", "skills": [], "availability": "", "needs": "ไปหาหมอฟัน",
       "health_notes": "เบาหวาน", "speak_slowly": "y", "consent": "y"}


def member(app, **where):  # noqa: ANN001, ANN003, ANN201
    with app.extensions["wela"].sessions() as s:
        return s.scalar(select(Member).filter_by(**where))


def how_many(app) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return s.scalar(select(func.count(Member.id)))


def audited(app, action: str) -> list[AuditEntry]:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize("query", ["สมศรี", "0812345678", "081-234-5678", "081 234 5678", "+66812345678",
                                   "๐๘๑๒๓๔๕๖๗๘", "1", "#1", "M1", "5678"])
def test_yai_somsri_is_found_by_name_any_phone_format_or_number(manager, query):
    page = text_of(manager.get("/members", query_string={"q": query}))
    assert "ยายสมศรี ใจดี" in page
    if query not in ("5678",):
        assert "สมชาย" not in page


def test_the_list_shows_balance_role_and_status(manager):
    page = text_of(manager.get("/members"))
    assert "2 ชั่วโมง" in page and "ผู้สูงอายุ" in page and "จิตอาสา" in page
    assert "ไม่พบสมาชิก" in text_of(manager.get("/members?q=ไม่มีใครชื่อนี้"))


def test_the_profile_shows_balance_history_and_statement_months(manager):
    page = text_of(manager.get("/members/1"))
    assert "ยายสมศรี ใจดี" in page
    assert "เครดิตเริ่มต้น" in page and "+2 ชั่วโมง" in page
    assert "พฤศจิกายน 2569" in page and "/members/1/statement?month=2026-11" in page


def test_the_monthly_statement_is_a_printable_page_in_the_buddhist_era(manager):
    response = manager.get("/members/1/statement?month=2026-11")
    page = text_of(response)
    assert response.status_code == 200
    assert "ใบแจ้งยอดเวลา" in page and "พฤศจิกายน 2569" in page
    assert "ยอดยกมา" in page and "ยอดคงเหลือสิ้นเดือน" in page and "21 พ.ย. 69" in page
    assert "data-print" in page


@pytest.mark.parametrize("month", ["2026-13", "1999-01", "later"])
def test_a_statement_for_a_nonsense_month_is_not_found_or_this_month(manager, month):
    response = manager.get(f"/members/1/statement?month={month}")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "พฤศจิกายน 2569" in text_of(response)


def test_the_manager_registers_a_member_with_starting_credits(manager, app):
    response = manager.post("/members/new", data=NEW)
    assert response.status_code == 302
    yai = member(app, phone="+66819990000")
    assert response.headers["Location"] == f"/members/{yai.id}"
    assert yai.name == "ยายแดง มีสุข" and yai.birth_year == 1947 and yai.speak_slowly
    assert yai.consent_by == "สมใจ ผู้จัดการ" and yai.consent_on is not None
    page = text_of(manager.get(response.headers["Location"]))
    assert "ลงทะเบียน ยายแดง มีสุข แล้ว" in page and "2 ชั่วโมง" in page
    [entry] = audited(app, "member:register")
    assert entry.username == "admin" and entry.target == f"member:{yai.id}"


@pytest.mark.parametrize("change, field_error", [
    ({"phone": "12345"}, "เบอร์โทรศัพท์ไม่ถูกต้อง: 12345"),
    ({"phone": "081-234-5678"}, "มีในทะเบียนแล้ว"),
    ({"phone": ""}, "กรุณากรอกช่องนี้"),
    ({"name": ""}, "กรุณากรอกช่องนี้"),
    ({"birth_year": "สองพัน"}, "ปีเกิดไม่ถูกต้อง"),
    ({"availability": "วันไหนก็ได้"}, "ไม่เข้าใจวัน"),
    ({"role": "king"}, "กรุณาเลือกจากรายการ"),
    ({"consent": ""}, "ต้องได้รับความยินยอมจากสมาชิกก่อนบันทึกข้อมูล"),
])
def test_a_bad_registration_says_why_in_thai_and_saves_nothing(manager, app, change, field_error):
    response = manager.post("/members/new", data={**NEW, **change})
    assert response.status_code == 400
    page = text_of(response)
    assert field_error in page
    assert 'aria-invalid="true"' in page or "msg-error" in page
    assert how_many(app) == 4 and not audited(app, "member:register")


def test_the_manager_edits_a_member_and_the_change_is_logged(manager, app):
    form = text_of(manager.get("/members/2/edit"))
    assert 'value="089-111-2233"' in form and 'value="สมชาย รักษ์ดี"' in form
    data = {**NEW, "name": "สมชาย รักษ์ดีมาก", "phone": "089-111-2233", "role": "volunteer",
            "skills": ["clinic", "home"], "availability": "จ-ศ เช้า", "health_notes": ""}
    response = manager.post("/members/2/edit", data=data)
    assert response.status_code == 302
    somchai = member(app, id=2)
    assert somchai.name == "สมชาย รักษ์ดีมาก" and somchai.skills == ["clinic", "home"]
    assert somchai.availability == {d: ["morning"] for d in ("mon", "tue", "wed", "thu", "fri")}
    [entry] = audited(app, "member:edit")
    assert "name" in entry.detail["fields"]


def test_an_edit_with_another_members_phone_is_refused(manager, app):
    response = manager.post("/members/2/edit", data={**NEW, "phone": "081-234-5678", "role": "volunteer"})
    assert response.status_code == 400 and "เป็นของสมาชิกคนอื่นแล้ว" in text_of(response)
    assert member(app, id=2).phone == "+66891112233"


def test_pause_for_some_days_and_resume(manager, app):
    assert manager.post("/members/2/pause", data={"days": "7"}).status_code == 302
    somchai = member(app, id=2)
    assert somchai.status == "paused" and str(somchai.paused_until) == "2026-11-28"
    assert "พัก" in text_of(manager.get("/members/2"))
    assert manager.post("/members/2/resume").status_code == 302
    assert member(app, id=2).status == "active"
    assert [e.action for e in audited(app, "member:pause") + audited(app, "member:resume")] == \
        ["member:pause", "member:resume"]


@pytest.mark.parametrize("days", ["-3", "0", "1000", "สาม"])
def test_a_pause_with_a_nonsense_number_of_days_changes_nothing(manager, app, days):
    response = manager.post("/members/2/pause", data={"days": days}, follow_redirects=True)
    assert "จำนวนวันไม่ถูกต้อง" in text_of(response)
    assert member(app, id=2).status == "active"


# --- import ---------------------------------------------------------------------------------

def register_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["ชื่อ", "เบอร์โทร", "บทบาท", "หมู่บ้าน", "หมู่"], *rows])
    return ("\ufeff" + out.getvalue()).encode()


def upload(client, data: bytes, name: str):  # noqa: ANN001, ANN201
    return client.post("/members/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_clean_csv_is_checked_first_then_imported_on_the_second_click(manager, app):
    data = register_csv([["ยายบัว", "081-555-1234", "ผู้สูงอายุ", "บ้านหนองบัว", "4"],
                         ["น้องเก่ง", "089-777-1234", "จิตอาสา", "บ้านหนองบัว", "๕"]])
    checked = upload(manager, data, "ทะเบียน.csv")
    page = text_of(checked)
    assert checked.status_code == 200 and "ตรวจแล้ว 2 แถว ไม่มีปัญหา" in page
    assert how_many(app) == 4                                   # nothing yet
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = manager.post("/members/import/commit", data={"token": token})
    assert done.status_code == 302 and how_many(app) == 6
    assert "นำเข้าสมาชิก 2 คนแล้ว" in text_of(manager.get(done.headers["Location"]))
    assert member(app, phone="+66897771234").moo == 5
    [entry] = audited(app, "member:import")
    assert entry.detail["imported"] == 2
    again = manager.post("/members/import/commit", data={"token": token}, follow_redirects=True)
    assert "ไม่พบไฟล์ที่ตรวจไว้" in text_of(again) and how_many(app) == 6


def test_an_xlsx_register_imports_too(manager, app):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ชื่อ-สกุล", "โทรศัพท์", "ประเภท"])
    book.active.append(["ตาแก้ว", "0815551111", "ผู้รับบริการ"])
    buf = io.BytesIO()
    book.save(buf)
    page = text_of(upload(manager, buf.getvalue(), "members.xlsx"))
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert token.endswith(".xlsx")
    manager.post("/members/import/commit", data={"token": token})
    assert member(app, phone="+66815551111").name == "ตาแก้ว"


def test_a_register_with_bad_rows_lists_every_problem_and_imports_nothing(manager, app):
    data = register_csv([["ยายบัว", "081-555-1234", "ผู้สูงอายุ", "", ""],
                         ["", "12", "พระราชา", "", ""],
                         ["ลุงมี", "081-234-5678", "จิตอาสา", "", ""]])
    response = upload(manager, data, "ทะเบียน.csv")
    page = text_of(response)
    assert response.status_code == 400
    assert "ยังไม่ได้นำเข้า" in page
    assert "ต้องกรอกชื่อ" in page and "ไม่รู้จักบทบาท" in page and "เบอร์นี้มีในทะเบียนแล้ว" in page
    assert 'name="token"' not in page and how_many(app) == 4


@pytest.mark.parametrize("token", ["../../etc/passwd", "x.csv", ""])
def test_a_forged_import_token_imports_nothing(manager, app, token):
    response = manager.post("/members/import/commit", data={"token": token}, follow_redirects=True)
    assert "ไม่พบไฟล์ที่ตรวจไว้" in text_of(response) and how_many(app) == 4


@pytest.mark.parametrize("fmt, kind", [("csv", "text/csv"), ("xlsx", "spreadsheetml")])
def test_the_register_exports_and_the_export_is_logged(manager, app, fmt, kind):
    response = manager.get(f"/members/export.{fmt}")
    assert response.status_code == 200 and kind in response.headers["Content-Type"]
    assert "attachment" in response.headers["Content-Disposition"]
    if fmt == "csv":
        assert "ยายสมศรี ใจดี" in response.get_data().decode("utf-8-sig")
    assert audited(app, "member:export")


def test_an_elder_gets_a_four_digit_code_that_is_never_logged(manager, app):
    from ledger.members import check_pin

    assert manager.post("/members/1/pin", data={"pin": "๑๒๓๔"}).status_code == 302
    assert check_pin(member(app, id=1), "1234")
    [entry] = audited(app, "member:pin")
    assert "1234" not in str(entry.detail) and "๑๒๓๔" not in str(entry.detail)
    assert "ตั้งไว้แล้ว" in text_of(manager.get("/members/1"))
    wrong = manager.post("/members/1/pin", data={"pin": "12a4"}, follow_redirects=True)
    assert "รหัสต้องเป็นตัวเลข 4 หลัก" in text_of(wrong)
    assert check_pin(member(app, id=1), "1234")
