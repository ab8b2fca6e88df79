"""Benchmark: SMS in (signed Twilio webhooks through gunicorn) and SMS out (the outbox), each beside a bare baseline.

Run with ``python -m bench.sms [--quick] [--postgres-url URL]``. Figures, each beside a baseline
measured in the same run:

* **Inbound texts.** The Wela app (``create_app`` on a fresh SQLite file with 1,000 registered
  volunteers, signatures checked) and a bare Flask app that answers every ``POST /sms/incoming``
  with an empty TwiML ``<Response/>`` are served at once by the same gunicorn settings as the IVR
  benchmark (1 gthread worker × ``wela serve``'s default threads; BENCH_WORKERS / BENCH_THREADS
  override) on 127.0.0.1.
  50 client threads post signed webhooks the way Twilio does, each from its own 20 volunteers'
  numbers (so no number trips the flood limit), cycling through what volunteers text: ยอด
  (balance), 1 (accept, with no offer open: the kind "no offer" reply), เสร็จ (done, nothing
  assigned), ช่วย (help) and a greeting the parser does not know. Each text is stored once, parsed,
  run through the use cases, answered in TwiML and its reply recorded in the outbox, all before
  the answer. *Latency* (senders pause 0.5–1.5 s, about 50 texts/s offered): p50, p95, p99;
  *throughput* (no pauses): texts/s, over four short rounds per server taken in turn (Wela, bare,
  bare, Wela, …), as in the IVR benchmark, so the machine's drift weighs on both alike.
* **Outbox sending.** N queued texts to N numbers, sent by ``sms.outbox.flush`` (claim in batches
  of 100, send, record each as sent) through a gateway that POSTs each text over a kept-alive HTTP
  connection to a fake provider in another process on loopback; beside a bare loop that calls the
  same gateway for the same texts. On SQLite, and on PostgreSQL when a server answers.

Client, server and provider share this machine's CPUs, so the ratios say more than the numbers.
Bounded: each phase runs a fixed number of seconds or texts.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from twilio.request_validator import RequestValidator

from bench.ivr import GUNICORN, _free_port, _q, in_turn, seeds, serving

SENDERS = 50
NUMBERS_PER_SENDER = 20
LATENCY_SECONDS = 8.0
THROUGHPUT_SECONDS = 6.0
THINK = (0.5, 1.5)          # 50 senders offer about 50 texts/s: a busy province, well below capacity
OUTBOX_TEXTS = 2000
TOKEN = "bench-token-0123456789abcdef0123"
BODIES = ("ยอด", "1", "เสร็จ", "ช่วย", "สวัสดีครับ")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
NOON = datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Asia/Bangkok"))     # outside the quiet hours


# ── The two apps gunicorn serves (factories, built in the worker) ────────────────────

def wela_app():  # noqa: ANN201
    from wela.app import create_app

    return create_app()


def bare_app():  # noqa: ANN201
    from flask import Flask, Response

    app = Flask("bare")

    @app.post("/sms/incoming")
    def empty() -> Response:
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return app


def _phone(i: int) -> str:
    return f"+6689{i:07d}"


def _seed(url: str, members: int) -> None:
    """Migrate and register the volunteers whose numbers text in (register_member, one transaction)."""
    from ledger.clock import SystemClock
    from ledger.members import register_member
    from wela.db import atomic, make_engine, make_sessions, upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        clock = SystemClock()

        def work(s: Any) -> None:
            for i in range(members):
                register_member(s, clock=clock, entered_by="bench", name=f"อาสา {i}", phone=_phone(i),
                                role="volunteer", village="บ้านทดสอบ", availability="ทุกวัน เช้า")
        atomic(make_sessions(engine), work)
    finally:
        engine.dispose()


# ── Inbound: senders posting signed webhooks ──────────────────────────────────────────

class _Sender(threading.Thread):
    def __init__(self, port: int, numbers: list[str], until: float, think: bool, seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.numbers, self.until, self.think = port, numbers, until, think
        self.random = random.Random(seed)
        self.ms: list[float] = []
        self.errors = 0
        self.validator = RequestValidator(TOKEN)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            for n in range(1_000_000):
                if time.monotonic() >= self.until:
                    break
                if self.think:
                    time.sleep(self.random.uniform(*THINK))
                self._post(conn, self.numbers[n % len(self.numbers)], BODIES[(n + self.random.randrange(5)) % 5])
        finally:
            conn.close()

    def _post(self, conn: http.client.HTTPConnection, phone: str, body: str) -> None:
        sid = "SM" + uuid.UUID(int=self.random.getrandbits(128)).hex
        form = {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "SmsSid": sid, "From": phone,
                "To": "+6620000000", "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
        url = f"http://127.0.0.1:{self.port}/sms/incoming"
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": self.validator.compute_signature(url, form)}
        start = time.perf_counter()
        try:
            conn.request("POST", "/sms/incoming", urlencode(form), headers)
            response = conn.getresponse()
            answer = response.read()
            ok = response.status == 200 and answer.lstrip().startswith(b"<?xml")
        except (OSError, http.client.HTTPException):
            conn.close()
            ok = False
        if time.monotonic() < self.until:
            self.ms.append((time.perf_counter() - start) * 1000)
        self.errors += not ok


def _drive(port: int, seconds: float, think: bool) -> dict[str, float]:
    until = time.monotonic() + seconds
    senders = [_Sender(port, [_phone(i * NUMBERS_PER_SENDER + k) for k in range(NUMBERS_PER_SENDER)], until, think,
                       seed) for i, seed in enumerate(seeds(SENDERS))]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(seconds + 60)
    times = sorted(ms for s in senders for ms in s.ms)
    return {"p50": _q(times, 0.50), "p95": _q(times, 0.95), "p99": _q(times, 0.99), "texts": len(times),
            "errors": sum(s.errors for s in senders)}


def inbound(latency_s: float = LATENCY_SECONDS, throughput_s: float = THROUGHPUT_SECONDS) -> tuple[dict, dict]:
    """Both servers started at once; latency one after the other, throughput in rounds taken in turn."""
    with tempfile.TemporaryDirectory(prefix="wela-bench-sms-") as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        _seed(url, SENDERS * NUMBERS_PER_SENDER)
        env = {**os.environ, "DATABASE_URL": url, "WELA_INSTANCE_PATH": f"{folder}/instance",
               "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "WELA_PUBLIC_URL": "",
               "WELA_SMS_GATEWAY": "console", "WELA_SCHEDULER_IN_SERVE": "0"}
        with serving({"wela": "bench.sms:wela_app()", "bare": "bench.sms:bare_app()"}, env) as servers:
            for server in servers.values():
                _drive(server.port, 1.0, think=False)            # warm-up: imports, caches, pools
            latency = {name: _drive(server.port, latency_s, think=True) for name, server in servers.items()}
            throughput = in_turn(servers, throughput_s, lambda port, s: _drive(port, s, think=False), ("texts",))
    wela, bare = ({"latency": latency[name], "throughput": {"rps": throughput[name]["texts"],
                                                            "errors": throughput[name]["errors"]}}
                  for name in ("wela", "bare"))
    return wela, bare


# ── Outbound: the outbox through a loopback provider ──────────────────────────────────

PROVIDER = """
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
count = 0
class Provider(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True          # headers and body leave at once: no 40 ms delayed-ACK stall
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        count += 1
        body = json.dumps({"sid": f"SM{count:032d}", "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Provider).serve_forever()
"""


@contextmanager
def provider() -> Iterator[int]:
    """A fake SMS provider in its own process: every POST is a text taken (201 with an id)."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", PROVIDER, str(port)])
    try:
        import socket

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class LoopbackGateway:
    """An SMS gateway that POSTs each text to the loopback provider over a kept-alive connection."""

    name = "loopback"

    def __init__(self, port: int) -> None:
        self.port = port
        self._local = threading.local()

    def send(self, to: str, body: str, *, ref: str) -> Any:
        from sms.gateways.base import GatewayError, SendResult

        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/messages", json.dumps({"to": to, "body": body, "ref": ref}),
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError) as exc:
            conn.close()
            self._local.conn = None
            raise GatewayError(f"loopback provider: {type(exc).__name__}", in_doubt=True) from None
        return SendResult(answer["sid"])

    def find(self, to: str, body: str, *, ref: str, exclude: Any = frozenset()) -> Optional[Any]:
        return None


