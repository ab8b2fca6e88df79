"""The security list, against the app with CSRF on as in production: forged and replayed webhooks, CSRF,
session fixation, script and SQL in names and texts, path traversal, oversized bodies, and every
admin page without signing in.

"Nothing changed" is checked the strict way: the row count of every table before and after.
"""
from __future__ import annotations

import io
import tempfile
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.client import HTTPConnection

import pytest
from sqlalchemy import func, inspect, select, table
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from ledger.orm import Member
from sms.orm import InboundSms, OutboundSms
from tests.admin.conftest import PASSWORD
from tests.hostile.conftest import TOKEN, android_headers, sign_in, twilio_signature
from voice.orm import VoiceCall
from wela.admin.security import PUBLIC_ENDPOINTS, WEBHOOK_PREFIXES
from wela.cli import main

pytestmark = pytest.mark.hostile

SOMSRI = "+66812345678"
EVIL_NAME = "<script>alert(1)</script>'; DROP TABLE members;--"
EVIL_SMS = "<img src=x onerror=alert('sms')><script>alert(2)</script> นัดแล้วค่ะ"
CSRF_TH = "แบบฟอร์มนี้หมดอายุหรือไม่สมบูรณ์ ยังไม่ได้บันทึกอะไร"
TOO_BIG_TH = "ไฟล์หรือข้อมูลใหญ่เกินไป"
TWILIO_WEBHOOKS = ["/voice/incoming", "/voice/step?n=1&on=gather", "/voice/outbound?order=1&attempt=1",
                   "/voice/status", "/voice/fallback", "/sms/incoming", "/sms/status"]


def snapshot(app) -> dict[str, int]:  # noqa: ANN001
    """Rows in every table of the database."""
    engine = app.extensions["wela"].engine
    names = inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data().decode("utf-8", "replace")


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def call_form(sid: str = "CA" + "f" * 32, **extra: str) -> dict[str, str]:
    return {"AccountSid": "AC" + "0" * 32, "CallSid": sid, "From": SOMSRI, "To": "+6620000000",
            "CallStatus": "ringing", "Direction": "inbound", **extra}


def sms_form(body: str, sid: str = "SM" + "c" * 32, sender: str = SOMSRI) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": sender,
            "To": "+15005550006", "Body": body, "NumMedia": "0"}


def signed_post(client, path: str, form: dict[str, str], signature: str | None = None):  # noqa: ANN001, ANN201
    signature = twilio_signature(path, form) if signature is None else signature
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    response.close()
    return response


def android_post(client, clock, event: dict, **kw):  # noqa: ANN001, ANN003, ANN201
    raw = json.dumps(event, ensure_ascii=False).encode()
    response = client.post("/sms/android", data=raw, content_type="application/json",
                           headers=android_headers(raw, clock, **kw))
    response.close()
    return response


# ── forged signatures: 403, nothing changed ─────────────────────────────────────────────────────

def _forgeries(path: str, form: dict[str, str]) -> dict[str, str | None]:
    other = dict(form, Digits="9", Body="โอน 600")
    return {
        "none": "",
        "garbage": "bm90IGEgc2lnbmF0dXJl",
        "other fields": twilio_signature(path, other),
        "another account's token": twilio_signature(path, form, token="someone-elses-auth-token-0000000"),
        "the URL behind the proxy": RequestValidator(TOKEN).compute_signature("http://localhost" + path, form),
        "another path": twilio_signature("/voice/fallback" if path != "/voice/fallback" else "/sms/incoming", form),
    }


@pytest.mark.parametrize("path", TWILIO_WEBHOOKS)
def test_a_forged_twilio_signature_gets_403_and_changes_nothing(app, client, path):
    form = {**call_form(), **sms_form("ยอด"), "Digits": "1"}
    before = snapshot(app)
    for kind, signature in _forgeries(path, form).items():
        response = signed_post(client, path, form, signature=signature)
        assert response.status_code == 403, (kind, text_of(response)[:200])
        assert "Traceback" not in text_of(response)
    assert snapshot(app) == before
    assert signed_post(client, path, form).status_code in (200, 204)          # the genuine one passes


