"""Benchmark: one IVR step under 50 concurrent simulated callers, against gunicorn on loopback.

Run with ``python -m bench.ivr``. The Wela app (``create_app`` on a fresh SQLite file with 50
registered elders, signatures checked) and a bare Flask app that returns one fixed TwiML are
served by the same gunicorn settings (1 gthread worker × ``wela serve``'s default threads,
as it runs SQLite; BENCH_WORKERS / BENCH_THREADS override) on 127.0.0.1, both started at once
and driven in turn. Each of 50 client threads walks whole calls the way Twilio would post them,
every request signed:
``/voice/incoming`` → 3 (balance) → 1 (ask) → 2 (errand) → 2 (tomorrow) → 1 (saved) → status.
The instance's audio folder holds a (silent) rendered file for every slot-free prompt, so the
replies <Play> them as in a bank that ran ``wela prompts render``. Two phases, the same for both:

* *latency*: callers pause 0.2–0.6 s between steps (an elder pauses far longer), so the figures
  are the time to serve one step while 50 calls are in progress: p50, p95, p99 (target p95 < 25 ms).
  The callers' first calls start at random moments within the first second, as calls arrive, not
  all in the same millisecond (that burst queued 50 answers at once and was most of the p99);
* *throughput*: no pauses, every caller posts as fast as answers come: steps per second
  (target: at least half the bare endpoint's), and whole calls walked to the hang-up per second,
  over eight rounds of 2 s per server taken in turn (Wela, bare, bare, Wela, …), so the machine's
  drift within the run weighs on both alike.

Client and server share this machine's CPUs, so the ratios say more than the absolute numbers.
Bounded: each phase runs a fixed number of seconds; the whole run takes well under 90 s.
"""
from __future__ import annotations

import http.client
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from wela.cli import THREADS

CALLERS = 50
LATENCY_SECONDS = 8.0
THROUGHPUT_SECONDS = 16.0              # per server, in ROUNDS rounds taken in turn with the other's
ROUNDS = 8
THINK = (0.2, 0.6)
STAGGER = 1.0                    # latency phase: first calls begin within this many seconds
TOKEN = "bench-token-0123456789abcdef0123"
WALK = ("3", "1", "2", "2", "1")
GUNICORN = ["--workers", os.environ.get("BENCH_WORKERS", "1"), "--worker-class", "gthread",
            "--threads", os.environ.get("BENCH_THREADS", str(THREADS)), "--keep-alive", "5",
            "--log-level", "warning", "--timeout", "30", "--no-control-socket"]
FIXED_TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/step?n=1&amp;on=gather" '
               'actionOnEmptyResult="true" input="dtmf" numDigits="1" timeout="8"><Say language="th-TH">'
               'ขอความช่วยเหลือ กด 1</Say></Gather></Response>')


# ── The two apps gunicorn serves (factories, built in the worker) ────────────────────

def wela_app():  # noqa: ANN201
    from wela.app import create_app

    return create_app()


def bare_app():  # noqa: ANN201
    from flask import Flask, Response

    app = Flask("bare")

    @app.post("/voice/<path:anything>")
    def fixed(anything: str) -> Response:
        return Response(FIXED_TWIML, mimetype="application/xml")

    return app


# ── Setting up and serving ────────────────────────────────────────────────────────

def _phone(i: int) -> str:
    return f"+668100{i:05d}"


