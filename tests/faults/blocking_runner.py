"""The scheduler runner as its own process, with a job handler that does its work and then blocks.

``python -m tests.faults.blocking_runner DATABASE_URL MARKER_FILE`` runs ``wela.runner.run_forever``
(APScheduler, ticking every 0.2 s) with one handler, ``effect``: it writes the job's effect row
inside the job's transaction, writes MARKER_FILE (so the test knows the lease is held and the work
is in flight), then sleeps: the test kills this process with SIGKILL before the job can commit.
The sleep is bounded, so a forgotten process ends by itself.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

EFFECTS = "job_effects"
BLOCK_SECONDS = 60


def record_effect(s, env, job) -> None:  # noqa: ANN001
    """The job's visible effect: one row per run (no unique key, so a second run would show)."""
    s.execute(text(f"INSERT INTO {EFFECTS} (job_key, worker) VALUES (:k, :w)"),
              {"k": job.key, "w": job.leased_by})


def main(url: str, marker: str) -> None:
    from ledger.clock import SystemClock
    from scheduler.context import Env
    from scheduler.ports import FakeCallPlacer, FakeNotifier
    from scheduler.runner import Runner
    from wela.bootstrap import bootstrap
    from wela.runner import run_forever
    from wela.settings import load_settings

    worker = f"doomed:{os.getpid()}"

    def effect_then_block(s, env, job) -> None:  # noqa: ANN001
        record_effect(s, env, job)
        s.flush()
        Path(marker).write_text(json.dumps({"job": job.id, "worker": job.leased_by, "pid": os.getpid()}))
        time.sleep(BLOCK_SECONDS)             # killed here, holding the lease and an open transaction

    w = bootstrap(load_settings(environ={"DATABASE_URL": url,
                                         "WELA_INSTANCE_PATH": tempfile.mkdtemp(prefix="wela-doomed-")}))
    env = Env(clock=SystemClock(), notifier=FakeNotifier(), calls=FakeCallPlacer())
    runner = Runner(w.sessions, env, handlers={"effect": effect_then_block}, sweeps={}, worker=worker)
    run_forever(w, seconds=0.2, runner=runner)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
