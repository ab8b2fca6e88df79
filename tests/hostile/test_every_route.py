"""Hypothesis against every route of the app (enumerated from ``app.url_map``): random path values,
query strings and form fields — for the webhooks signed exactly as Twilio or the Android gateway
would sign them, so the random data gets past the signature check and into the handlers.

For every example: no status of 500 or more, no error logged by the app (a handled 500 with a
polite Thai page is still a bug here), and no stack trace in the body. Each route is tried signed
out and signed in as the bank manager (CSRF checks off for the signed-in run, so random forms reach
the views; the CSRF guard itself is tested in test_security.py).

``WELA_HOSTILE_EXAMPLES`` (default 20) sets the examples per route and client.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from werkzeug.routing import PathConverter, Rule
from werkzeug.routing.converters import NumberConverter

from tests.hostile.conftest import build, sign_in, signed_headers
from wela.admin.orm import User

pytestmark = pytest.mark.hostile

EXAMPLES = int(os.environ.get("WELA_HOSTILE_EXAMPLES", "20"))
SKIP_METHODS = {"HEAD", "OPTIONS"}

CHARS = st.characters(blacklist_categories=("Cs",))
TEXT = st.text(CHARS, max_size=40)
NASTY = st.sampled_from([
    "", " ", "0", "-1", "1", "2", "9", "*", "#", "1234", "99999999999999999999999", "1e309", "nan", "-0",
    "2026-02-30", "2569-11-21", "25:61", "07:00", "+66812345678", "081-234-5678", "+1", "anonymous",
    "<script>alert(1)</script>", "'; DROP TABLE members;--", "../../etc/passwd", "%2e%2e%2f", "\x00",
    "\r\n", "ก" * 3000, "🙂" * 50, "make", "preview", "free", "meeting", "weekly", "welcome",
    "volunteers_needed", "manager", "auditor", "headman", "elder", "volunteer", "both", "coordinator",
    "y", "on", "true", "completed", "busy", "no-answer", "in-progress", "delivered", "failed",
    "gather", "silence", "record", "dial", "csv", "xlsx", "json", "en", "th", "//evil.example", "https://evil.example",
    "CA" + "a" * 32, "SM" + "b" * 32, "https://api.twilio.com/Recordings/RE1", "javascript:alert(1)",
])
NUMBERS = st.sampled_from(["99999999999999999999999", "-99999999999999999999", "9223372036854775808",
                           "2147483648", "1e309", "nan", "inf", "-1", "0", "1" * 5000, "０１２", "٣"])
VALUE = NUMBERS | NASTY | TEXT

# Names the app reads from query strings and forms (grep of request.args/form and the WTForms).
QUERY_NAMES = ["action", "active", "kind", "member", "month", "next", "on", "n", "order", "attempt", "page",
               "password", "person", "phone", "pin", "q", "ref", "status", "user", "role", "village", "year",
               "format", "lang", "sort"]
FORM_NAMES = ["action", "again", "availability", "balance_cap_minutes", "birth_year", "category", "consent",
              "current", "days", "decision", "display_name", "donor", "file", "for_elder", "health_notes",
              "hours", "key", "loan_limit_minutes", "loan_repay_percent", "meeting_date", "meeting_time",
              "member", "minutes", "month", "moo", "name", "names", "needs", "new", "note", "notes", "on",
              "part", "password", "payee", "payer", "phone", "pin", "place", "play_on", "reason", "received",
              "role", "speak_slowly", "starting_minutes", "template", "text", "thanks", "title", "to_member",
              "token", "username", "village", "volunteer", "when", "year", "transfer", "request", "active",
              "csrf_token"]
TWILIO_NAMES = ["CallSid", "From", "To", "Digits", "CallStatus", "CallDuration", "RecordingUrl",
                "RecordingDuration", "DialCallStatus", "Direction", "AccountSid", "ApiVersion", "Caller",
                "Called", "MessageSid", "SmsSid", "Body", "MessageStatus", "SmsStatus", "ErrorCode", "NumMedia"]



def _fields(names: list[str]):  # noqa: ANN202
    """Any of the known names (each present or not), or a few random ones."""
    return st.fixed_dictionaries({}, optional={name: VALUE for name in names}) \
        | st.dictionaries(st.sampled_from(names) | TEXT, VALUE, max_size=4)


QUERIES = _fields(QUERY_NAMES)
FORMS = _fields(FORM_NAMES)
TWILIO_FORMS = _fields(TWILIO_NAMES)
JSON_LEAF = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | VALUE
JSON_ANY = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
ANDROID_EVENTS = st.fixed_dictionaries(
    {"event": st.sampled_from(["sms:received", "sms:batch:received", "sms:sent", "sms:delivered",
                               "sms:failed", "system:ping"]) | TEXT},
    optional={"id": JSON_LEAF, "deviceId": TEXT, "webhookId": TEXT,
              "payload": st.fixed_dictionaries({}, optional={
                  "messageId": JSON_LEAF, "message": JSON_ANY, "phoneNumber": JSON_LEAF, "sender": JSON_LEAF,
                  "reason": JSON_ANY, "messages": JSON_ANY | st.lists(st.fixed_dictionaries(
                      {"message": VALUE, "phoneNumber": VALUE}), max_size=3)}) | JSON_ANY})
ANDROID_BODIES = ANDROID_EVENTS.map(lambda e: json.dumps(e, ensure_ascii=False).encode()) \
    | st.binary(max_size=200) | JSON_ANY.map(lambda e: json.dumps(e).encode())

INTS = st.sampled_from([0, 1, 2, 3, 4, 5, 99, 999999]) | st.integers(0, 10**30)
SEGMENT = st.text(CHARS, min_size=1, max_size=30).filter(lambda s: "/" not in s)
PATHS = st.sampled_from(["..", "../..", "../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "admin.css",
                         "..%2f..%2fsecret_key", "a/../../b", ".", "~root"]) | st.text(CHARS, min_size=1, max_size=40)


@dataclass(frozen=True)
class Route:
    rule: Rule
    method: str

    @property
    def name(self) -> str:
        return f"{self.method} {self.rule.rule}"


def routes(app) -> list[Route]:  # noqa: ANN001
    return [Route(rule, method) for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            for method in sorted(rule.methods - SKIP_METHODS)]


def _arg_strategy(rule: Rule, name: str):  # noqa: ANN202
    converter = rule._converters[name]
    if isinstance(converter, NumberConverter):
        return INTS
    if isinstance(converter, PathConverter):
        return PATHS
    return st.sampled_from(["csv", "xlsx", "en", "th", "..", "%2e%2e"]) | SEGMENT


def _path_strategy(app, rule: Rule):  # noqa: ANN001, ANN202
    adapter = app.url_map.bind("wela.example.org", url_scheme="https")
    args = {name: _arg_strategy(rule, name) for name in rule.arguments}

    def built(values: dict[str, Any]) -> str:
        return adapter.build(rule.endpoint, values, force_external=False, append_unknown=False)

    return st.fixed_dictionaries(args).map(built)


class ErrorLog(logging.Handler):
    """Collects ERROR records of the app's loggers (wela, wela.voice, wela.sms …)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors():  # noqa: ANN201
    handler = ErrorLog()
    logger = logging.getLogger("wela")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _signed(route: Route) -> bool:
    bare = route.rule.rule
    return route.method == "POST" and bare.startswith(("/voice/", "/sms/"))