def _prepare(folder: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
           "WELA_INSTANCE_PATH": str(folder / "instance"), "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "WELA_PUBLIC_URL": "", "WELA_SCHEDULER_IN_SERVE": "0"}
    code = ("from ledger.clock import SystemClock\n"
            "from ledger.members import register_member\n"
            "from wela.app import create_app\nfrom wela.db import atomic\n"
            "w = create_app().extensions['wela']\nw.upgrade()\n"
            "def work(s):\n"
            f"    for i in range({CALLERS}):\n"
            "        register_member(s, clock=SystemClock(), entered_by='bench', name=f'ยายทดสอบ {i}',\n"
            f"                        phone='+668100' + str(i).zfill(5), role='elder', village='บ้านทดสอบ')\n"
            "atomic(w.sessions, work)\nw.close()\n"
            "import hashlib, json\nfrom prompts_th import catalogue\nfrom voice.audio import spoken_form\n"
            f"folder = __import__('pathlib').Path({str(folder / 'instance' / 'audio')!r})\n"
            "folder.mkdir(parents=True, exist_ok=True)\n"
            "for key in catalogue.keys():\n"
            "    if catalogue.slots(key): continue\n"
            "    text = spoken_form(catalogue.text(key)); h = hashlib.sha256(text.encode()).hexdigest()\n"
            "    (folder / (h + '.wav')).write_bytes(b'RIFF')\n"
            "    (folder / (h + '.json')).write_text(json.dumps({'key': h, 'text': text}))\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=Path(__file__).parents[1])
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{self.port}", target],
            env=env, cwd=Path(__file__).parents[1])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start for {target}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextmanager
def serving(targets: dict[str, str], env: dict[str, str]) -> Iterator[dict[str, _Server]]:
    """One gunicorn a target, all started before the first is driven, all stopped after."""
    servers: dict[str, _Server] = {}
    try:
        for name, target in targets.items():
            servers[name] = _Server(target, env)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


# ── Callers ───────────────────────────────────────────────────────────────────────

class _Caller(threading.Thread):
    def __init__(self, port: int, phone: str, until: float, think: bool, seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.phone, self.until, self.think = port, phone, until, think
        self.random = random.Random(seed)
        self.step_ms: list[tuple[str, float]] = []
        self.errors = 0
        self.calls = 0                   # whole calls walked to the hang-up before the phase ended
        self.validator = RequestValidator(TOKEN)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        if self.think:
            time.sleep(self.random.uniform(0, STAGGER))
        try:
            while time.monotonic() < self.until:
                self._one_call(conn)
        finally:
            conn.close()

    def _one_call(self, conn: http.client.HTTPConnection) -> None:
        sid = "CA%032x" % self.random.getrandbits(128)
        base = {"AccountSid": "AC" + "0" * 32, "CallSid": sid, "From": self.phone, "To": "+6620000000",
                "Direction": "inbound", "CallStatus": "in-progress", "ApiVersion": "2010-04-01"}
        self._post(conn, "/voice/incoming", base, timed="incoming")
        for n, key in enumerate(WALK, start=1):
            if time.monotonic() >= self.until:
                break
            if self.think:
                time.sleep(self.random.uniform(*THINK))
            self._post(conn, f"/voice/step?n={n}&on=gather", {**base, "Digits": key},
                       timed="save" if n == len(WALK) else "menu")
        self._post(conn, "/voice/status", {**base, "CallStatus": "completed", "CallDuration": "40"}, timed="")
        if time.monotonic() < self.until:
            self.calls += 1

    def _post(self, conn: http.client.HTTPConnection, path: str, form: dict[str, str], *, timed: str) -> None:
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": self.validator.compute_signature(f"http://127.0.0.1:{self.port}{path}",
                                                                          form)}
        start = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            ok = response.status in (200, 204)
        except (OSError, http.client.HTTPException):
            conn.close()
            ok = False
        if timed and time.monotonic() < self.until:
            self.step_ms.append((timed, (time.perf_counter() - start) * 1000))
        self.errors += not ok


_SEEDS = itertools.count()


def seeds(n: int) -> list[int]:
    """Seeds for the n simulated people of one phase, never those of an earlier phase: a phase that
    replayed the warm-up's CallSids (or MessageSids) would be timing the cheap idempotent answer to
    a repeated webhook, not the work of a new call."""
    return [next(_SEEDS) for _ in range(n)]


def _drive(port: int, seconds: float, think: bool) -> dict[str, float]:
    until = time.monotonic() + seconds
    callers = [_Caller(port, _phone(i), until, think, seed) for i, seed in enumerate(seeds(CALLERS))]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    timed = [kind_ms for c in callers for kind_ms in c.step_ms]
    times = sorted(ms for _, ms in timed)
    by_kind = {kind: sorted(ms for k, ms in timed if k == kind) for kind in ("incoming", "menu", "save")}
    return {"p50": _q(times, 0.50), "p95": _q(times, 0.95), "p99": _q(times, 0.99),
            **{f"p95_{kind}": _q(ms, 0.95) for kind, ms in by_kind.items()},
            "steps": len(times), "errors": sum(c.errors for c in callers), "calls": sum(c.calls for c in callers)}


