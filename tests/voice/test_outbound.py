"""Outbound calls through a real twilio Client pointed at a local fake of Twilio's Calls API (loopback only)."""
from __future__ import annotations

import base64
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from scheduler.ports import CallOrder
from tests.voice.conftest import PUBLIC, SOMSRI, TOKEN, build_app
from tests.voice.helpers import post, twilio_fields
from voice import outbound
from voice.orm import CallbackRequest, OutboundCall
from voice.twilio_calls import TwilioDialer
from wela.db import atomic

ACCOUNT = "AC" + "1" * 32


class FakeTwilio(ThreadingHTTPServer):
    """POST /2010-04-01/Accounts/<sid>/Calls.json, answered like Twilio (or with the error we ask for)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.created: list[dict] = []
        self.answers: list[tuple[int, dict]] = []          # queued replies; default 201
        self.delay = 0.0
        self.hang_up = 0                                   # take the next N calls, answer nothing

    def handle_error(self, request, client_address) -> None:
        pass                      # the client gave up (the timeout test): nothing to report

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        server: FakeTwilio = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = parse_qs(body)
        server.created.append({"path": self.path, "form": form, "auth": self.headers.get("Authorization", "")})
        time.sleep(server.delay)
        if server.hang_up:
            server.hang_up -= 1
            self.close_connection = True                   # the call is made; its answer is lost
            return
        status, payload = server.answers.pop(0) if server.answers else (201, {})
        if status == 201:
            payload = {"sid": f"CA{len(server.created):032x}", "status": "queued", "to": form["To"][0],
                       "from": form["From"][0], "account_sid": ACCOUNT, **payload}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def twilio():
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def app(db, clock, tmp_path, village, twilio):
    app = build_app(db, clock, tmp_path, None, twilio_api_base=twilio.base)
    yield app
    app.extensions["wela"].close()


def queue(w, village, key="confirm-call:1", purpose="confirm"):
    order = CallOrder(village.somsri, SOMSRI, purpose, key)
    return atomic(w.sessions, lambda s: outbound.CallQueue(w.clock).place(s, order))


def order_row(w, key="confirm-call:1") -> OutboundCall:
    with w.sessions() as s:
        return s.scalar(select(OutboundCall).where(OutboundCall.key == key))


def callback(client, row: OutboundCall, status: str, attempt=None, sid=None):
    path = f"/voice/status?order={row.id}&attempt={attempt or row.attempts}"
    return post(client, path, twilio_fields(sid or row.call_sid or "CA" + "9" * 32, CallStatus=status,
                                            Direction="outbound-api"))


def test_a_queued_call_is_placed_through_twilios_calls_api_with_status_callbacks(app, w, village, twilio):
    queue(w, village)
    queue(w, village)                                            # the same key: one row
    assert outbound.flush(w) == {"dialled": 1}
    (made,) = twilio.created
    form = made["form"]
    assert made["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert made["auth"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    row = order_row(w)
    assert form["To"] == [SOMSRI] and form["From"] == ["+6620000000"]
    assert form["Url"] == [f"{PUBLIC}/voice/outbound?order={row.id}&attempt=1"]
    assert form["StatusCallback"] == [f"{PUBLIC}/voice/status?order={row.id}&attempt=1"]
    assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert (row.status, row.attempts, row.call_sid) == ("calling", 1, f"CA{1:032x}")
    assert outbound.flush(w) == {}                               # nothing due: not dialled twice


def test_busy_and_unanswered_calls_are_tried_again_spaced_then_given_up(app, client, w, village, twilio, clock):
    queue(w, village)
    outbound.flush(w)
    callback(client, order_row(w), "busy")
    row = order_row(w)
    assert (row.status, row.next_attempt_at) == ("queued", clock.now() + timedelta(minutes=5))
    assert outbound.flush(w) == {}
    clock.advance(minutes=5)
    outbound.flush(w)
    callback(client, order_row(w), "no-answer")
    assert order_row(w).next_attempt_at == clock.now() + timedelta(minutes=15)
    clock.advance(minutes=15)
    outbound.flush(w)
    callback(client, order_row(w), "no-answer")
    row = order_row(w)
    assert (row.status, row.attempts, len(twilio.created)) == ("no-answer", 3, 3)
    clock.advance(hours=1)
    assert outbound.flush(w) == {}


def test_repeated_late_and_out_of_order_callbacks_change_nothing(app, client, w, village, clock):
    queue(w, village)
    outbound.flush(w)
    first = order_row(w)
    callback(client, first, "busy")
    callback(client, first, "busy", attempt=1, sid=first.call_sid)          # Twilio repeats itself
    assert (order_row(w).status, order_row(w).attempts) == ("queued", 1)
    clock.advance(minutes=5)
    outbound.flush(w)
    second = order_row(w)
    callback(client, second, "no-answer", attempt=1, sid=first.call_sid)    # late, for attempt 1
    assert order_row(w).status == "calling"
    callback(client, second, "in-progress")
    callback(client, second, "completed")
    callback(client, second, "ringing")                                    # arrives after the end
    callback(client, second, "in-progress")
    row = order_row(w)
    assert (row.status, row.attempts) == ("completed", 2)


def test_a_number_twilio_refuses_fails_at_once_and_a_server_error_is_retried(app, w, village, twilio):
    twilio.answers = [(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}),
                      (500, {"code": 20500, "message": "Internal Server Error", "status": 500})]
    queue(w, village, key="a")
    queue(w, village, key="b")
    assert outbound.flush(w) == {"failed": 1, "retried": 1}
    refused, retried = order_row(w, "a"), order_row(w, "b")
    assert refused.status == "failed" and "400" in refused.last_error and refused.attempts == 3
    assert retried.status == "queued" and "500" in retried.last_error


def test_a_callback_the_bank_cannot_place_becomes_a_callback_for_a_person(app, client, w, village, clock):
    queue(w, village, key="missed:CA1", purpose="callback")
    for _ in range(3):
        outbound.flush(w)
        callback(client, order_row(w, "missed:CA1"), "no-answer")
        clock.advance(minutes=20)
    with w.sessions() as s:
        person = s.scalar(select(CallbackRequest))
        assert (person.reason, person.phone, person.member_id) == ("callback_failed", SOMSRI, village.somsri)


def test_a_request_that_times_out_is_in_doubt_until_a_callback_or_the_lease_settles_it(db, clock, tmp_path,
                                                                                      village, twilio):
    dialer = TwilioDialer(ACCOUNT, TOKEN, "+6620000000", api_base=twilio.base, timeout=0.3)
    app = build_app(db, clock, tmp_path, dialer, twilio_api_base=twilio.base)
    w = app.extensions["wela"]
    twilio.delay = 0.8
    queue(w, village)
    assert outbound.flush(w) == {"in_doubt": 1}
    assert (order_row(w).status, order_row(w).call_sid) == ("calling", None)
    callback(app.test_client(), order_row(w), "completed", sid="CA" + "7" * 32)
    assert order_row(w).status == "completed"
    queue(w, village, key="second")
    outbound.flush(w)
    clock.advance(minutes=16)
    twilio.delay = 0
    assert outbound.flush(w) == {"lost": 1}
    assert order_row(w, "second").status == "queued"
    w.close()


def test_twilio_hanging_up_on_a_request_is_in_doubt_and_an_unreachable_twilio_is_tried_again(
        db, clock, tmp_path, village, twilio):
    app = build_app(db, clock, tmp_path, None, twilio_api_base=twilio.base)
    w = app.extensions["wela"]
    twilio.hang_up = 1
    queue(w, village)
    assert outbound.flush(w) == {"in_doubt": 1}
    assert order_row(w).status == "calling"                  # it may be ringing: not dialled again
    clock.advance(minutes=10)
    assert outbound.flush(w) == {} and len(twilio.created) == 1
    w.close()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{unused.getsockname()[1]}"
    app = build_app(db, clock, tmp_path, None, twilio_api_base=nobody)
    w = app.extensions["wela"]
    queue(w, village, key="second")
    assert outbound.flush(w) == {"retried": 1}               # never reached Twilio: surely not ringing
    row = order_row(w, "second")
    assert (row.status, row.next_attempt_at) == ("queued", clock.now() + timedelta(minutes=5))
    w.close()


def test_without_twilio_the_console_dialer_logs_and_completes(db, clock, tmp_path, village):
    app = build_app(db, clock, tmp_path, None, twilio_account_sid="", twilio_auth_token="")
    w = app.extensions["wela"]
    queue(w, village)
    assert outbound.flush(w) == {"completed": 1}
    assert order_row(w).status == "completed" and order_row(w).call_sid.startswith("CAconsole")
    with w.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboundCall)) == 1
    w.close()