def _request(client, route: Route, path: str, query: dict, form: Optional[dict], raw: Optional[bytes], clock):  # noqa: ANN001, ANN202
    full = path + ("?" + urlencode(query) if query else "")
    kwargs: dict[str, Any] = {"method": route.method}
    if route.method != "GET":
        if raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        else:
            kwargs.update(data=form or {})
    headers = signed_headers(full, form if raw is None else None, raw or b"", clock)
    return client.open(full, headers=headers, **kwargs)


def _fuzz(app, route: Route, clock, errors: ErrorLog, signed_in: Optional[str]) -> None:  # noqa: ANN001
    client = app.test_client()
    w = app.extensions["wela"]
    bare = route.rule.rule
    body = (ANDROID_BODIES.map(lambda raw: (None, raw)) if bare == "/sms/android"
            else (TWILIO_FORMS if bare.startswith(("/voice/", "/sms/")) else FORMS).map(lambda f: (f, None)))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(path=_path_strategy(app, route.rule), query=QUERIES, body=body)
    def one(path: str, query: dict, body: tuple) -> None:
        form, raw = body
        if signed_in:
            with w.sessions.begin() as s:                       # a random form may have switched it off
                s.execute(update(User).values(active=True))
            sign_in(client, app, signed_in)
        errors.records.clear()
        response = _request(client, route, path, query, form, raw, clock)
        text = response.get_data().decode("utf-8", "replace")
        response.close()                                        # runs after-response work (SMS sends)
        logged = [f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in errors.records]
        assert response.status_code < 500 and not logged, (response.status_code, text[:500], logged[:1])
        assert "Traceback" not in text
        if _signed(route):                  # the random data got past the signature, into the handler
            assert response.status_code != 403, (path, query, form)

    one()