@pytest.mark.parametrize("forgery", ["no signature", "wrong key", "an hour old", "other body"])
def test_a_forged_android_webhook_gets_403_and_changes_nothing(app, client, clock, forgery):
    event = {"event": "sms:received", "id": "ev-forged", "payload": {"message": "1", "phoneNumber": SOMSRI}}
    raw = json.dumps(event).encode()
    headers = {"no signature": {},
               "wrong key": android_headers(raw, clock, secret="not-the-key"),
               "an hour old": android_headers(raw, clock, age=3600),
               "other body": android_headers(b'{"event": "system:ping"}', clock)}[forgery]
    before = snapshot(app)
    response = client.post("/sms/android", data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert snapshot(app) == before


# ── replayed webhooks: handled once ───────────────────────────────────────────────────────────

def test_the_same_call_sid_twice_is_one_call_and_the_same_twiml(app, client):
    first = signed_post(client, "/voice/incoming", call_form())
    again = signed_post(client, "/voice/incoming", call_form())
    assert first.status_code == again.status_code == 200
    assert text_of(first) == text_of(again)
    ET.fromstring(text_of(first))
    step = call_form(Digits="3", CallStatus="in-progress")
    balance = [text_of(signed_post(client, "/voice/step?n=1&on=gather", step)) for _ in range(3)]
    assert len(set(balance)) == 1
    with app.extensions["wela"].sessions() as s:
        assert s.scalar(select(func.count(VoiceCall.id))) == 1
        assert s.scalar(select(VoiceCall.seq)) == 2


def test_the_same_message_sid_twice_is_handled_once(app, client):
    first = signed_post(client, "/sms/incoming", sms_form("ยอด"))
    before = snapshot(app)
    again = signed_post(client, "/sms/incoming", sms_form("ยอด"))
    assert text_of(first) == text_of(again) and "<Message>" in text_of(first)
    assert snapshot(app) == before
    with app.extensions["wela"].sessions() as s:
        assert s.scalar(select(func.count(InboundSms.id))) == 1
        assert s.scalar(select(func.count(OutboundSms.id)).where(OutboundSms.purpose == "reply")) == 1


def test_the_same_android_event_twice_is_handled_once(app, client, clock):
    event = {"event": "sms:received", "id": "ev-1", "payload": {"message": "ยอด", "phoneNumber": SOMSRI}}
    assert android_post(client, clock, event).status_code == 200
    before = snapshot(app)
    assert android_post(client, clock, event).status_code == 200
    assert snapshot(app) == before


# ── CSRF: every admin form refused without its token, in Thai, nothing saved ─────────────────────

FORM = {"name": "ยายแดง มีสุข", "phone": "081-999-0000", "role": "elder", "consent": "y", "village": "บ้านหนองบัว",
        "payer": "1", "payee": "2", "member": "1", "minutes": "60", "hours": "1", "reason": "ทดสอบ",
        "text": "ขอเชิญประชุมที่ศาลาวัด", "template": "free", "action": "make", "username": "mallory",
        "password": "รหัสใหม่-มะพร้าว-2569", "display_name": "Mallory", "current": PASSWORD,
        "new": "รหัสใหม่-มะพร้าว-2569", "again": "รหัสใหม่-มะพร้าว-2569", "pin": "4321",
        "balance_cap_minutes": "1", "month": "2026-10", "category": "clinic", "when": "tomorrow",
        "volunteer": "2", "note": "x", "decision": "yes"}


def admin_posts(app) -> list[str]:  # noqa: ANN001
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(WEBHOOK_PREFIXES):
            continue
        urls.append(adapter.build(rule.endpoint, {name: 1 for name in rule.arguments}))
    return sorted(urls)


def test_every_admin_form_posted_without_its_csrf_token_is_refused_in_thai_and_saves_nothing(app, client):
    sign_in(client, app, "admin")
    urls = admin_posts(app)
    assert "/members/new" in urls and "/ledger/transfer" in urls and "/login" in urls and len(urls) >= 20
    before = snapshot(app)
    for url in urls:
        for token in (None, "made-up-token"):
            data = dict(FORM) if token is None else dict(FORM, csrf_token=token)
            response = client.post(url, data=data)
            assert response.status_code == 400, (url, response.status_code)
            assert CSRF_TH in text_of(response), url
    assert snapshot(app) == before


def test_a_token_from_another_session_is_refused_and_the_right_one_works(app):
    attacker, victim = app.test_client(), app.test_client()
    sign_in(attacker, app, "auditor")
    stolen = csrf_token(text_of(attacker.get("/account/password")))
    sign_in(victim, app, "admin")
    before = snapshot(app)
    response = victim.post("/members/new", data=dict(FORM, csrf_token=stolen))
    assert response.status_code == 400 and CSRF_TH in text_of(response)
    assert snapshot(app) == before
    own = csrf_token(text_of(victim.get("/members/new")))
    assert victim.post("/members/new", data=dict(FORM, csrf_token=own)).status_code == 302


# ── session fixation: a new session cookie at sign-in; the planted one is worthless ────────────

def test_signing_in_replaces_the_session_cookie_and_a_planted_cookie_stays_signed_out(app):
    client = app.test_client()
    page = text_of(client.get("/login"))
    with client.session_transaction() as sess:
        sess["planted"] = "by mallory"                      # what an attacker could have set up
    planted = client.get_cookie("session").value
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    signed_in = client.get_cookie("session").value
    assert signed_in != planted
    with client.session_transaction() as sess:
        assert "planted" not in sess and "uid" in sess
    assert client.get("/").status_code == 200

    mallory = app.test_client()
    mallory.set_cookie("session", planted)
    response = mallory.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# ── script and SQL in names and texts: shown as text, the table still there ───────────────────

def _cli(app, *args: str):  # noqa: ANN001, ANN202
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, (result.output, getattr(result, "stderr", ""))
    return result


def test_script_and_sql_in_a_name_and_in_texts_are_shown_escaped_and_the_members_table_survives(app, client):
    sign_in(client, app, "admin")
    token = csrf_token(text_of(client.get("/members/new")))
    response = client.post("/members/new", data={"name": EVIL_NAME, "phone": "081-999-0000", "role": "both",
                                                 "consent": "y", "village": "<b>หนองบัว</b>",
                                                 "csrf_token": token})
    assert response.status_code == 302, text_of(response)[:1000]
    profile = response.headers["Location"]
    with app.extensions["wela"].sessions() as s:
        evil = s.scalar(select(Member).where(Member.name == EVIL_NAME))
        assert evil is not None and s.scalar(select(func.count(Member.id))) == 5

    # A text from that member with HTML in it, and a text to them with HTML in it.
    signed_post(client, "/sms/incoming", sms_form(EVIL_SMS, sender=evil.phone))
    _cli(app, "sms", "send", evil.phone, EVIL_SMS)

    pages = {"/members": None, profile: None, f"{profile}/statement": None, "/trouble/sms": None,
             "/trouble/calls": None, "/staff/audit": None, "/members?q=" + EVIL_NAME[:12]: None,
             "/members?q=' OR 1=1;--": None, "/": None}
    for url in pages:
        response = client.get(url)
        page = text_of(response)
        assert response.status_code == 200, url
        for raw in ("<script>alert", "<img src=x", "<b>หนองบัว</b>"):
            assert raw not in page, (url, raw)
        pages[url] = page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#39;; DROP TABLE members;--" in pages["/members"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[profile]
    assert "&lt;img src=x onerror=alert(&#39;sms&#39;)&gt;" in pages["/trouble/sms"]
    with app.extensions["wela"].sessions() as s:
        assert s.scalar(select(func.count(Member.id))) == 5          # the table is still there, whole
        assert s.scalar(select(InboundSms.body)) == EVIL_SMS          # stored as typed, never run


# ── path traversal in audio names: 404/400, never a file ───────────────────────────────────────

TRAVERSALS = [
    "/voice/audio/../../etc/passwd", "/voice/audio/..%2F..%2Fetc%2Fpasswd",
    "/voice/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/voice/audio/%2E%2E/%2E%2E/etc/passwd",
    "/voice/audio/..%5c..%5csecret_key", "/voice/audio/%252e%252e%252fsecret_key",
    "/voice/audio/....//....//etc/passwd", "/voice/audio/..%00.mp3", "/voice/audio/../secret_key",
    "/voice/audio/" + "a" * 64 + ".mp3/../../secret_key", "/voice/audio/%2e%2e%2fsecret_key",
    "/voice/audio/..%2fsecret_key%00" + "a" * 64 + ".mp3", "/voice/audio//etc/passwd",
    "/assets/../../../../etc/passwd", "/assets/..%2f..%2f..%2fsecret_key", "/static/../secret_key",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd", "/announcements/1/audio.mp3/../../../secret_key",
    "/voice/audio/~/.bashrc", "/voice/audio/%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
]


def _never_a_file(status: int, body: bytes, secret: bytes, what: str) -> None:
    assert status in (400, 403, 404, 405) or 300 <= status < 400, (what, status)
    assert b"root:" not in body and secret not in body, what


def test_path_traversal_in_audio_names_never_serves_a_file_through_the_test_client(app, client):
    secret = (app.extensions["wela"].settings.instance_path / "secret_key")
    secret.write_text("s3cret-material-that-must-not-leak")
    for url in TRAVERSALS:
        response = client.get(url)
        _never_a_file(response.status_code, response.get_data(), b"s3cret-material", url)


def test_path_traversal_over_a_real_socket_never_serves_a_file(app):
    """The raw request line as an attacker types it (no client tidies the path), to a real server."""
    (app.extensions["wela"].settings.instance_path / "secret_key").write_text("s3cret-material-that-must-not-leak")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for url in TRAVERSALS:
            conn = HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            conn.putrequest("GET", url, skip_accept_encoding=True)
            conn.endheaders()
            response = conn.getresponse()
            _never_a_file(response.status, response.read(), b"s3cret-material", url)
            conn.close()
    finally:
        server.shutdown()
        server.server_close()


# ── oversized bodies: 413 with a Thai message, nothing saved ───────────────────────────────────

BIG = 20 * 1024 * 1024
OVERSIZED = [*TWILIO_WEBHOOKS, "/sms/android", "/login", "/members/new", "/members/import", "/ledger/transfer",
             "/announcements/new", "/logout", "/staff/users"]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("path", OVERSIZED)
def test_a_20_mb_post_gets_413_with_a_thai_message_and_saves_nothing(app, client, path, framing):
    sign_in(client, app, "admin")
    content_type = "application/json" if path == "/sms/android" else "application/x-www-form-urlencoded"
    body = b"Body=" + b"a" * BIG
    before = snapshot(app)
    if framing == "content-length":
        response = client.post(path, data=body, content_type=content_type)
    else:        # no Content-Length: the server (gunicorn) marks the stream as terminated, werkzeug counts
        response = client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                               headers={"Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413, (path, response.status_code, text_of(response)[:300])
    assert TOO_BIG_TH in text_of(response) and "Traceback" not in text_of(response)
    assert snapshot(app) == before


def test_the_size_limit_is_set():
    from wela.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"instance_path": folder, "database_url": f"sqlite:///{folder}/x.sqlite3"})
        try:
            assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 10 * 1024 * 1024
        finally:
            app.extensions["wela"].close()


# ── every admin route without signing in: sent to sign in (or refused), nothing changed ─────────

def test_every_admin_route_without_signing_in_redirects_to_login_and_changes_nothing(app):
    client = app.test_client()
    token = csrf_token(text_of(client.get("/login")))         # an anonymous visitor's own, valid token
    adapter = app.url_map.bind("localhost")
    before = snapshot(app)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(WEBHOOK_PREFIXES) or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = adapter.build(rule.endpoint, {name: 1 for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = dict(FORM, csrf_token=token) if method == "POST" else None
            response = client.open(url, method=method, data=data)
            location = response.headers.get("Location", "")
            assert (response.status_code in (301, 302, 303) and location.startswith("/login")) \
                or response.status_code in (401, 403), (method, url, response.status_code, location)
            checked += 1
    assert checked >= 40
    assert snapshot(app) == before


def test_the_public_pages_are_only_sign_in_language_and_assets():
    assert PUBLIC_ENDPOINTS == {"auth.login", "auth.language", "assets.static", "static"}
