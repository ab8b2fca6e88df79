"""The APScheduler heartbeat around Runner.tick: repeats, survives a crashed tick, runs once per process."""
import logging
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ledger.errors import InvalidInput
from ledger.members import register_member
from scheduler.orm import HelpRequest
from scheduler.requests import request_help
from tests.databases import migrated_sqlite
from wela import runner as heartbeat
from wela.app import create_app
from wela.db import atomic
from wela.wiring import scheduler_env


class CountingRunner:
    """Stands in for wela.wiring.runner(w): counts ticks, and crashes on the ones it is told to."""

    def __init__(self, crash_on=(), enough=3):
        self.ticks = 0
        self.crash_on = set(crash_on)
        self.enough = enough
        self.done = threading.Event()
        self.running = 0
        self.overlapped = False

    def tick(self):
        self.running += 1
        self.overlapped |= self.running > 1
        try:
            self.ticks += 1
            if self.ticks >= self.enough:
                self.done.set()
            if self.ticks in self.crash_on:
                raise RuntimeError("database went away")
            time.sleep(0.02)
            return {"match": 0}
        finally:
            self.running -= 1


NO_SETTINGS = SimpleNamespace(settings=SimpleNamespace(extra={}))


@pytest.fixture(autouse=True)
def no_runner_left_behind():
    yield
    heartbeat.stop_runner()
    assert heartbeat._running == []


def test_importing_the_module_starts_nothing():
    assert heartbeat._running == []
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


def test_the_background_runner_ticks_again_after_a_crashed_tick(caplog):
    fake = CountingRunner(crash_on={1}, enough=3)
    with caplog.at_level(logging.ERROR, logger="wela.runner"):
        scheduler = heartbeat.start_background_runner(NO_SETTINGS, seconds=0.05, runner=fake)
        assert fake.done.wait(5), f"only {fake.ticks} ticks"
    job = scheduler.get_job(heartbeat.JOB_ID)
    assert (job.max_instances, job.coalesce) == (1, True)
    assert any("tick failed" in r.message and r.exc_info for r in caplog.records)
    assert not fake.overlapped


def test_one_background_runner_per_process():
    first = heartbeat.start_background_runner(NO_SETTINGS, seconds=10, runner=CountingRunner())
    again = heartbeat.start_background_runner(NO_SETTINGS, seconds=0.01, runner=CountingRunner())
    assert again is first and len(heartbeat._running) == 1


def test_a_slow_tick_is_never_run_twice_at_once():
    class Slow(CountingRunner):
        def tick(self):
            out = super().tick()
            time.sleep(0.2)                         # longer than the interval
            return out

    fake = Slow(enough=3)
    heartbeat.start_background_runner(NO_SETTINGS, seconds=0.02, runner=fake)
    assert fake.done.wait(5)
    assert not fake.overlapped


def test_run_forever_ticks_in_the_foreground_until_stopped():
    fake = CountingRunner(crash_on={2}, enough=4)
    thread = threading.Thread(target=heartbeat.run_forever, args=(NO_SETTINGS,),
                              kwargs={"seconds": 0.05, "runner": fake})
    thread.start()
    assert fake.done.wait(5)
    heartbeat.stop_runner()
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.parametrize("extra, environ, seconds", [
    ({}, None, 15.0),
    ({"scheduler_seconds": "30"}, None, 30.0),
    ({}, "5", 5.0),
    ({"scheduler_seconds": "30"}, "5", 30.0),
])
def test_the_interval_comes_from_settings_then_the_environment(monkeypatch, extra, environ, seconds):
    if environ is None:
        monkeypatch.delenv("WELA_SCHEDULER_SECONDS", raising=False)
    else:
        monkeypatch.setenv("WELA_SCHEDULER_SECONDS", environ)
    w = SimpleNamespace(settings=SimpleNamespace(extra=extra))
    assert heartbeat.interval_seconds(w) == seconds
    assert heartbeat.interval_seconds(w, 2) == 2.0


@pytest.mark.parametrize("bad", ["0", "-5", "often", 0])
def test_a_bad_interval_is_refused(bad):
    with pytest.raises(InvalidInput):
        heartbeat.interval_seconds(NO_SETTINGS, bad)


def test_wela_serve_s_runner_offers_a_new_request_within_a_tick(tmp_path):
    """The real wiring (the channels' stand-ins while sms/ and voice/ are being written)."""
    app = create_app({"database_url": migrated_sqlite(tmp_path), "instance_path": str(tmp_path / "instance")})
    w = app.extensions["wela"]

    def village(s):
        add = lambda **f: register_member(s, clock=w.clock, entered_by="test", village="บ้านหนองบัว", **f)
        somsri = add(name="ยายสมศรี", phone="081-234-5678", role="elder", moo="5")
        add(name="สมชาย", phone="089-111-2233", role="volunteer", moo="5", skills="errand",
            availability="ทุกวัน เช้า บ่าย เย็น")
        return request_help(s, scheduler_env(w), member_id=somsri.id, category="errand", when="tomorrow").id

    request_id = atomic(w.sessions, village)
    heartbeat.start_background_runner(w, seconds=0.1)
    deadline = time.monotonic() + 10
    state = "open"
    while state == "open" and time.monotonic() < deadline:
        time.sleep(0.05)
        with w.sessions() as s:
            state = s.scalar(select(HelpRequest.state).where(HelpRequest.id == request_id))
    heartbeat.stop_runner()
    w.close()
    assert state == "offered"