@pytest.mark.parametrize("who", ["signed-out", "manager"])
def test_no_random_request_to_any_route_gets_a_500_or_logs_an_error(tmp_path, clock, errors, who):
    app = build(tmp_path, clock, WTF_CSRF_ENABLED=(who == "signed-out"))
    try:
        found = routes(app)
        assert len({r.rule.endpoint for r in found}) >= 50          # the whole app, not a part of it
        failures = []
        for route in found:
            try:
                _fuzz(app, route, clock, errors, None if who == "signed-out" else "admin")
            except AssertionError as failure:
                failures.append(f"{route.name}: {failure}")
        assert not failures, "\n\n".join(failures)
    finally:
        app.extensions["wela"].close()


# ── A deterministic sweep beside the random one: every route, every known name, each nasty value ──

SWEEP = ["99999999999999999999999", "-1", "0", "9223372036854775808", "1e309", "nan", "", "\x00", "ก" * 3000,
         "<script>alert(1)</script>", "'; DROP TABLE members;--", "../../etc/passwd", "2026-02-30", "🙂",
         "1" * 5000]


def _sweep_path(app, rule: Rule, value: str) -> str:  # noqa: ANN001
    adapter = app.url_map.bind("wela.example.org", url_scheme="https")
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, NumberConverter):
            values[name] = int(value) if value.isascii() and value.isdigit() and len(value) < 40 else 1
        else:
            values[name] = value or "x"
    return adapter.build(rule.endpoint, values, force_external=False, append_unknown=False)


@pytest.mark.parametrize("who", ["signed-out", "manager"])
def test_every_route_with_every_known_field_set_to_each_nasty_value(tmp_path, clock, errors, who):
    app = build(tmp_path, clock, WTF_CSRF_ENABLED=(who == "signed-out"))
    w = app.extensions["wela"]
    client = app.test_client()
    failures = []
    try:
        for route in routes(app):
            bare = route.rule.rule
            names = TWILIO_NAMES if bare.startswith(("/voice/", "/sms/")) else FORM_NAMES
            for value in SWEEP:
                if who == "manager":
                    with w.sessions.begin() as s:
                        s.execute(update(User).values(active=True))
                    sign_in(client, app, "admin")
                form = {name: value for name in names}
                raw = json.dumps({"event": "sms:received", "id": value, "payload": {
                    "messageId": value, "message": value, "phoneNumber": value}}).encode() \
                    if bare == "/sms/android" else None
                errors.records.clear()
                path = _sweep_path(app, route.rule, value)
                response = _request(client, route, path, {name: value for name in QUERY_NAMES},
                                    form, raw, clock)
                response.close()
                logged = [f"{r.name}: {r.getMessage()} {(r.exc_text or '').splitlines()[-1:]}"
                          for r in errors.records]
                if response.status_code >= 500 or logged:
                    failures.append(f"{route.name} with {value[:30]!r}: {response.status_code} {logged[:1]}")
        assert not failures, "\n".join(failures)
    finally:
        w.close()
