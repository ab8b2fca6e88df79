"""Due work as database rows: enqueue once by key, claim with a lease, run exactly once.

A runner claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write transaction
serialises the claim), then runs each job in its own transaction that also marks it done, so a
job's effects and its "done" commit together. A runner killed mid-job commits nothing; its lease
runs out and another runner takes the job again.
"""
from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Optional

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ledger.clock import as_utc
from ledger.errors import WelaError
from scheduler.context import Env
from scheduler.orm import Job

log = logging.getLogger("wela.jobs")
Handler = Callable[[Session, Env, Job], None]
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)


def enqueue(s: Session, *, key: str, kind: str, due_at: datetime, request_id: Optional[int] = None,
            payload: Optional[dict[str, Any]] = None) -> Job:
    """Add a job unless one with this key exists (then that one is returned)."""
    found = s.scalar(select(Job).where(Job.key == key))
    if found is not None:
        return found
    job = Job(key=key[:160], kind=kind, due_at=due_at, request_id=request_id, payload=payload or {},
              state="pending", attempts=0)
    s.add(job)
    s.flush()
    return job


def claim(s: Session, *, now: datetime, worker: str, limit: int = 50) -> list[int]:
    ids = list(s.scalars(
        select(Job.id).where(Job.state == "pending", Job.due_at <= now,
                             or_(Job.lease_until.is_(None), Job.lease_until < now))
        .order_by(Job.due_at, Job.id).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        s.execute(update(Job).where(Job.id.in_(ids)).values(lease_until=now + LEASE, leased_by=worker))
    return ids


@dataclass
class TickReport:
    claimed: int = 0
    done: int = 0
    retried: int = 0
    failed: int = 0


def run_due(sessions: sessionmaker[Session], env: Env, handlers: Mapping[str, Handler], *,
            worker: str, limit: int = 50) -> TickReport:
    report = TickReport()
    with sessions.begin() as s:
        ids = claim(s, now=env.now(), worker=worker, limit=limit)
    report.claimed = len(ids)
    for job_id in ids:
        outcome = run_one(sessions, env, handlers, job_id, worker=worker)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def run_one(sessions: sessionmaker[Session], env: Env, handlers: Mapping[str, Handler], job_id: int,
            *, worker: str) -> str:
    try:
        with sessions.begin() as s:
            job = s.scalar(select(Job).where(Job.id == job_id).with_for_update()
                           .execution_options(populate_existing=True))
            if job is None or job.state != "pending" or job.leased_by != worker:
                return "done"                   # someone else finished or re-claimed it
            handler = handlers.get(job.kind)
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            try:
                handler(s, env, job)
                note = None
            except WelaError as err:            # the world moved on (request cancelled …): nothing to do
                note = f"skipped: {err.en}"
            job.state, job.done_at, job.lease_until, job.last_error = "done", env.now(), None, note
        return "done"
    except Exception as exc:  # noqa: BLE001  (a crashed job is retried later, never lost)
        log.warning("job %s failed: %s", job_id, exc)
        with sessions.begin() as s:
            job = s.get(Job, job_id)
            job.attempts += 1
            job.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            job.lease_until = None
            if job.attempts >= MAX_ATTEMPTS:
                job.state = "failed"
                return "failed"
            job.due_at = env.now() + timedelta(seconds=30 * 2 ** job.attempts)
        return "retried"


def pending_jobs(s: Session, request_id: Optional[int] = None) -> list[Job]:
    stmt = select(Job).where(Job.state == "pending").order_by(Job.due_at)
    if request_id is not None:
        stmt = stmt.where(Job.request_id == request_id)
    return list(s.scalars(stmt))


def is_due(job: Job, now: datetime) -> bool:
    return as_utc(job.due_at) <= now
