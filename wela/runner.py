"""The scheduler's heartbeat: APScheduler runs one runner tick every few seconds.

`wela serve` starts it in a background thread of its single worker (`start_background_runner`);
`wela scheduler run` runs it in the foreground (`run_forever`). Nothing starts at import time.
A tick that crashes is logged and the next one runs as planned: the jobs themselves are rows
claimed with leases, so a lost tick loses nothing and two runners never do a job twice.
"""
from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from datetime import datetime, timezone
from typing import Any, Optional, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ledger.errors import InvalidInput
from wela.bootstrap import Wela

log = logging.getLogger("wela.runner")
DEFAULT_SECONDS = 15.0
JOB_ID = "wela-scheduler-tick"

_lock = threading.Lock()
_running: list[BaseScheduler] = []


class Ticks(Protocol):
    def tick(self) -> dict[str, Any]: ...


def interval_seconds(w: Wela, seconds: Optional[float] = None) -> float:
    """How often to tick: the argument, else settings (`scheduler_seconds`), else
    WELA_SCHEDULER_SECONDS, else 15 seconds."""
    raw: Any = seconds
    if raw is None:
        raw = w.settings.extra.get("scheduler_seconds") or os.environ.get("WELA_SCHEDULER_SECONDS")
    if raw in (None, ""):
        return DEFAULT_SECONDS
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = 0.0
    if not value > 0:
        raise InvalidInput("ช่วงเวลาของตัวจัดงานต้องมากกว่า 0 วินาที",
                           f"the scheduler interval must be a number of seconds above 0, got {raw!r}")
    return value


def safe_tick(runner: Ticks) -> Optional[dict[str, Any]]:
    """One pass; an exception is logged, never raised, so the next tick goes on."""
    try:
        out = runner.tick()
    except Exception:  # noqa: BLE001
        log.exception("scheduler tick failed; the next tick will try again")
        return None
    log.debug("scheduler tick: %s", out)
    return out


def _add_tick(scheduler: BaseScheduler, runner: Ticks, seconds: float) -> None:
    scheduler.add_job(safe_tick, IntervalTrigger(seconds=seconds, timezone=timezone.utc), args=[runner],
                      id=JOB_ID, name="wela scheduler tick", max_instances=1, coalesce=True,
                      misfire_grace_time=None, next_run_time=datetime.now(timezone.utc),
                      replace_existing=True)


def _runner(w: Wela, runner: Optional[Ticks]) -> Ticks:
    if runner is not None:
        return runner
    from wela.wiring import runner as make_runner

    return make_runner(w)


def start_background_runner(w: Wela, *, seconds: Optional[float] = None,
                            runner: Optional[Ticks] = None) -> BackgroundScheduler:
    """Tick in a background thread of this process (once per process: a second call returns the first)."""
    with _lock:
        for scheduler in _running:
            if isinstance(scheduler, BackgroundScheduler) and scheduler.running:
                return scheduler
        every = interval_seconds(w, seconds)
        scheduler = BackgroundScheduler(timezone=timezone.utc, daemon=True)
        _add_tick(scheduler, _runner(w, runner), every)
        scheduler.start()
        _running.append(scheduler)
    atexit.register(stop_runner)
    log.info("scheduler runner started in the background, every %s s", every)
    return scheduler


def run_forever(w: Wela, *, seconds: Optional[float] = None, runner: Optional[Ticks] = None) -> None:
    """Tick in the foreground until Ctrl+C, SIGTERM or `stop_runner()`."""
    every = interval_seconds(w, seconds)
    scheduler = BlockingScheduler(timezone=timezone.utc)
    _add_tick(scheduler, _runner(w, runner), every)
    with _lock:
        _running.append(scheduler)
    log.info("scheduler runner started, every %s s", every)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if in_main else None
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        _forget(scheduler)             # lets a tick in progress finish
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def stop_runner(wait: bool = True) -> None:
    """Stop every runner this process started (the tick in progress, if any, finishes first)."""
    with _lock:
        schedulers = list(_running)
    for scheduler in schedulers:
        _forget(scheduler, wait)


def _forget(scheduler: BaseScheduler, wait: bool = True) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=wait)
    with _lock:
        if scheduler in _running:
            _running.remove(scheduler)
