"""The pages in a real headless Chromium: sign in, register, import, assign, announce and play; keyboard use.

Screenshots of every page go to test-artifacts/admin/ (git-ignored), for a person to look at.
Run alone with: .venv/bin/pytest tests/admin -m browser
"""
from __future__ import annotations

import csv
import io
import shutil
import threading
from pathlib import Path

import pytest

from ledger.clock import FakeClock
from prompts_th.engines import FakeEngine
from scheduler.ports import FakeNotifier
from tests.admin.conftest import PASSWORD, START, make_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def server(tmp_path):  # noqa: ANN001, ANN201
    """The app on a free loopback port, served from a thread, with espeak-ng as the voice when present."""
    from werkzeug.serving import make_server

    engine = None
    if shutil.which("espeak-ng") and shutil.which("ffmpeg"):
        from prompts_th.espeak_engine import EspeakEngine

        engine = EspeakEngine()
    app = make_app(tmp_path, FakeClock(START), FakeNotifier(), engine or FakeEngine(),
                   WTF_CSRF_ENABLED=True)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)
    app.extensions["wela"].close()


@pytest.fixture
def browser():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH",
                                  accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, server: str, username: str = "admin") -> None:  # noqa: ANN001
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def focus_order(page, presses: int) -> list[str]:  # noqa: ANN001
    """What the Tab key lands on, one press at a time: id, or the words of a link or button."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => { const e = document.activeElement;
            return e.id || (e.innerText || e.value || '').trim(); }"""))
    return seen


def test_sign_in_with_the_keyboard_alone(page, server):
    page.goto(f"{server}/login")
    shot(page, "01-login")
    assert page.evaluate("document.activeElement.id") == "username"     # the cursor waits in the name box
    assert focus_order(page, 2) == ["password", "เข้าสู่ระบบ"]
    page.focus("#username")
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/")
    assert page.locator("h1").inner_text() == "ภาพรวมของธนาคาร"
    shot(page, "02-dashboard")
    order = focus_order(page, 8)
    assert order[0] == "ข้ามไปที่เนื้อหา"                          # the skip link comes first
    assert "ภาพรวม" in order and "สมาชิก" in order                  # the menu is reachable by Tab
    page.keyboard.press("Shift+Tab")


def test_a_wrong_password_is_told_on_the_page(page, server):
    page.goto(f"{server}/login")
    page.fill("#username", "admin")
    page.fill("#password", "ผิด-ผิด-ผิด")
    page.click("button[type=submit]")
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in page.locator("[role=alert]").inner_text()
    shot(page, "03-login-wrong-password")


def test_register_a_member_and_see_the_profile(page, server):
    sign_in(page, server)
    page.click("nav >> text=สมาชิก")
    shot(page, "04-members")
    page.click("text=ลงทะเบียนสมาชิกใหม่")
    page.fill("#name", "ยายแดง มีสุข")
    page.fill("#phone", "081 999 0000")
    page.select_option("#role", "elder")
    page.fill("#village", "บ้านหนองบัว")
    page.fill("#birth_year", "2490")
    page.check("#consent")
    shot(page, "05-member-form")
    page.click("button:has-text('ลงทะเบียน')")
    page.wait_for_selector("text=ลงทะเบียน ยายแดง มีสุข แล้ว")
    assert "081-999-0000" in page.content() and "2 ชั่วโมง" in page.content()
    shot(page, "06-member-profile")
    page.click("text=พฤศจิกายน 2569")
    shot(page, "07-statement")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()                 # the statement prints alone
    shot(page, "08-statement-print")
    page.emulate_media(media="screen")
    page.goto(f"{server}/members/new")
    page.fill("#name", "ลุงผิด")
    page.fill("#phone", "12345")
    page.check("#consent")
    page.click("button:has-text('ลงทะเบียน')")
    assert "เบอร์โทรศัพท์ไม่ถูกต้อง" in page.locator("#phone-error").inner_text()
    shot(page, "09-member-form-error")


def test_import_a_register_from_a_spreadsheet(page, server, tmp_path):
    out = io.StringIO()
    csv.writer(out).writerows([["ชื่อ", "เบอร์โทร", "บทบาท", "หมู่บ้าน"],
                               ["ยายบัว", "081-555-1234", "ผู้สูงอายุ", "บ้านหนองบัว"],
                               ["น้องเก่ง", "089-777-1234", "จิตอาสา", "บ้านหนองบัว"]])
    register = tmp_path / "ทะเบียนสมาชิก.csv"
    register.write_text(out.getvalue(), "utf-8-sig")
    sign_in(page, server)
    page.goto(f"{server}/members/import")
    page.set_input_files("#file", str(register))
    page.click("button:has-text('ตรวจไฟล์')")
    page.wait_for_selector("text=ตรวจแล้ว 2 แถว ไม่มีปัญหา")
    shot(page, "10-import-checked")
    page.click("button:has-text('นำเข้าสมาชิก 2 คน')")
    page.wait_for_selector("text=นำเข้าสมาชิก 2 คนแล้ว")
    assert "น้องเก่ง" in page.content()
    shot(page, "11-import-done")


