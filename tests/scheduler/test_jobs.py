"""Due jobs as rows: enqueued once, retried with backoff, re-claimed after a crash, never done twice."""
import multiprocessing
from datetime import timedelta

from sqlalchemy import func, select, text

from ledger.errors import Conflict
from ledger.orm import BankSetting
from scheduler.jobs import LEASE, MAX_ATTEMPTS, claim, enqueue, pending_jobs, run_due, run_one
from scheduler.orm import Job
from tests.scheduler import workers
from wela.db import atomic


class Recorder:
    """A job handler that remembers every run (and can be told to fail)."""

    def __init__(self, fail_with=None):
        self.runs = []
        self.fail_with = fail_with

    def __call__(self, s, env, job):
        self.runs.append(job.key)
        s.add(BankSetting(key=f"effect:{job.key}:{len(self.runs)}", value=job.leased_by or ""))
        s.flush()
        if self.fail_with is not None:
            raise self.fail_with


def add_job(db, clock, key="remind:somsri", kind="remind", **kw):
    return atomic(db.sessions, lambda s: enqueue(s, key=key, kind=kind, due_at=clock.now(), **kw).id)


def job(db, job_id):
    with db.sessions() as s:
        return s.get(Job, job_id)


def effects(db):
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(BankSetting).where(BankSetting.key.like("effect:%")))


def test_enqueue_is_idempotent_by_key(db, clock):
    first = add_job(db, clock, payload={"when": "evening"})
    again = atomic(db.sessions, lambda s: enqueue(s, key="remind:somsri", kind="remind",
                                                  due_at=clock.now() + timedelta(days=1),
                                                  payload={"when": "hour"}))
    assert again.id == first
    with db.sessions() as s:
        assert [(j.id, j.payload) for j in pending_jobs(s)] == [(first, {"when": "evening"})]


def test_a_due_job_runs_once_and_its_effect_commits_with_done(db, clock, env):
    handler = Recorder()
    job_id = add_job(db, clock)
    report = run_due(db.sessions, env, {"remind": handler}, worker="runner-1")
    again = run_due(db.sessions, env, {"remind": handler}, worker="runner-1")
    assert (report.claimed, report.done, again.claimed) == (1, 1, 0)
    assert handler.runs == ["remind:somsri"] and effects(db) == 1
    assert job(db, job_id).state == "done"


def test_a_job_not_yet_due_waits(db, clock, env):
    handler = Recorder()
    atomic(db.sessions, lambda s: enqueue(s, key="later", kind="remind", due_at=clock.now() + timedelta(hours=1)))
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-1").claimed == 0
    clock.advance(hours=1)
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-1").done == 1


def test_a_job_that_raises_is_retried_with_growing_backoff_and_finally_failed(db, clock, env):
    handler = Recorder(fail_with=RuntimeError("the SMS gateway is down"))
    job_id = add_job(db, clock)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = run_due(db.sessions, env, {"remind": handler}, worker="runner-1")
        j = job(db, job_id)
        assert j.attempts == attempt and "the SMS gateway is down" in j.last_error
        if attempt < MAX_ATTEMPTS:
            assert report.retried == 1 and j.state == "pending"
            wait = j.due_at - clock.now()
            waits.append(wait)
            clock.advance(seconds=wait.total_seconds() - 1)
            assert run_due(db.sessions, env, {"remind": handler}, worker="runner-1").claimed == 0
            clock.advance(seconds=1)
        else:
            assert report.failed == 1 and j.state == "failed"
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert effects(db) == 0                       # every failed run rolled its effect back
    clock.advance(days=1)
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-1").claimed == 0
    assert len(handler.runs) == MAX_ATTEMPTS


def test_a_job_whose_request_moved_on_is_done_with_a_note_not_retried(db, clock, env):
    handler = Recorder(fail_with=Conflict("คำขอนี้ยกเลิกแล้ว", "the request was cancelled"))
    job_id = add_job(db, clock)
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-1").done == 1
    j = job(db, job_id)
    assert j.state == "done" and j.last_error == "skipped: the request was cancelled"


def test_a_job_of_an_unknown_kind_is_retried_not_lost(db, clock, env):
    job_id = add_job(db, clock, kind="mystery")
    assert run_due(db.sessions, env, {}, worker="runner-1").retried == 1
    assert "no handler" in job(db, job_id).last_error


def test_a_runner_killed_mid_job_leaves_it_to_another_after_the_lease(db, clock, env):
    handler = Recorder()
    job_id = add_job(db, clock)
    claimed = atomic(db.sessions, lambda s: claim(s, now=clock.now(), worker="killed-runner"))
    assert claimed == [job_id]                    # … and then the process died
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-2").claimed == 0
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-2").claimed == 0
    clock.advance(seconds=2)
    assert run_due(db.sessions, env, {"remind": handler}, worker="runner-2").done == 1
    # the first runner wakes up after all and tries to finish its claim: nothing happens twice
    assert run_one(db.sessions, env, {"remind": handler}, job_id, worker="killed-runner") == "done"
    assert handler.runs == ["remind:somsri"] and effects(db) == 1
    assert job(db, job_id).leased_by == "runner-2"


def test_two_runner_processes_never_do_a_job_twice(db, clock):
    """300 jobs, three runner processes started together on one database: each job done exactly once.

    (SQLite serialises writers, so one runner may well do every job there; the count still holds.)"""
    auto = "" if db.backend == "sqlite" else "generated always as identity"
    with db.engine.begin() as conn:
        conn.execute(text(workers.EFFECTS_TABLE.format(auto=auto)))
    due = clock.now() - timedelta(days=1000)       # the children use the real clock: all due
    atomic(db.sessions, lambda s: [enqueue(s, key=f"job:{i}", kind="effect", due_at=due) for i in range(300)])
    db.engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(3)
    procs = [ctx.Process(target=workers.run_until_empty, args=(db.url, f"runner-{i}", start))
             for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(90)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    with db.engine.connect() as conn:
        runs = dict(conn.execute(text("SELECT job_key, count(*) FROM job_effects GROUP BY job_key")).all())
        by_worker = dict(conn.execute(text("SELECT worker, count(*) FROM job_effects GROUP BY worker")).all())
    with db.sessions() as s:
        states = dict(s.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    assert len(runs) == 300 and set(runs.values()) == {1}
    assert states == {"done": 300}
    if db.backend == "postgresql":      # SKIP LOCKED lets them work side by side; SQLite takes turns
        assert len(by_worker) >= 2, f"the runners did not overlap: {by_worker}"
