"""Province scale, the day: simulated callers and volunteers driving the real webhooks and use cases.

The clock is a ``FakeClock`` moved in ticks of five simulated minutes. In each tick, the people whose
moment has come act at once in several threads (as several web workers would serve them): an elder
walks a whole IVR call through the Flask app (signed webhooks, as Twilio posts them), a volunteer
answers an offer or reports done by SMS webhook, an elder picks up a reminder or confirmation call.
Then the bank's side runs as in production: the scheduler's ``Runner`` (sweeps, then due jobs, more
runners when jobs pile up), the SMS outbox flushed by several senders through a fast in-memory
gateway, the call queue through a fake dialer. What was sent decides what people do next. Idle
stretches (the night) are skipped to the next moment something is due.
"""
from __future__ import annotations

import heapq
import itertools
import random
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from sqlalchemy import Engine, event, text
from twilio.request_validator import RequestValidator

from bench.province_load import BANGKOK, HOURS, START, People, Scale
from prompts_th.catalogue import text as prompt
from scheduler.jobs import run_due
from scheduler.runner import Runner
from sms.gateways.base import SendResult
from sms.outbox import flush as flush_sms
from voice.outbound import flush as flush_calls
from voice.simulator import Phone
from wela.wiring import scheduler_env

TOKEN = "bench-token-0123456789abcdef0123"
PUBLIC = "https://wela.example.org"
BANK = "+6620000000"
TICK = timedelta(minutes=5)
CATEGORY_KEYS = (("1", "clinic", 30), ("2", "errand", 30), ("3", "home", 15), ("4", "visit", 25))
MAX_TICKS = 20_000
ARRIVAL = "calls to ask for help"


class FastGateway:
    """An in-memory SMS provider that takes every text at once (safe to share between threads)."""

    name = "bench"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0

    def send(self, to: str, body: str, *, ref: str) -> SendResult:
        with self._lock:
            self.sent += 1
            number = self.sent
        return SendResult(f"SM{number:010d}")

    def find(self, to: str, body: str, *, ref: str, exclude: Any = frozenset()) -> Optional[SendResult]:
        return None