def test_assign_a_request_from_the_suggestions(page, server):
    sign_in(page, server)
    page.goto(f"{server}/requests/new")
    page.fill("#member", "1 ยายสมศรี ใจดี")
    page.check("#when-1")                                           # tomorrow
    page.select_option("#part", "morning")
    page.fill("#notes", "ไปอนามัย ตรวจความดัน")
    shot(page, "12-request-form")
    page.click("button:has-text('บันทึกคำขอ')")
    page.wait_for_selector("text=บันทึกคำขอเลขที่ 1 แล้ว")
    shot(page, "13-request-open")
    page.click("button:has-text('มอบหมายให้ สมชาย รักษ์ดี')")
    page.wait_for_selector("text=มอบหมายผู้ช่วยแล้ว")
    assert page.locator(".big-tag").inner_text() == "มีผู้ช่วยแล้ว"
    shot(page, "14-request-assigned")
    page.click("nav >> text=คำขอความช่วยเหลือ")
    shot(page, "15-requests-board")


def test_pay_for_help_in_the_ledger(page, server):
    sign_in(page, server)
    page.goto(f"{server}/ledger/transfer")
    page.fill("#payer", "1 ยายสมศรี ใจดี")
    page.fill("#payee", "2 สมชาย รักษ์ดี")
    page.fill("#minutes", "30")
    shot(page, "16-ledger-transfer")
    page.click("button:has-text('บันทึกรายการ')")
    page.wait_for_selector("text=บันทึกรายการเลขที่ 5 แล้ว: 1 ชั่วโมง 30 นาที")
    shot(page, "17-ledger-journal")
    for path, name in (("/ledger/close-month", "18-close-month"), ("/ledger/settings", "19-settings"),
                       ("/ledger/5/reverse", "20-reverse"), ("/trouble/sms", "21-sms-outbox"),
                       ("/trouble/calls", "22-call-log"), ("/staff/audit", "23-audit"),
                       ("/staff/users", "24-users")):
        page.goto(server + path)
        assert page.locator("h1").count() == 1
        shot(page, name)


def test_render_and_play_an_announcement(page, server):
    sign_in(page, server, "headman")
    page.goto(f"{server}/announcements/new")
    assert page.locator("#meeting_date").is_hidden()               # only the chosen template's fields
    page.fill("#title", "ประชุมปลายเดือน")
    page.fill("#text", "เชิญสมาชิกธนาคารเวลาประชุมวันที่ 25/11/2569 เวลา 13:30 น. ที่ศาลาวัด")
    page.click("button:has-text('ดูตัวอย่างข้อความ')")
    page.wait_for_selector("#preview")
    assert "บ่ายโมงครึ่ง" in page.locator(".spoken").inner_text()
    shot(page, "25-announcement-preview")
    page.click("#announce-form button:has-text('ทำเสียงประกาศ')")
    page.wait_for_selector("audio", timeout=120_000)
    duration = page.evaluate("""() => new Promise((ok, fail) => {
        const a = document.querySelector('audio');
        if (a.readyState >= 1) return ok(a.duration);
        a.addEventListener('loadedmetadata', () => ok(a.duration));
        a.addEventListener('error', () => fail(a.error && a.error.code)); a.load(); })""")
    assert duration > 1
    played = page.evaluate("""() => new Promise(ok => { const a = document.querySelector('audio');
        a.muted = true; a.play().then(() => setTimeout(() => ok(a.currentTime), 700), () => ok(-1)); })""")
    assert played > 0
    shot(page, "26-announcement-made")
    with page.expect_download() as download:
        page.click("a.button:has-text('ดาวน์โหลด MP3')")
    assert download.value.suggested_filename.endswith(".mp3")
    page.goto(f"{server}/announcements")
    shot(page, "27-announcements")


def test_the_pages_fit_a_phone_and_speak_english_on_request(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="th-TH")
    tab = context.new_page()
    sign_in(tab, server)
    shot(tab, "28-phone-dashboard")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 392                                              # no sideways scrolling
    tab.goto(f"{server}/members/new")
    shot(tab, "29-phone-member-form")
    tab.click("text=English")
    assert tab.locator("h1").inner_text() == "Register a new member"
    shot(tab, "30-phone-english")
    context.close()