def _q(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def in_turn(servers: dict[str, "_Server"], seconds: float, drive: Callable[[int, float], dict[str, float]],
            counted: tuple[str, ...], rounds: int = ROUNDS) -> dict[str, dict[str, float]]:
    """Each server driven by ``drive(port, seconds)`` over ``rounds`` short rounds taken in turn, in the
    order A B B A A B B A…, so that the machine's drift (its speed wanders by a fifth within a minute)
    falls on both alike instead of on whichever ran second. Returns, per server, each ``counted``
    figure summed over its rounds and divided by their seconds (so: per second), and its errors.

    ``drive`` counts what was answered within its round; the round's length is its seconds, not the
    time until the answers still in flight when it closed have come back. Those (50 webhooks queued,
    and each caller's hang-up after them) were work left uncounted, and 50 of a slower server's
    answers take longer: timed from start to the last join, rounds of 2 s took Wela 6–8 % longer
    than their window, the bare server 3–4 % (three runs, 2026-12-03), a ratio 0.01–0.02 too low."""
    totals = {name: dict.fromkeys((*counted, "errors", "seconds"), 0.0) for name in servers}
    names = list(servers)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            result = drive(servers[name].port, seconds / rounds)
            t = totals[name]
            t["seconds"] += seconds / rounds
            for key in (*counted, "errors"):
                t[key] += result[key]
    return {name: {**{key: t[key] / t["seconds"] for key in counted}, "errors": t["errors"]}
            for name, t in totals.items()}


def _throughput(servers: dict[str, "_Server"], seconds: float) -> dict[str, dict[str, float]]:
    """Steps and whole calls a second, no pauses, both servers in turn (``in_turn``)."""
    per_second = in_turn(servers, seconds, lambda port, s: _drive(port, s, think=False), ("steps", "calls"))
    return {name: {"rps": r["steps"], "cps": r["calls"], "errors": r["errors"]} for name, r in per_second.items()}


# ── Rows ──────────────────────────────────────────────────────────────────────────

def run(latency_seconds: float = LATENCY_SECONDS, throughput_seconds: float = THROUGHPUT_SECONDS) -> list[dict]:
    """Measure and return rows {benchmark, figure, baseline, ratio, unit, note}; shorter phases for a quick run."""
    with tempfile.TemporaryDirectory(prefix="wela-bench-ivr-") as folder:
        env = _prepare(Path(folder))
        with serving({"ivr": "bench.ivr:wela_app()", "bare": "bench.ivr:bare_app()"}, env) as servers:
            for server in servers.values():
                _drive(server.port, 1.5, think=False)          # warm-up: imports, caches, pools
            latency = {name: _drive(server.port, latency_seconds, think=True) for name, server in servers.items()}
            throughput = _throughput(servers, throughput_seconds)
    ivr = {"latency": latency["ivr"], "throughput": throughput["ivr"]}
    bare = {"latency": latency["bare"], "throughput": throughput["bare"]}
    load = os.getloadavg()[0]
    note = (f"{CALLERS} callers, gunicorn {' '.join(GUNICORN[:6])}, SQLite, loopback, {os.cpu_count()} CPUs "
            f"(load average {load:.1f} at the end); "
            f"errors ivr {ivr['latency']['errors'] + ivr['throughput']['errors']:.0f}, "
            f"bare {bare['latency']['errors'] + bare['throughput']['errors']:.0f}")
    rows = [_row(f"IVR step latency {q} ({CALLERS} calls in progress)", ivr["latency"][q], bare["latency"][q],
                 "ms", note + ("; target p95 < 25 ms" if q == "p95" else ""))
            for q in ("p50", "p95", "p99")]
    rows += [_row(f"IVR {label} p95 ({CALLERS} calls in progress)", ivr["latency"][f"p95_{kind}"],
                  bare["latency"][f"p95_{kind}"], "ms", note)
             for kind, label in (("incoming", "call answered (/voice/incoming)"),
                                 ("menu", "menu key step"), ("save", "request-saving step"))]
    rows.append(_row(f"IVR steps per second ({CALLERS} callers, no pauses)", ivr["throughput"]["rps"],
                     bare["throughput"]["rps"], "steps/s", note + "; target ratio ≥ 0.5"))
    rows.append(_row(f"IVR whole calls per second ({CALLERS} callers, no pauses)", ivr["throughput"]["cps"],
                     bare["throughput"]["cps"], "calls/s",
                     note + f"; a call is {len(WALK) + 2} webhooks: incoming, {len(WALK)} keys, status"))
    return rows


def _row(benchmark: str, figure: float, baseline: float, unit: str, note: str) -> dict:
    return {"benchmark": benchmark, "figure": _significant(figure), "baseline": _significant(baseline),
            "ratio": _significant(figure / baseline) if baseline else float("nan"), "unit": unit, "note": note}


def _significant(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def main() -> None:
    rows = run()
    width = max(len(r["benchmark"]) for r in rows)
    print(f"{'benchmark':<{width}}  {'wela':>9}  {'bare':>9}  {'ratio':>7}  unit")
    for r in rows:
        print(f"{r['benchmark']:<{width}}  {r['figure']:>9}  {r['baseline']:>9}  {r['ratio']:>7}  {r['unit']}")
    print(f"\n{rows[0]['note']}")
    p95, rps = rows[1], next(r for r in rows if r["unit"] == "steps/s")
    print(f"p95 {p95['figure']} ms (target < 25 ms): {'met' if p95['figure'] < 25 else 'NOT met'}; "
          f"throughput ratio {rps['ratio']} (target ≥ 0.5): {'met' if rps['ratio'] >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
