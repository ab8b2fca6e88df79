"""Local fakes of the providers' HTTP APIs, served on loopback in a thread, for the real client libraries.

* ``FakeTwilio``: the REST Messages API (``POST`` and ``GET /2010-04-01/Accounts/{sid}/Messages.json``)
  with HTTP basic auth, form parameters and JSON answers shaped like Twilio's.
* ``FakeAndroidGateway``: SMS Gateway for Android's 3rd-party API (``POST /messages``,
  ``GET /messages/{id}``) with basic auth and JSON.
Both can fail the next N sends with a 500, or take a text and then answer too late (a timeout) or
not at all (the connection closed with no answer).
"""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

DROP = -1.0                       # a "delay" that means: close the connection, answer nothing


@dataclass
class Taken:
    id: str
    to: str
    body: str
    sender: str = ""
    callback: str = ""
    status: str = "queued"
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeProvider:
    """A loopback HTTP server; subclasses answer `route(method, path, query, headers, body)`."""

    user = "user"
    password = "secret"

    def __init__(self) -> None:
        self.messages: list[Taken] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_next = 0            # answer 500 to the next N sends (nothing taken)
        self.refuse_next = 0          # answer 400 to the next N sends
        self.slow_next = 0            # take the next N sends, then answer after `delay` seconds
        self.drop_next = 0            # take the next N sends, then hang up without an answer
        self.delay = 1.5
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                with provider.lock:
                    provider.requests.append((method, url.path))
                status, payload, delay = provider.answer(method, url.path, parse_qs(url.query),
                                                         self.headers, body)
                if delay == DROP:
                    self.close_connection = True
                    return
                if delay:
                    time.sleep(delay)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass                    # the client gave up waiting: that is the point

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def authorised(self, headers: Any) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return headers.get("Authorization", "") == f"Basic {expected}"

    def take(self, to: str, body: str, **extra: Any) -> tuple[Optional[Taken], Optional[tuple]]:
        """Apply the fault plan to one send: (the message taken, or an error answer)."""
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return None, (500, self.error(500, "Internal Server Error"), 0)
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return None, (400, self.error(400, "invalid phone number"), 0)
            message = Taken(id=extra.pop("id", None) or self.new_id(), to=to, body=body, **extra)
            self.messages.append(message)
            delay = 0.0
            if self.slow_next > 0:
                self.slow_next -= 1
                delay = self.delay
            elif self.drop_next > 0:
                self.drop_next -= 1
                delay = DROP
            return message, (None, None, delay)

    def bodies_to(self, phone: str) -> list[str]:
        return [m.body for m in self.messages if m.to == phone]

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def error(self, status: int, message: str) -> dict[str, Any]:
        return {"message": message}

    def answer(self, method: str, path: str, query: dict, headers: Any, body: bytes) -> tuple:
        raise NotImplementedError


class FakeTwilio(FakeProvider):
    user = "AC" + "0" * 32
    password = "twilio-auth-token"

    def new_id(self) -> str:
        return "SM" + uuid.uuid4().hex

    def error(self, status: int, message: str) -> dict[str, Any]:
        code = {400: 21211, 401: 20003, 500: 20500}.get(status, 20001)
        return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status}

    def resource(self, m: Taken) -> dict[str, Any]:
        return {"sid": m.id, "account_sid": self.user, "to": m.to, "from": m.sender, "body": m.body,
                "status": m.status, "num_segments": "1", "direction": "outbound-api",
                "date_created": format_datetime(m.created, usegmt=True), "date_updated": None,
                "date_sent": None, "error_code": None, "error_message": None, "price": None,
                "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{self.user}/Messages/{m.id}.json"}

    def answer(self, method: str, path: str, query: dict, headers: Any, body: bytes) -> tuple:
        if path != f"/2010-04-01/Accounts/{self.user}/Messages.json":
            return 404, self.error(404, "not found"), 0
        if not self.authorised(headers):
            return 401, self.error(401, "Authenticate"), 0
        if method == "GET":
            to = query.get("To", [""])[0]
            found = [self.resource(m) for m in reversed(self.messages) if not to or m.to == to]
            return 200, {"messages": found, "first_page_uri": "", "next_page_uri": None, "page": 0,
                         "page_size": 50, "previous_page_uri": None, "uri": path, "start": 0,
                         "end": len(found)}, 0
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if not form.get("To", "").startswith("+"):
            return 400, self.error(400, "The 'To' number is not a valid phone number."), 0
        message, failure = self.take(form["To"], form.get("Body", ""), sender=form.get("From", ""),
                                     callback=form.get("StatusCallback", ""))
        if message is None:
            return failure
        return 201, self.resource(message), failure[2]


class FakeAndroidGateway(FakeProvider):
    base = "/3rdparty/v1"

    @property
    def api_url(self) -> str:
        return self.url + self.base

    def state(self, m: Taken) -> dict[str, Any]:
        return {"id": m.id, "state": "Pending", "isHashed": False, "isEncrypted": False,
                "recipients": [{"phoneNumber": m.to, "state": "Pending"}]}

    def answer(self, method: str, path: str, query: dict, headers: Any, body: bytes) -> tuple:
        if not self.authorised(headers):
            return 401, {"message": "unauthorized"}, 0
        if method == "GET" and path.startswith(self.base + "/messages/"):
            wanted = path.rsplit("/", 1)[1]
            for m in self.messages:
                if m.id == wanted:
                    return 200, self.state(m), 0
            return 404, {"message": "message not found"}, 0
        if method == "POST" and path == self.base + "/messages":
            payload = json.loads(body)
            message, failure = self.take(payload["phoneNumbers"][0], payload["textMessage"]["text"],
                                         id=payload.get("id"))
            if message is None:
                return failure
            return 202, self.state(message), failure[2]
        return 404, {"message": "not found"}, 0
