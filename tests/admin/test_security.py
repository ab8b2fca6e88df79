"""Who may open what, CSRF, session fixation, escaping, oversized and wrong uploads, headers, privacy."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from ledger.orm import Member
from tests.admin.conftest import PASSWORD, sign_in, text_of
from wela.admin.orm import LoginAttempt
from wela.admin.security import PERMISSIONS, PUBLIC_ENDPOINTS

AREAS = ("auth", "dashboard", "members", "requests", "ledger", "announcements", "trouble", "staff")
URL_VALUES = {"member_id": 1, "request_id": 1, "transfer_id": 1, "announcement_id": 1, "user_id": 2,
              "fmt": "csv", "code": "en", "callback_id": 1, "registration_id": 1, "outcome": "dropped"}


def admin_rules(app):  # noqa: ANN001, ANN201
    return [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in AREAS]


def members(app) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return s.scalar(select(func.count(Member.id)))


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


# --- permissions: every route, every role ------------------------------------------------------

def test_every_admin_route_names_its_permission_or_is_public(app):
    for rule in admin_rules(app):
        view = app.view_functions[rule.endpoint]
        assert rule.endpoint in PUBLIC_ENDPOINTS | {"auth.logout"} or \
            getattr(view, "permission", None) in PERMISSIONS, rule.endpoint


def _cases():  # noqa: ANN202
    endpoints = ["dashboard.index", "members.index", "members.profile", "members.member_statement",
                 "members.new", "members.edit", "members.pause", "members.resume", "members.import_file",
                 "members.import_commit", "members.export", "requests.board", "requests.new",
                 "requests.detail", "requests.assign", "requests.cancel", "requests.resolve",
                 "requests.confirm", "ledger.journal", "ledger.transfer", "ledger.donate", "ledger.grant",
                 "ledger.loan", "ledger.reverse", "ledger.close_month", "ledger.settings", "ledger.check",
                 "announcements.index", "announcements.new", "announcements.detail", "announcements.audio",
                 "announcements.download", "trouble.sms_outbox", "trouble.sms_inbox", "trouble.calls", "trouble.callback_done",
                 "trouble.registration_settled", "staff.users",
                 "staff.toggle_active", "staff.reset_password", "staff.audit_trail", "auth.password",
                 "members.pin"]
    return [(role, endpoint) for role in ("manager", "headman", "auditor") for endpoint in endpoints]


USERNAMES = {"manager": "admin", "headman": "headman", "auditor": "auditor"}


@pytest.mark.parametrize("role, endpoint", _cases())
def test_a_role_gets_403_exactly_where_its_permission_is_missing(app, client, role, endpoint):
    rule = next(r for r in admin_rules(app) if r.endpoint == endpoint)
    view = app.view_functions[endpoint]
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **{k: v for k, v in URL_VALUES.items() if k in rule.arguments})
    sign_in(client, app, USERNAMES[role])
    method = "GET" if "GET" in rule.methods else "POST"
    response = client.open(url, method=method)
    if role in PERMISSIONS[view.permission]:
        assert response.status_code != 403
        assert not response.headers.get("Location", "").startswith("/login")
    else:
        assert response.status_code == 403
        assert "ไม่มีสิทธิ์เข้าถึงหน้านี้" in text_of(response)


@pytest.mark.parametrize("endpoint", ["members.index", "ledger.journal", "staff.users", "requests.board"])
def test_signed_out_visitors_are_sent_to_sign_in_everywhere(app, client, endpoint):
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint)
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_auditor_may_read_the_settings_but_not_change_them(auditor):
    assert auditor.get("/ledger/settings").status_code == 200
    assert auditor.post("/ledger/settings", data={"balance_cap_minutes": 1}).status_code == 403


def test_the_menu_shows_only_what_the_role_may_open(headman):
    page = text_of(headman.get("/"))
    assert "เสียงตามสาย" in page
    for hidden in ('href="/members"', 'href="/ledger"', 'href="/staff/users"', 'href="/trouble/sms"'):
        assert hidden not in page


# --- privacy: phones and health notes --------------------------------------------------------

def test_the_manager_sees_phone_and_health_notes(manager):
    page = text_of(manager.get("/members/1"))
    assert "081-234-5678" in page and "ความดันสูง" in page and "พาไปอนามัย" in page


def test_the_auditor_sees_neither_the_full_phone_nor_health_notes(auditor):
    page = text_of(auditor.get("/members/1"))
    assert "081-xxx-5678" in page and "081-234-5678" not in page
    assert "ความดันสูง" not in page and "พาไปอนามัย" not in page
    assert "081-234-5678" not in text_of(auditor.get("/members"))


# --- CSRF ---------------------------------------------------------------------------------------

def test_a_login_form_without_its_csrf_token_is_refused_in_thai_and_nothing_is_recorded(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "แบบฟอร์มนี้หมดอายุหรือไม่สมบูรณ์ ยังไม่ได้บันทึกอะไร" in text_of(response)
    assert "Traceback" not in text_of(response)
    with csrf_app.extensions["wela"].sessions() as s:
        assert s.scalar(select(func.count(LoginAttempt.id))) == 0


def test_a_login_form_with_its_token_signs_in(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(text_of(client.get("/login")))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_member_form_without_the_token_saves_nothing(csrf_app):
    client = csrf_app.test_client()
    sign_in(client, csrf_app, "admin")
    before = members(csrf_app)
    response = client.post("/members/new", data={"name": "ยายแดง", "phone": "081-999-0000", "role": "elder",
                                                 "consent": "y"})
    assert response.status_code == 400
    assert members(csrf_app) == before
    forged = client.post("/members/new", data={"name": "ยายแดง", "phone": "081-999-0000", "role": "elder",
                                               "consent": "y", "csrf_token": "made-up"})
    assert forged.status_code == 400 and members(csrf_app) == before


def test_the_same_form_with_the_token_saves(csrf_app):
    client = csrf_app.test_client()
    sign_in(client, csrf_app, "admin")
    token = csrf_token(text_of(client.get("/members/new")))
    response = client.post("/members/new", data={"name": "ยายแดง", "phone": "081-999-0000", "role": "elder",
                                                 "consent": "y", "csrf_token": token})
    assert response.status_code == 302 and members(csrf_app) == 5


@pytest.mark.parametrize("path", ["/voice/test-hook", "/sms/test-hook"])
def test_webhooks_under_voice_and_sms_are_not_asked_for_a_csrf_token(csrf_app, path):
    csrf_app.add_url_rule(path, path.replace("/", "_"), lambda: "ok", methods=["POST"])
    response = csrf_app.test_client().post(path, data={"Digits": "1"})
    assert response.status_code == 200 and text_of(response) == "ok"


# --- sessions -------------------------------------------------------------------------------------

def test_signing_in_starts_a_fresh_session_so_a_planted_one_is_useless(client):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        sess["csrf_token"] = "known-to-the-attacker"
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "uid" in sess
        assert "planted" not in sess
        assert sess.get("csrf_token") != "known-to-the-attacker"
        assert sess.permanent


def test_signed_in_pages_are_not_cached_and_carry_safe_headers(manager):
    response = manager.get("/members/1")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "cdn" not in text_of(response).lower()


# --- escaping ------------------------------------------------------------------------------------

def test_a_name_with_a_script_tag_is_shown_as_text_everywhere(manager):
    evil = "<script>alert('x')</script> สมหญิง"
    response = manager.post("/members/new", data={"name": evil, "phone": "081-999-0000", "role": "elder",
                                                  "consent": "y"})
    assert response.status_code == 302
    for url in ("/members", response.headers["Location"], "/staff/audit", "/members?q=สมหญิง"):
        page = text_of(manager.get(url))
        assert "<script>alert" not in page, url
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; สมหญิง" in text_of(manager.get("/members"))


# --- uploads ---------------------------------------------------------------------------------------

def test_a_50_mb_upload_gets_a_thai_413_page_and_nothing_is_saved(manager, app):
    head = (b'--wela\r\nContent-Disposition: form-data; name="file"; filename="register.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")
    body = head + b"0" * (50 * 1024 * 1024) + b"\r\n--wela--\r\n"
    response = manager.post("/members/import", input_stream=io.BytesIO(body), content_length=len(body),
                            content_type="multipart/form-data; boundary=wela")
    assert response.status_code == 413
    page = text_of(response)
    assert "ไฟล์หรือข้อมูลใหญ่เกินไป" in page and "ไม่เกิน 10 MB" in page
    assert members(app) == 4


@pytest.mark.parametrize("name, data, message", [
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "รองรับเฉพาะไฟล์ .csv หรือ .xlsx"),
    ("register.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "เปิดไฟล์ Excel ไม่ได้"),
    ("register.csv", b"\x00\x01\x02binary\x00", "ไฟล์นี้ไม่ใช่ตาราง CSV"),
    ("register.csv", "ชื่อ,หมู่บ้าน\nยายแดง,หนองบัว\n".encode(), "ไฟล์ขาดคอลัมน์"),
    ("register.csv", b"", "ไฟล์ว่างเปล่า"),
])
def test_a_file_that_is_not_a_register_is_refused_in_thai(manager, app, name, data, message):
    response = manager.post("/members/import", data={"file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text_of(response)
    assert members(app) == 4


def test_an_import_without_a_file_asks_for_one(manager):
    response = manager.post("/members/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "กรุณาเลือกไฟล์" in text_of(response)


def test_an_unexpected_failure_shows_a_thai_page_without_a_stack_trace(app, manager):
    def broken():  # noqa: ANN202
        raise RuntimeError("database exploded at line 42")

    app.add_url_rule("/broken", "broken", broken)
    response = manager.get("/broken")
    assert response.status_code == 500
    page = text_of(response)
    assert "ขออภัย ระบบขัดข้อง" in page
    assert "Traceback" not in page and "exploded" not in page


def test_unknown_pages_get_a_thai_404(manager):
    response = manager.get("/members/999")
    assert response.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in text_of(response)
