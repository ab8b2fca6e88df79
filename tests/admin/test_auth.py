"""Signing in and out: passwords, the rate limit, expiring sessions, the language toggle, `wela users`."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.admin.conftest import PASSWORD, sign_in, text_of
from wela.admin.orm import AuditEntry, LoginAttempt, User


def login(client, username="admin", password=PASSWORD, **kw):  # noqa: ANN001, ANN003, ANN201
    return client.post("/login", data={"username": username, "password": password}, **kw)


def count(app, model, *where) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_the_login_page_is_thai_with_a_label_on_each_field(client):
    page = text_of(client.get("/login"))
    assert "เข้าสู่ระบบธนาคารเวลา" in page
    assert '<label for="username">ชื่อผู้ใช้</label>' in page
    assert '<label for="password">รหัสผ่าน</label>' in page


def test_every_page_sends_a_stranger_to_the_login_page(client):
    response = client.get("/members?q=สมศรี")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/members")


def test_the_manager_signs_in_and_lands_on_the_dashboard(client, app):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = text_of(client.get("/"))
    assert "ภาพรวมของธนาคาร" in page and "สมใจ ผู้จัดการ" in page
    assert count(app, AuditEntry, AuditEntry.action == "login") == 1


def test_after_signing_in_the_page_asked_for_opens(client):
    response = login(client, query_string={"next": "/members?q=1"})
    assert response.headers["Location"] == "/members?q=1"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_the_next_address_never_leaves_the_site(client, target):
    response = login(client, query_string={"next": target})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("username, password", [("admin", "wrong-password"), ("nobody", PASSWORD),
                                                ("ADMIN ", "wrong-password")])
def test_a_wrong_password_or_name_gets_one_clear_thai_message(client, username, password):
    response = login(client, username, password)
    assert response.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in text_of(response)
    assert client.get("/").status_code == 302          # still signed out


def test_an_empty_login_form_says_what_is_missing(client):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert text_of(response).count("กรุณากรอกช่องนี้") == 2


def test_five_failures_lock_that_name_from_that_address_for_fifteen_minutes(client, app, clock):
    for _ in range(5):
        assert login(client, password="wrong-password").status_code == 401
    locked = login(client)                                    # even the right password now
    assert locked.status_code == 429
    assert "ใส่รหัสผิดหลายครั้งเกินไป กรุณารอ 15 นาที" in text_of(locked)
    other = app.test_client()
    assert login(other, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
    clock.advance(minutes=16)
    assert login(client).status_code == 302
    assert count(app, LoginAttempt, LoginAttempt.success.is_(False)) == 5


def test_many_names_from_one_address_are_limited_too(client):
    for i in range(20):
        login(client, f"guess{i}", "wrong-password")
    assert login(client).status_code == 429


def test_a_disabled_account_cannot_sign_in(client, app):
    with app.extensions["wela"].sessions.begin() as s:
        s.scalar(select(User).where(User.username == "headman")).active = False
    response = login(client, "headman")
    assert response.status_code == 401
    assert "บัญชีนี้ถูกปิดใช้งาน" in text_of(response)


def test_a_session_expires_after_an_hour_without_use(client, app, clock):
    sign_in(client, app, "admin")
    clock.advance(minutes=59)
    assert client.get("/").status_code == 200
    clock.advance(minutes=61)
    response = client.get("/", follow_redirects=True)
    assert "หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง" in text_of(response)
    assert client.get("/").status_code == 302


def test_a_session_ends_after_eight_hours_even_in_use(client, app, clock):
    sign_in(client, app, "admin")
    for _ in range(9):
        clock.advance(minutes=50)
        assert client.get("/").status_code == 200      # 7 h 30 min, used every 50 minutes
    clock.advance(minutes=40)
    assert client.get("/").status_code == 302


def test_a_disabled_account_is_signed_out_at_its_next_click(client, app):
    sign_in(client, app, "auditor")
    with app.extensions["wela"].sessions.begin() as s:
        s.scalar(select(User).where(User.username == "auditor")).active = False
    assert client.get("/").status_code == 302


def test_signing_out_ends_the_session(manager, app):
    response = manager.post("/logout")
    assert response.headers["Location"] == "/login"
    assert manager.get("/").status_code == 302
    assert count(app, AuditEntry, AuditEntry.action == "logout") == 1


def test_a_session_cookie_copied_before_signing_out_no_longer_signs_in(manager, app):
    copied = manager.get_cookie("session").value           # as a thief would, or a second tab
    assert manager.get("/").status_code == 200
    manager.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 302
    assert thief.get("/members").status_code == 302


def test_changing_the_password_needs_the_old_one_and_the_new_one_twice(manager, app):
    wrong = manager.post("/account/password", data={"current": "nope-nope", "new": "ใหม่-ใหม่-ใหม่", "again": "ใหม่-ใหม่-ใหม่"})
    assert wrong.status_code == 400 and "รหัสผ่านเดิมไม่ถูกต้อง" in text_of(wrong)
    differ = manager.post("/account/password", data={"current": PASSWORD, "new": "ใหม่-ใหม่-ใหม่", "again": "อีกแบบหนึ่ง"})
    assert differ.status_code == 400 and "รหัสผ่านใหม่สองช่องไม่ตรงกัน" in text_of(differ)
    short = manager.post("/account/password", data={"current": PASSWORD, "new": "สั้น", "again": "สั้น"})
    assert short.status_code == 400 and "อย่างน้อย 8 ตัวอักษร" in text_of(short)
    done = manager.post("/account/password", data={"current": PASSWORD, "new": "ใหม่-ใหม่-ใหม่", "again": "ใหม่-ใหม่-ใหม่"})
    assert done.status_code == 302
    assert manager.get("/").status_code == 200          # this browser stays signed in
    other = app.test_client()
    assert login(other, "admin", PASSWORD).status_code == 401
    assert login(other, "admin", "ใหม่-ใหม่-ใหม่").status_code == 302


def test_a_password_change_signs_out_the_other_browsers(app):
    first, second = app.test_client(), app.test_client()
    sign_in(first, app, "admin")
    sign_in(second, app, "admin")
    first.post("/account/password", data={"current": PASSWORD, "new": "ใหม่-ใหม่-ใหม่", "again": "ใหม่-ใหม่-ใหม่"})
    assert second.get("/").status_code == 302


def test_english_toggle_switches_the_words_and_back(manager):
    manager.get("/lang/en?next=/")
    page = text_of(manager.get("/"))
    assert "The bank at a glance" in page and '<html lang="en">' in page
    manager.get("/lang/th")
    assert "ภาพรวมของธนาคาร" in text_of(manager.get("/"))


def test_the_language_survives_signing_in(client):
    client.get("/lang/en")
    login(client)
    assert "Sign out" in text_of(client.get("/"))


# --- the command line: the first account is made there ----------------------------------------

def test_wela_users_add_makes_the_first_manager_and_list_shows_it(app):
    runner = app.test_cli_runner()
    from wela.cli import main

    result = runner.invoke(main, ["users", "add", "somjai", "--role", "manager", "--name", "สมใจ",
                                  "--password", "ขนมครก-อร่อย"])
    assert result.exit_code == 0, result.output
    assert "somjai" in result.output
    listed = runner.invoke(main, ["users", "list", "--json"])
    rows = {r["username"]: r for r in json.loads(listed.output)}
    assert rows["somjai"]["role"] == "manager" and rows["somjai"]["name"] == "สมใจ"
    assert login(app.test_client(), "somjai", "ขนมครก-อร่อย").status_code == 302


def test_wela_users_add_asks_for_the_password_when_not_given(app):
    from wela.cli import main

    result = app.test_cli_runner().invoke(main, ["users", "add", "kham", "--role", "headman"],
                                          input="ขนมครก-อร่อย\nขนมครก-อร่อย\n")
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "kham", "ขนมครก-อร่อย").status_code == 302


@pytest.mark.parametrize("args, message", [
    (["users", "add", "admin", "--role", "manager", "--password", "ขนมครก-อร่อย"], "มีชื่อผู้ใช้ admin แล้ว"),
    (["users", "add", "boon", "--role", "manager", "--password", "short"], "อย่างน้อย 8 ตัวอักษร"),
    (["users", "add", "ผู้ใหญ่", "--role", "manager", "--password", "ขนมครก-อร่อย"], "ชื่อผู้ใช้ใช้ได้เฉพาะ"),
])
def test_wela_users_add_refuses_bad_accounts_in_thai(app, args, message):
    from wela.cli import main

    result = app.test_cli_runner().invoke(main, args)
    assert result.exit_code == 1
    assert message in result.output


def test_wela_users_password_and_disable(app):
    from wela.cli import main

    runner = app.test_cli_runner()
    assert runner.invoke(main, ["users", "password", "headman", "--password", "ใหม่-ใหม่-ใหม่"]).exit_code == 0
    assert login(app.test_client(), "headman", "ใหม่-ใหม่-ใหม่").status_code == 302
    assert runner.invoke(main, ["users", "disable", "headman"]).exit_code == 0
    assert login(app.test_client(), "headman", "ใหม่-ใหม่-ใหม่").status_code == 401


def test_the_demo_accounts_are_made_once_and_printed(app):
    from wela.demo_admin import DEMO_PASSWORD, load

    w = app.extensions["wela"]
    first = list(load(w))
    second = list(load(w))
    assert first == second and any("admin" in line and DEMO_PASSWORD in line for line in first)
    assert count(app, User, User.username == "admin") == 1
    assert login(app.test_client(), "admin", DEMO_PASSWORD).status_code == 302
    assert login(app.test_client(), "headman", DEMO_PASSWORD).status_code == 302


def test_the_manager_sets_a_new_password_for_a_headman_who_forgot_it(manager, app):
    headman = app.test_client()
    sign_in(headman, app, "headman")
    short = manager.post("/staff/users/2/password", data={"password": "สั้น"}, follow_redirects=True)
    assert "อย่างน้อย 8 ตัวอักษร" in text_of(short)
    done = manager.post("/staff/users/2/password", data={"password": "ใหม่-ใหม่-ใหม่"}, follow_redirects=True)
    assert "ตั้งรหัสผ่านใหม่ให้ headman แล้ว" in text_of(done)
    assert headman.get("/").status_code == 302                  # the old session has ended
    assert login(app.test_client(), "headman", "ใหม่-ใหม่-ใหม่").status_code == 302


def test_the_manager_adds_and_disables_accounts_on_the_web(manager, app):
    page = text_of(manager.post("/staff/users", data={"username": "kru.noi", "display_name": "ครูน้อย",
                                                      "role": "auditor", "password": "ขนมครก-อร่อย"},
                                follow_redirects=True))
    assert "เพิ่มผู้ใช้ kru.noi แล้ว" in page and "ครูน้อย" in page
    again = manager.post("/staff/users", data={"username": "kru.noi", "role": "auditor", "password": "ขนมครก-อร่อย"})
    assert again.status_code == 400 and "มีชื่อผู้ใช้ kru.noi แล้ว" in text_of(again)
    with app.extensions["wela"].sessions() as s:
        new_id = s.scalar(select(User.id).where(User.username == "kru.noi"))
    manager.post(f"/staff/users/{new_id}/active", data={"active": "0"})
    assert login(app.test_client(), "kru.noi", "ขนมครก-อร่อย").status_code == 401
    own = manager.post("/staff/users/1/active", data={"active": "0"}, follow_redirects=True)
    assert "ปิดบัญชีของตัวเองไม่ได้" in text_of(own)
    assert manager.get("/").status_code == 200
