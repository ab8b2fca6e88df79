"""Province scale, the people: 100,000 members in 1,000 villages, bulk-loaded into PostgreSQL by COPY.

Each village has 100 members: 60 elders, 35 volunteers, 4 who do both, and its headman, who is
the village's coordinator (the bank's alerts about that village's requests go to them). Every
member has a credit and a loan account and the starting credits paid from issuance as balanced
postings, as ``open_account`` would have made them, so ``wela ledger check`` is clean before the
first call.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

BANGKOK = ZoneInfo("Asia/Bangkok")
START = datetime(2026, 11, 16, 6, 0, tzinfo=BANGKOK)      # a Monday: the month's busiest day
PARTS = ("morning", "afternoon", "evening")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SKILLS = (("clinic", 0.3), ("errand", 0.6), ("visit", 0.6), ("home", 0.3))
STARTING_MINUTES = 240                                      # a policy setting, stored with the books
# Of the busiest day's callers, per hour from 07:00 to 20:00 (a morning peak; 12 % in the busiest hour).
HOURS = {7: 6, 8: 12, 9: 12, 10: 10, 11: 8, 12: 5, 13: 7, 14: 8, 15: 8, 16: 7, 17: 6, 18: 5, 19: 4, 20: 2}


@dataclass(frozen=True)
class Scale:
    members: int = 100_000
    villages: int = 1_000
    coordinators: int = 1_000              # the headmen of the first villages; one in each by default
    requests_per_month: int = 36_000       # 30 % of 60,000 elders, about twice a month
    busiest_day_factor: float = 1.5
    slice_hours: tuple[int, int] = (8, 9)  # the callers simulated: the busiest day's [from, to) hours
    threads: int = 4
    max_days: int = 10                     # simulated horizon for the follow-ups
    wall_budget: float = 420.0             # seconds; past it no new callers, past 1.5× it the run stops
    seed: int = 2569

    @property
    def elders(self) -> int:
        return self.members * 60 // 100

    @property
    def day_requests(self) -> int:
        return round(self.requests_per_month / 30 * self.busiest_day_factor)


FULL = Scale()
QUICK = Scale(members=10_000, villages=100, coordinators=100, requests_per_month=3_600, slice_hours=(8, 10),
              wall_budget=90.0)


@dataclass
class People:
    elders: list[int] = field(default_factory=list)
    phone: dict[int, str] = field(default_factory=dict)


def phone_of(member_id: int) -> str:
    return f"+6681{member_id:07d}"


def _availability(rng: random.Random) -> dict[str, list[str]]:
    days = rng.sample(DAYS, rng.randint(2, 5))
    return {d: sorted(rng.sample(PARTS, rng.randint(1, 2)), key=PARTS.index) for d in days}


def _member(scale: Scale, v: int, k: int, mid: int, rng: random.Random) -> tuple[str, str, list, dict]:
    per_village = scale.members // scale.villages
    every = max(1, scale.villages // max(1, scale.coordinators))
    if k < 60:
        return "elder", f"{rng.choice(('ยาย', 'ตา'))}{mid}", [], {}
    if k == per_village - 1 and v % every == 0 and v // every < scale.coordinators:
        return "coordinator", f"ผู้ประสานงาน{mid}", [], {}
    skills = [s for s, p in SKILLS if rng.random() < p] or ["visit"]
    return ("both" if k >= 95 else "volunteer"), f"อาสา{mid}", skills, _availability(rng)


def bulk_load(engine: Engine, scale: Scale) -> tuple[People, float]:
    """Members, accounts, opening transfers and postings by COPY; returns the people and the seconds."""
    from ledger.orm import Account

    started = time.perf_counter()
    rng = random.Random(scale.seed)
    people = People()
    joined = START - timedelta(days=30)
    opened_on = joined.astimezone(BANGKOK).date()
    per_village = scale.members // scale.villages
    with engine.connect() as conn:
        system = dict(conn.execute(select(Account.code, Account.id)).all())
    issuance, first = system["issuance"], max(system.values()) + 1
    members, accounts, transfers, postings = [], [], [], []
    for v in range(scale.villages):
        for k in range(per_village):
            mid = v * per_village + k + 1
            role, name, skills, avail = _member(scale, v, k, mid, rng)
            if role == "elder":
                people.elders.append(mid)
            people.phone[mid] = phone_of(mid)
            members.append((mid, name, phone_of(mid), f"บ้าน{v + 1:04d}", 1 + k % 10, role, 1950 + mid % 20,
                            json.dumps(skills), "", "", json.dumps(avail), k % 7 == 0, None, "", "active", None,
                            None, joined))
            account, loan = first + 2 * (mid - 1), first + 2 * (mid - 1) + 1
            accounts += [(account, f"member:{mid}", "member", mid, STARTING_MINUTES, 0),
                         (loan, f"loan:{mid}", "loan", mid, 0, 0)]
            transfers.append((mid, f"opening:{mid}", "0" * 64, "opening", issuance, account, STARTING_MINUTES,
                              opened_on, joined, "bench", None, "เครดิตเริ่มต้น / starting credits", None))
            postings += [(2 * mid - 1, mid, issuance, -STARTING_MINUTES),
                         (2 * mid, mid, account, STARTING_MINUTES)]
    _copy(engine, [
        ("members", "id, name, phone, village, moo, role, birth_year, skills, needs, health_notes, availability, "
                    "speak_slowly, consent_on, consent_by, status, paused_until, pin_hash, joined_at", members),
        ("accounts", "id, code, kind, member_id, balance, held", accounts),
        ("transfers", "id, key, fingerprint, kind, from_account_id, to_account_id, amount, effective_on, "
                      "created_at, entered_by, on_behalf_of_id, reason, reverses_id", transfers),
        ("postings", "id, transfer_id, account_id, amount", postings)], issued=STARTING_MINUTES * len(members))
    return people, time.perf_counter() - started


def _copy(engine: Engine, tables: list[tuple[str, str, list[tuple]]], *, issued: int) -> None:
    """COPY every table in one transaction, move the sequences past the rows, then VACUUM ANALYZE."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            for table, cols, rows in tables:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.execute("UPDATE accounts SET balance = %s WHERE code = 'issuance'", (-issued,))
            cur.execute("INSERT INTO bank_settings (key, value) VALUES ('starting_minutes', %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(STARTING_MINUTES),))
        conn.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
