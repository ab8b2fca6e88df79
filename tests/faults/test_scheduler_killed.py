"""The scheduler process is killed in the middle of a job: nothing of that job is committed; when its
lease runs out another runner takes the job again, and the job's effect is in the database once.

How the fault is made real: a real subprocess (tests/faults/blocking_runner.py) runs
``wela.runner.run_forever`` with a handler that writes the job's effect and then blocks inside the
job's open transaction. The test waits for it to hold the lease, then sends SIGKILL: no handler,
no clean-up, its transaction and (SQLite) its write lock die with it. On SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from ledger.clock import FakeClock, as_utc
from scheduler.context import Env
from scheduler.jobs import LEASE, enqueue, run_due
from scheduler.orm import Job
from scheduler.ports import FakeCallPlacer, FakeNotifier
from scheduler.runner import Runner
from tests.faults.blocking_runner import EFFECTS, record_effect
from tests.faults.pgcluster import wait_until
from wela.db import atomic

pytestmark = pytest.mark.fault

REPO = Path(__file__).resolve().parents[2]
KEY = "effect:ยายสมศรี-reminder"


def _effects_table(engine) -> Table:  # noqa: ANN001
    table = Table(EFFECTS, MetaData(), Column("id", Integer, primary_key=True),
                  Column("job_key", String(160)), Column("worker", String(80)))
    table.create(engine)
    return table


def _start_doomed_runner(url: str, marker: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "tests.faults.blocking_runner", url, str(marker)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_runner_killed_mid_job_commits_nothing_and_the_job_runs_once_after_its_lease(db, tmp_path):
    effects = _effects_table(db.engine)
    now = datetime.now(timezone.utc)
    job_id = atomic(db.sessions, lambda s: enqueue(s, key=KEY, kind="effect", due_at=now - timedelta(seconds=1)).id)

    marker = tmp_path / "in-flight.json"
    doomed = _start_doomed_runner(db.url, marker)
    try:
        wait_until(lambda: marker.exists() or doomed.poll() is not None, 60)
        if not marker.exists():
            doomed.kill()
            _, err = doomed.communicate(timeout=30)
            pytest.fail(f"the runner never reached the job: {err.decode(errors='replace')[-2000:]}")
        in_flight = json.loads(marker.read_text())
        assert in_flight["job"] == job_id and in_flight["pid"] == doomed.pid
        os.kill(doomed.pid, signal.SIGKILL)                   # no handler, no clean-up
        assert doomed.wait(timeout=30) == -signal.SIGKILL
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(timeout=30)
        for stream in (doomed.stdout, doomed.stderr):
            stream.close()

    # Its work died with it: the job still waits, leased to the dead worker; no effect was committed.
    with db.sessions() as s:
        job = s.get(Job, job_id)
        assert (job.state, job.leased_by, job.attempts, job.done_at) == \
            ("pending", in_flight["worker"], 0, None)
        lease_until = as_utc(job.lease_until)
        assert lease_until > now
        assert s.scalar(select(func.count()).select_from(effects)) == 0

    # Another runner, at once: the lease is still held, so it leaves the job alone (and, on SQLite,
    # the dead process's write lock is gone: the claim does not wait out the busy timeout).
    clock = FakeClock(now)
    env = Env(clock=clock, notifier=FakeNotifier(), calls=FakeCallPlacer())
    heir = Runner(db.sessions, env, handlers={"effect": record_effect}, sweeps={}, worker="heir")
    started = time.monotonic()
    assert heir.tick()["jobs"].claimed == 0
    assert time.monotonic() - started < 5

    # After the lease runs out, the heir takes the job and its effect is committed with it, once.
    clock.set(lease_until + timedelta(seconds=1))
    report = heir.tick()["jobs"]
    assert (report.claimed, report.done) == (1, 1)
    assert run_due(db.sessions, env, {"effect": record_effect}, worker="late").claimed == 0
    clock.advance(seconds=LEASE.total_seconds() * 2)
    assert heir.tick()["jobs"].claimed == 0
    with db.sessions() as s:
        job = s.get(Job, job_id)
        assert (job.state, job.lease_until) == ("done", None) and job.done_at is not None
        rows = s.execute(select(effects.c.job_key, effects.c.worker)).all()
    assert [tuple(r) for r in rows] == [(KEY, "heir")]