def _fill(w: Any, texts: int, round_: int) -> list[tuple[str, str, str]]:
    """Queue `texts` offers, one per number; returns (to, body, ref) for the bare loop."""
    from sms.outbox import enqueue
    from wela.db import atomic

    def work(s: Any) -> list[tuple[str, str, str]]:
        out = []
        for i in range(texts):
            row = enqueue(s, key=f"bench:{round_}:{i}", to_phone=_phone(100_000 * (round_ + 1) + i),
                          body=f"มีงานช่วยยายสมศรี {i} ไปหาหมอ จ. 16 พ.ย. 9:00 ตอบ 1 รับ 2 ไม่รับ", purpose="offer",
                          now=w.clock.now(), template="sms.offer")
            out.append((row.to_phone, row.body, row.ref))
        return out
    return atomic(w.sessions, work)


def outbox(url: str, port: int, texts: int, rounds: int = 2) -> dict[str, float]:
    """(flush texts/s, bare texts/s) over `rounds` alternating rounds of `texts` each."""
    from ledger.clock import FakeClock
    from sms.outbox import flush
    from wela.bootstrap import Adapters, bootstrap
    from wela.settings import load_settings

    gateway = LoopbackGateway(port)
    with tempfile.TemporaryDirectory(prefix="wela-bench-outbox-") as folder:
        settings = load_settings(overrides={"instance_path": Path(folder), "database_url": url})
        w = bootstrap(settings, clock=FakeClock(NOON), adapters=Adapters(sms_gateway=gateway))
        try:
            w.upgrade()
            elapsed = {"flush": 0.0, "bare": 0.0}
            sent = 0
            for r in range(rounds):
                queued = _fill(w, texts, r)
                t = time.perf_counter()
                for _ in range(10 * texts // 100 + 10):          # bounded: ten times the batches needed
                    report = flush(w, limit=100)
                    sent += report.get("sent", 0)
                    if not report:
                        break
                elapsed["flush"] += time.perf_counter() - t
                t = time.perf_counter()
                for to, body, ref in queued:
                    gateway.send(to, body, ref=ref)
                elapsed["bare"] += time.perf_counter() - t
            if sent != texts * rounds:
                raise RuntimeError(f"the outbox sent {sent} of {texts * rounds} texts")
            return {"flush": sent / elapsed["flush"], "bare": texts * rounds / elapsed["bare"]}
        finally:
            w.close()


# ── Rows ──────────────────────────────────────────────────────────────────────────

def run(postgres_url: Optional[str] = None, *, quick: bool = False) -> list[dict]:
    """Measure and return rows {benchmark, figure, baseline, ratio, unit, note}."""
    from bench.ledger import DEFAULT_POSTGRES, _row, postgres_database, postgres_unavailable

    latency_s, throughput_s, texts = (3.0, 3.0, 300) if quick else (LATENCY_SECONDS, THROUGHPUT_SECONDS, OUTBOX_TEXTS)
    wela, bare = inbound(latency_s, throughput_s)
    errors = (f"errors wela {wela['latency']['errors'] + wela['throughput']['errors']:.0f}, "
              f"bare {bare['latency']['errors'] + bare['throughput']['errors']:.0f}")
    note = (f"{SENDERS} senders, gunicorn {' '.join(GUNICORN[:6])}, SQLite, loopback; baseline: bare Flask "
            f"returning empty TwiML; {errors}")
    rows = [_row(f"SMS webhook latency {q} ({SENDERS} senders, pauses {THINK[0]}–{THINK[1]} s)", wela["latency"][q],
                 bare["latency"][q], "ms", note) for q in ("p50", "p95", "p99")]
    rows.append(_row(f"SMS webhooks handled per second ({SENDERS} senders, no pauses)", wela["throughput"]["rps"],
                     bare["throughput"]["rps"], "texts/s", note))
    admin = postgres_url or os.environ.get("WELA_TEST_DATABASE_URL") or DEFAULT_POSTGRES
    skipped = postgres_unavailable(admin)
    with provider() as port:
        with tempfile.TemporaryDirectory(prefix="wela-bench-outbox-db-") as folder:
            r = outbox(f"sqlite:///{folder}/outbox.sqlite3", port, texts)
        rows.append(_outbox_row("SQLite", r, texts))
        if skipped:
            rows.append(_row("SMS outbox flush, PostgreSQL", None, None, "", f"skipped: {skipped}"))
        else:
            with postgres_database(admin) as url:
                rows.append(_outbox_row("PostgreSQL", outbox(url, port, texts), texts))
    return rows


def _outbox_row(name: str, r: dict[str, float], texts: int) -> dict:
    from bench.ledger import _row

    return _row(f"SMS outbox flush, {name}: texts sent per second", r["flush"], r["bare"], "texts/s",
                f"{2 * texts:,} texts to as many numbers, flush(limit=100) through an HTTP gateway to a "
                f"loopback provider; baseline: a bare loop calling the same gateway for the same texts")


def main(argv: Optional[list[str]] = None) -> None:
    import argparse

    from bench.report import table

    parser = argparse.ArgumentParser(prog="python -m bench.sms", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--quick", action="store_true", help="3-second phases, 300 texts per outbox round")
    args = parser.parse_args(argv)
    print(table(run(args.postgres_url, quick=args.quick)))


if __name__ == "__main__":
    main()
