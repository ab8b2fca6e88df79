"""A job runner in its own process, for the test that two runners never do a job twice."""
from __future__ import annotations

import time

from sqlalchemy import func, select, text

from ledger.clock import SystemClock
from scheduler.context import Env
from scheduler.jobs import run_due
from scheduler.orm import Job
from scheduler.ports import FakeCallPlacer, FakeNotifier
from wela.db import make_engine, make_sessions

EFFECTS_TABLE = "CREATE TABLE job_effects (id integer primary key {auto}, job_key varchar(160), worker varchar(80))"


def record_effect(s, env, job) -> None:  # noqa: ANN001
    """The job's visible effect: one row per run (no unique key, so a second run would show)."""
    s.execute(text("INSERT INTO job_effects (job_key, worker) VALUES (:k, :w)"),
              {"k": job.key, "w": job.leased_by})
    time.sleep(0.002)                   # long enough for the runners to overlap


def run_until_empty(url: str, worker: str, start, deadline_seconds: float = 60.0) -> None:  # noqa: ANN001
    """Run due jobs until none is pending; `start` (a barrier) lets every runner begin together."""
    engine = make_engine(url, pool_size=2, max_overflow=0) if url.startswith("postgresql") else make_engine(url)
    sessions = make_sessions(engine)
    env = Env(clock=SystemClock(), notifier=FakeNotifier(), calls=FakeCallPlacer())
    start.wait(60)
    deadline = time.monotonic() + deadline_seconds
    try:
        while time.monotonic() < deadline:
            report = run_due(sessions, env, {"effect": record_effect}, worker=worker, limit=10)
            if report.claimed:
                continue
            with sessions() as s:
                if not s.scalar(select(func.count(Job.id)).where(Job.state == "pending")):
                    return
            time.sleep(0.01)
        raise SystemExit(f"{worker}: jobs still pending after {deadline_seconds} s")
    finally:
        engine.dispose()