class Statements:
    """Counts the statements run on one engine and the time spent in them."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._local.t = time.perf_counter()

    def _after(self, *args: Any) -> None:
        spent = time.perf_counter() - getattr(self._local, "t", time.perf_counter())
        with self._lock:
            self.count += 1
            self.seconds += spent


def _signed(path: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)}


class Simulation:
    """The busiest day's callers and everything their calls set going, on a shared simulated timeline."""

    def __init__(self, app: Any, scale: Scale, people: People, driver: Engine) -> None:
        self.app, self.w, self.scale, self.people, self.driver = app, app.extensions["wela"], scale, people, driver
        self.clock = self.w.clock
        self.rng = random.Random(scale.seed + 1)
        self.runner = Runner(self.w.sessions, scheduler_env(self.w))
        self.timeline: list[tuple[datetime, int, str, Callable[[], int]]] = []
        self.order = itertools.count()
        self.local = threading.local()
        self.lock = threading.Lock()
        self.tally: Counter[str] = Counter()
        self.ticks: list[dict[str, Any]] = []
        self.seen_calls = 0
        self.last_offer = 0
        self.stopped_early = ""
        self.arrivals: list[datetime] = []
        self.actions: dict[str, tuple[int, float]] = {}      # kind → (count, wall seconds)
        self.bank: dict[str, float] = {}                     # part of the bank's side → wall seconds

    # the timeline
    def at(self, moment: datetime, action: Callable[[], int], kind: str) -> None:
        with self.lock:                            # people act in worker threads and plan their next step
            heapq.heappush(self.timeline, (moment, next(self.order), kind, action))

    def act(self, kind: str, action: Callable[[], int], errors: list[str]) -> int:
        """One person's action, timed by kind; an exception is counted, never raised."""
        started = time.perf_counter()
        try:
            return action()
        except Exception as exc:  # noqa: BLE001  (one person's failure stops nobody)
            errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
            return 0
        finally:
            with self.lock:
                count, seconds = self.actions.get(kind, (0, 0.0))
                self.actions[kind] = (count + 1, seconds + time.perf_counter() - started)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.tally[what] += n

    def client(self) -> Any:
        if not hasattr(self.local, "client"):
            self.local.client = self.app.test_client()
        return self.local.client

    # what people do: each returns the number of webhooks it posted
    def elder_asks(self, elder: int, category_key: str, when_key: str) -> int:
        phone = Phone(self.client(), self.w.settings, self.people.phone[elder], bank=BANK)
        phone.call()
        for key in ("1", category_key, when_key):
            phone.press(key)
        turn = phone.press("1")
        phone.hang_up(duration=70)
        self.count("asked" if turn.heard and turn.heard[0].text == prompt("ivr.ask.saved") else "ask refused")
        return 6

    def text(self, member: int, body: str) -> int:
        sid = "SM" + uuid.uuid4().hex
        params = {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "SmsSid": sid, "From": self.people.phone[member],
                  "To": BANK, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
        response = self.client().post("/sms/incoming", data=params, headers=_signed("/sms/incoming", params))
        response.close()                       # as a server does: the texts queued for this number go out
        self.count("sms webhooks" if response.status_code == 200 else "sms webhook errors")
        return 1

    def volunteer_accepts(self, volunteer: int, request_id: int, code: str) -> int:
        posted = self.text(volunteer, f"1 {code}")
        with self.driver.connect() as conn:
            row = conn.execute(text("SELECT state, volunteer_id, planned_start, minutes FROM help_requests "
                                    "WHERE id = :id"), {"id": request_id}).one()
        if row.state == "assigned" and row.volunteer_id == volunteer and row.planned_start is not None:
            self.count("accepted")
            if self.rng.random() < 0.9:
                done = row.planned_start + timedelta(minutes=row.minutes + self.rng.choice((0, 15, 30, 60)))
                self.at(done, lambda: self.text(volunteer, f"เสร็จ {code}"), "texts เสร็จ (done)")
        return posted

    def elder_picks_up(self, call: dict[str, str], purpose: str, choice: str) -> int:
        phone = Phone(self.client(), self.w.settings, call["to"], bank=BANK, sid=call["sid"],
                      direction="outbound-api")
        if choice == "none":
            phone.hang_up(status="no-answer", duration=0, path=call["status_callback"])
            return 1
        phone.answer(call["url"])
        posted = 2
        if purpose == "confirm" and phone.turn.waits == "gather":
            phone.press(choice)
            posted += 1
        phone.hang_up(duration=40, path=call["status_callback"])
        return posted

    # reading what the bank sent (the driver's own connection, not counted as the bank's work)
    def react(self) -> None:
        now = self.clock.now()
        with self.driver.connect() as conn:
            offers = conn.execute(text("SELECT id, request_id, volunteer_id, code FROM offers WHERE id > :last "
                                       "ORDER BY id"), {"last": self.last_offer}).all()
            calls = self.w.adapters.call_placer.calls[self.seen_calls:]
            self.seen_calls += len(calls)
            orders = {int(re.search(r"order=(\d+)", c["url"]).group(1)): c for c in calls}
            purposes = dict(conn.execute(text("SELECT id, purpose FROM voice_outbound_calls WHERE id = ANY(:ids)"),
                                         {"ids": list(orders)}).all()) if orders else {}
        for offer in offers:
            self.last_offer = offer.id
            seen = _awake(now)
            roll = self.rng.random()
            if roll < 0.75:
                self.at(seen + timedelta(minutes=self.rng.choice((5, 10, 20, 45, 90))),
                        lambda o=offer: self.volunteer_accepts(o.volunteer_id, o.request_id, o.code),
                        "texts 1 (accept)")
            elif roll < 0.9:
                self.at(seen + timedelta(minutes=self.rng.choice((5, 15, 30))),
                        lambda o=offer: self.text(o.volunteer_id, f"2 {o.code}"), "texts 2 (decline)")
        for order_id, call in orders.items():
            purpose = purposes.get(order_id, "")
            roll = self.rng.random()
            choice = "none" if roll < 0.12 else ("2" if roll < 0.16 else "1")
            self.count(f"calls placed: {purpose}")
            kind = "does not pick up" if choice == "none" else f"takes the {purpose} call"
            self.at(now + timedelta(minutes=1), lambda c=call, p=purpose, ch=choice: self.elder_picks_up(c, p, ch),
                    kind)

    # the bank's side of a tick
    def bank_tick(self, pool: ThreadPoolExecutor) -> int:
        t = time.perf_counter()
        out = self.runner.tick()
        t = self._spent("runner ticks (sweeps, first 50 jobs)", t)
        jobs = out["jobs"].done + out["jobs"].retried + out["jobs"].failed
        if out["jobs"].claimed >= 50:
            def drain() -> int:
                done = 0
                for _ in range(200):
                    report = run_due(self.w.sessions, self.runner.env, self.runner.handlers, worker=self.runner.worker)
                    done += report.claimed
                    if not report.claimed:
                        break
                return done
            jobs += sum(pool.map(lambda _: drain(), range(self.scale.threads)))
            t = self._spent("more jobs (parallel runners)", t)

        def send() -> None:
            for _ in range(200):
                if not flush_sms(self.w, limit=100):
                    break
        list(pool.map(lambda _: send(), range(self.scale.threads)))
        t = self._spent("SMS outbox flushes", t)
        for _ in range(100):
            if not flush_calls(self.w, limit=50):
                break
        self._spent("call queue flushes", t)
        return jobs

    def _spent(self, part: str, since: float) -> float:
        now = time.perf_counter()
        self.bank[part] = self.bank.get(part, 0.0) + now - since
        return now

    def next_moment(self) -> datetime:
        now = self.clock.now()
        candidates = [now + timedelta(hours=1)]
        if self.timeline:
            candidates.append(self.timeline[0][0])
        with self.driver.connect() as conn:
            for sql in ("SELECT min(due_at) FROM jobs WHERE state = 'pending'",
                        "SELECT min(coalesce(next_attempt_at, created_at)) FROM voice_outbound_calls "
                        "WHERE status = 'queued'",
                        "SELECT min(coalesce(next_attempt_at, created_at)) FROM sms_outbox WHERE status = 'queued'"):
                due = conn.execute(text(sql)).scalar()
                if due is not None:
                    candidates.append(_awake(due) if "sms_outbox" in sql else due)
        moment = max(min(candidates), now + TICK)
        steps = -(-(moment - now) // TICK)                      # whole ticks, rounded up
        return now + steps * TICK

    def plan_arrivals(self) -> int:
        """The whole busiest day is drawn (so a slice is the same callers in every run); the callers
        of the slice's hours are kept."""
        rng = random.Random(self.scale.seed + 2)
        first, last = self.scale.slice_hours
        elders = rng.sample(self.people.elders, min(self.scale.day_requests, len(self.people.elders)))
        for elder in elders:
            hour = rng.choices(list(HOURS), list(HOURS.values()))[0]
            moment = START.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
            key = rng.choices([k for k, _, _ in CATEGORY_KEYS], [w for _, _, w in CATEGORY_KEYS])[0]
            when = rng.choices(("1", "2", "3"), (0.15, 0.5, 0.35) if hour < 12 else (0.0, 0.6, 0.4))[0]
            if first <= hour < last:
                self.arrivals.append(moment)
                self.at(moment, lambda e=elder, k=key, w=when: self.elder_asks(e, k, w), ARRIVAL)
        return len(self.arrivals)

    def run(self) -> dict[str, Any]:
        planned = self.plan_arrivals()
        last_arrival = max((item[0] for item in self.timeline), default=START)
        end = START + timedelta(days=self.scale.max_days)
        started = time.perf_counter()
        self.clock.set(START)
        errors: list[str] = []
        with ThreadPoolExecutor(self.scale.threads) as pool:
            for _ in range(MAX_TICKS):
                now = self.clock.now()
                spent = time.perf_counter() - started
                if now >= end:
                    self.stopped_early = f"stopped at the {self.scale.max_days}-day horizon"
                    break
                if spent > 1.5 * self.scale.wall_budget:
                    self.stopped_early = (f"stopped at simulated {_local(now)}: 1.5 × the wall budget "
                                          f"({self.scale.wall_budget:.0f} s) spent")
                    break
                if spent > self.scale.wall_budget and now < last_arrival and not self.stopped_early:
                    self.stopped_early = (f"wall budget of {self.scale.wall_budget:.0f} s spent at simulated "
                                          f"{_local(now)}: {self._drop_arrivals()} later callers dropped")
                due = []
                while self.timeline and self.timeline[0][0] <= now:
                    due.append(heapq.heappop(self.timeline)[2:])
                sent_before, calls_before = self.w.adapters.sms_gateway.sent, len(self.w.adapters.call_placer.calls)
                t0 = time.perf_counter()
                webhooks = sum(pool.map(lambda item: self.act(*item, errors), due))
                t1 = time.perf_counter()
                jobs = self.bank_tick(pool)
                t2 = time.perf_counter()
                self.react()
                self.ticks.append({"at": _local(now), "actions": len(due), "webhooks": webhooks, "jobs": jobs,
                                   "sms_out": self.w.adapters.sms_gateway.sent - sent_before,
                                   "calls_out": len(self.w.adapters.call_placer.calls) - calls_before,
                                   "wall": t2 - t0, "people_wall": t1 - t0})
                if not self.timeline and now > last_arrival and self._settled():
                    break
                self.clock.set(self.next_moment())
        by_day: dict[str, float] = {}
        for tick in self.ticks:
            by_day[tick["at"][:10]] = by_day.get(tick["at"][:10], 0.0) + tick["wall"]
        return {"planned": planned, "wall": time.perf_counter() - started, "errors": errors[:5],
                "error_count": len(errors), "simulated_until": _local(self.clock.now()), "wall_by_day": by_day}

    def _drop_arrivals(self) -> int:
        kept = [item for item in self.timeline if item[2] != ARRIVAL]
        dropped = len(self.timeline) - len(kept)
        self.timeline = kept
        heapq.heapify(self.timeline)
        return dropped

    def _settled(self) -> bool:
        """Nothing left that the bank would do by itself: no due job, text or call to come. (Requests
        that wait for a person, a dispute or an elder who never confirmed, stay as they are.)"""
        with self.driver.connect() as conn:
            left = conn.execute(text(
                "SELECT (SELECT count(*) FROM jobs WHERE state = 'pending') "
                "+ (SELECT count(*) FROM sms_outbox WHERE status IN ('queued', 'sending')) "
                "+ (SELECT count(*) FROM voice_outbound_calls WHERE status IN ('queued', 'calling', 'in-progress'))"
            )).scalar()
        return left == 0


def _awake(moment: datetime) -> datetime:
    """When a person reads a text sent at `moment`: at once by day, at 07:00 after the quiet hours."""
    local = moment.astimezone(BANGKOK)
    if 7 <= local.hour < 21:
        return moment
    day = local.date() + timedelta(days=1 if local.hour >= 21 else 0)
    return datetime.combine(day, datetime.min.time().replace(hour=7), BANGKOK)



def _local(moment: datetime) -> str:
    return f"{moment.astimezone(BANGKOK):%a %d %b %H:%M}"
