"""One pass of the scheduler's work (`tick`) and the APScheduler loop that repeats it."""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Callable, Mapping

from sqlalchemy.orm import Session, sessionmaker

from scheduler.context import Env
from scheduler.jobs import Handler, TickReport, run_due
from scheduler.offers import check_near, match_open_requests
from scheduler.recurring import plan_recurring
from scheduler.visits import HANDLERS

log = logging.getLogger("wela.scheduler")
Sweep = Callable[[Session, Env], int]
SWEEPS: dict[str, Sweep] = {"recurring": plan_recurring, "match": match_open_requests, "near": check_near}


@dataclass
class Runner:
    sessions: sessionmaker[Session]
    env: Env
    handlers: Mapping[str, Handler] = field(default_factory=lambda: dict(HANDLERS))
    sweeps: Mapping[str, Sweep] = field(default_factory=lambda: dict(SWEEPS))
    after: list[Callable[[], object]] = field(default_factory=list)   # e.g. send the SMS outbox
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def tick(self) -> dict[str, object]:
        """Sweeps (each in its own transaction), then due jobs, then the after-hooks."""
        out: dict[str, object] = {}
        for name, sweep in self.sweeps.items():
            try:
                with self.sessions.begin() as s:
                    out[name] = sweep(s, self.env)
            except Exception:  # noqa: BLE001  (one sweep failing must not stop the others)
                log.exception("sweep %s failed", name)
                out[name] = "error"
        report: TickReport = run_due(self.sessions, self.env, self.handlers, worker=self.worker)
        out["jobs"] = report
        for hook in self.after:
            try:
                out[getattr(hook, "__name__", "after")] = hook()
            except Exception:  # noqa: BLE001
                log.exception("after-tick hook failed")
        return out
