"""Province scale: 100,000 members in 1,000 villages on PostgreSQL, the month's busiest hour driven
through the real webhooks and use cases, and the arithmetic for a national deployment.

What runs
---------
1. *Load* (bench/province_load.py): the members, their accounts and starting credits by COPY;
   ``wela ledger check`` is clean before the first call.
2. *The slice* (bench/province_sim.py): a month of 36,000 requests (30 % of 60,000 elders ask about
   twice) has 1,200 a day; its busiest day, 1.5 times that, 1,800 callers with a morning peak. The
   run takes the callers of that day's busiest hour (08:00–09:00, 12 % of the day) and follows every
   request they make to its end: a whole IVR call each (six signed webhooks), offers from the
   ``Runner`` every five simulated minutes, volunteers' SMS answers, reminders, ``เสร็จ`` texts,
   reminder and confirmation calls, the payment. Several threads serve each tick.
3. *After*: ``wela ledger check`` over the whole books, rows and bytes per table,
   ``pg_database_size``; per request: statements, database time, commits, app and PostgreSQL CPU.

A full month is out of the time budget of ``python -m bench`` (~15 minutes on two cores): the
report measures the slice, extrapolates, and says so. Run alone: ``python -m bench.province
[--quick] [--postgres-url URL] [--hours 7 21] [--members N --villages N]``.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Engine, text

from bench.province_load import FULL, QUICK, START, Scale, bulk_load
from bench.province_sim import BANK, PUBLIC, TOKEN, FastGateway, Simulation, Statements

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1/test"


@dataclass(frozen=True)
class Nation:
    """Assumptions for a national deployment: every one is a guess, written down to be argued with."""

    over_60: int = 13_000_000              # Thailand's people aged 60 and over (about)
    participation: float = 0.10            # share who join a time bank (today far fewer do)
    requests_per_member_month: float = 0.6  # as in the province run: 30 % ask, about twice a month
    busiest_day_factor: float = 1.5
    busiest_hour_share: float = 0.12       # of the day's requests in its busiest hour (the run's profile)
    app_cores_per_server: int = 4
    target_utilisation: float = 0.5        # half of every core kept for bursts and failover
    provinces: int = 77


# --- measuring -----------------------------------------------------------------------------------------

def measure(url: str, scale: Scale) -> dict[str, Any]:
    """Load, simulate, check: every number the report needs, JSON-safe."""
    from bench.ledger import _full_check
    from ledger.clock import FakeClock
    from voice.outbound import FakeDialer
    from wela.app import create_app
    from wela.bootstrap import Adapters
    from wela.db import make_engine

    loader = make_engine(url)
    try:
        people, load_seconds = bulk_load(loader, scale)
    finally:
        loader.dispose()
    with tempfile.TemporaryDirectory(prefix="wela-bench-province-") as folder:
        config = {"instance_path": folder, "database_url": url, "twilio_account_sid": "AC" + "0" * 32,
                  "twilio_auth_token": TOKEN, "twilio_from_number": BANK, "public_url": PUBLIC,
                  "bank_phone": BANK, "coordinator_phone": "", "scheduler_in_serve": False}
        app = create_app(config, clock=FakeClock(START),
                         adapters=Adapters(sms_gateway=FastGateway(), call_placer=FakeDialer()))
        w = app.extensions["wela"]
        driver = make_engine(url, pool_size=2, max_overflow=2)   # the simulated people's reads: not the bank's
        try:
            size_loaded = _database_size(driver)
            statements = Statements(w.engine)
            before = _pg_counters(driver), _postgres_cpu(driver), time.process_time()
            sim = Simulation(app, scale, people, driver)
            result = sim.run()
            time.sleep(1.2)                  # the server publishes its statistics about once a second
            after = _pg_counters(driver), _postgres_cpu(driver), time.process_time()
            result.update(_outcomes(driver))
            result.update(scale=asdict(scale), load_seconds=load_seconds, members=len(people.phone),
                          size_loaded=size_loaded, size_after=_database_size(driver),
                          statements=statements.count, statement_seconds=statements.seconds,
                          pg={k: after[0][k] - before[0][k] for k in after[0]},
                          pg_cpu=after[1] - before[1], app_cpu=after[2] - before[2],
                          tally=dict(sim.tally), stopped_early=sim.stopped_early, ticks=len(sim.ticks),
                          peak=_peak(sim.ticks), arrivals_per_hour=_per_hour(sim.arrivals),
                          actions={k: list(v) for k, v in sim.actions.items()}, bank=sim.bank)
            result["roster"] = _roster_cost(w)
            result["check"] = _full_check(w.engine)
            result["tables"] = _tables(driver)
        finally:
            driver.dispose()
            w.close()
    return result


def _roster_cost(w: Any) -> dict[str, float]:
    """How long the matcher takes to read its volunteers: around one request (a decline, an expiry, a
    sweep's requests read the villages they are in), and the whole bank (when nobody near can go)."""
    from sqlalchemy import select

    from scheduler.orm import HelpRequest
    from scheduler.roster import Around, Roster
    from wela.wiring import scheduler_env

    env = scheduler_env(w)
    with w.sessions() as s:
        req = s.scalars(select(HelpRequest).order_by(HelpRequest.id).limit(1)).one()
        t = time.perf_counter()
        near = Roster(s, env, around=Around.requests([req]))
        near_built = time.perf_counter() - t
        t = time.perf_counter()
        roster = Roster(s, env)
        built = time.perf_counter() - t
        t = time.perf_counter()
        roster.week(env.today())
        week = time.perf_counter() - t
    return {"volunteers": len(roster.members), "seconds": built, "week_seconds": week,
            "near_volunteers": len(near.members), "near_seconds": near_built}


def _database_size(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())


def _pg_counters(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_fetched "
                                "FROM pg_stat_database WHERE datname = current_database()")).one()
    return dict(zip(("commits", "rollbacks", "inserted", "updated", "fetched"), map(int, row)))


def _postgres_cpu(engine: Engine) -> float:
    """CPU seconds used so far by this database's server processes (Linux /proc; 0 when unreadable).
    The app's pool keeps its connections, so the same backends are read before and after."""
    with engine.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM pg_stat_activity "
                                      "WHERE datname = current_database()")).scalars())
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    return total


def _tables(engine: Engine) -> dict[str, tuple[int, int]]:
    """Rows and bytes (with indexes and TOAST) of every table that has rows, largest first."""
    with engine.connect() as conn:
        names = conn.execute(text("SELECT relname FROM pg_stat_user_tables")).scalars().all()
        out = {}
        for name in names:
            rows = int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar())
            if rows:
                out[name] = (rows, int(conn.execute(text("SELECT pg_total_relation_size(:t)"),
                                                    {"t": name}).scalar()))
    return dict(sorted(out.items(), key=lambda kv: -kv[1][1]))


def _outcomes(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        def grouped(sql: str) -> dict[str, int]:
            return {str(k): int(v) for k, v in conn.execute(text(sql)).all()}

        def one(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar())
        return {"requests": grouped("SELECT state, count(*) FROM help_requests GROUP BY state"),
                "offers": grouped("SELECT state, count(*) FROM offers GROUP BY state"),
                "sms_out": grouped("SELECT purpose, count(*) FROM sms_outbox GROUP BY purpose"),
                "escalations": grouped("SELECT detail->>'reason', count(*) FROM request_events "
                                       "WHERE kind = 'escalated' GROUP BY 1"),
                "sms_in": one("SELECT count(*) FROM sms_inbox"),
                "call_steps": one("SELECT count(*) FROM voice_call_steps"),
                "calls": grouped("SELECT direction, count(*) FROM voice_calls GROUP BY direction"),
                "stuck": one("SELECT count(*) FROM help_requests WHERE stuck_reason IS NOT NULL")}


def _peak(ticks: list[dict[str, Any]]) -> dict[str, Any]:
    """The heaviest five simulated minutes: the tick that took longest to handle (in the morning peak
    that is callers asking, matching and volunteers answering; a burst of evening reminders is more
    texts but cheap ones), with its calls and texts in and out."""
    def ops(t: dict[str, Any]) -> int:
        return t["webhooks"] + t["sms_out"] + t["calls_out"]
    busiest = max((t for t in ticks if ops(t)), key=lambda t: t["wall"], default=None)
    if busiest is None or not ops(busiest):
        return {}
    return {**busiest, "ops": ops(busiest)}


def _per_hour(arrivals: list[datetime]) -> dict[int, int]:
    return dict(sorted(Counter(a.hour for a in arrivals).items()))


def per_request(r: dict[str, Any]) -> dict[str, float]:
    n = max(1, sum(r["requests"].values()))
    return {"requests": n, "wall_s": r["wall"] / n, "app_cpu_s": r["app_cpu"] / n, "pg_cpu_s": r["pg_cpu"] / n,
            "statements": r["statements"] / n, "db_s": r["statement_seconds"] / n,
            "commits": r["pg"]["commits"] / n, "bytes": (r["size_after"] - r["size_loaded"]) / n,
            "member_bytes": r["size_loaded"] / max(1, r["members"])}


def national(each: dict[str, float], nation: Optional[Nation] = None) -> dict[str, float]:
    """The national arithmetic from the measured per-request costs and the stated assumptions."""
    nation = nation or Nation()
    members = nation.over_60 * nation.participation
    month = members * nation.requests_per_member_month
    peak_per_s = month / 30 * nation.busiest_day_factor * nation.busiest_hour_share / 3600
    app_cores = peak_per_s * each["app_cpu_s"]
    servers = max(2, -(-app_cores // (nation.app_cores_per_server * nation.target_utilisation)))
    year_bytes = month * 12 * each["bytes"] + members * 1.7 * each["member_bytes"]   # + volunteers (0.7 each)
    return {"members": members, "month": month, "peak_per_s": peak_per_s, "app_cores": app_cores,
            "pg_cores": peak_per_s * each["pg_cpu_s"], "servers": servers,
            "statements_per_s": peak_per_s * each["statements"], "commits_per_s": peak_per_s * each["commits"],
            "year_gb": year_bytes / 1e9, "calls_at_once": peak_per_s * 70}


# --- rows and prose ---------------------------------------------------------------------------------------

def rows(r: dict[str, Any]) -> list[dict]:
    from bench.ledger import _row

    each = per_request(r)
    scale = Scale(**{**r["scale"], "slice_hours": tuple(r["scale"]["slice_hours"])})
    busiest = max(r["arrivals_per_hour"].values(), default=0)
    label = f"{r['members']:,} members, {scale.villages:,} villages, PostgreSQL, {scale.threads} threads"
    out = [_row(f"requests per minute, whole life cycle ({label})", 60 / each["wall_s"], busiest / 60,
                "requests/min", f"baseline: requests/min arriving in the busiest hour of the month; slice of "
                                f"{each['requests']:,.0f} requests, extrapolated (see Province scale)")]
    peak = r["peak"]
    if peak:
        out.append(_row("calls and texts per minute held, heaviest 5 simulated minutes",
                        peak["ops"] / peak["wall"] * 60, peak["ops"] / 5, "calls+SMS/min",
                        f"baseline: that tick's demand per simulated minute ({peak['webhooks']} webhooks in, "
                        f"{peak['sms_out']} texts and {peak['calls_out']} calls out in 5 min, with {peak['jobs']} "
                        f"jobs; handled in {peak['wall']:.1f} s)"))
    check = r["check"]
    verdict = "the books check clean" if check["problems"] == 0 else f"{check['problems']} PROBLEMS"
    out.append(_row(f"wela ledger check after the run ({r['members']:,} members)", check["check_seconds"],
                    check["scan_seconds"], "s", f"baseline: bare ordered read of every posting; {verdict}"))
    out[0]["details"] = r
    return out


def section(rows_: list[dict]) -> str:
    """The province run in prose and numbers, for docs/benchmarks.md."""
    r = next((row.get("details") for row in rows_ if row.get("details")), None)
    if not r:
        return "## Province scale\n\nNot run: " + "; ".join(row.get("note", "") for row in rows_) + "\n"
    each, nation = per_request(r), Nation()
    n = national(each, nation)
    scale = Scale(**{**r["scale"], "slice_hours": tuple(r["scale"]["slice_hours"])})
    first, last = scale.slice_hours
    busiest = max(r["arrivals_per_hour"].values(), default=0)
    mib = 1024 * 1024

    def listed(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    tables = "\n".join(f"| {t} | {rows_n:,} | {size / mib:,.1f} |" for t, (rows_n, size) in r["tables"].items())
    month_minutes = scale.requests_per_month * each["wall_s"] / 60
    lines = [
        "## Province scale",
        "",
        f"{r['members']:,} members in {scale.villages:,} villages ({_coordinators(scale)}) loaded by "
        f"COPY in {r['load_seconds']:.0f} s, books "
        f"balanced. A month of {scale.requests_per_month:,} requests has {scale.requests_per_month / 30:,.0f} a day; "
        f"its busiest day ({scale.busiest_day_factor}×) has {scale.day_requests:,} callers between 07:00 and 21:00.",
        "",
        f"**What was run is a slice, not the month:** the {r['planned']:,} callers of that day's "
        f"{first:02d}:00–{last:02d}:00" + (" (its busiest hour)" if last - first == 1 else
                                           f" ({busiest:,} in the busiest hour)")
        + ", each request followed to its end "
        f"(simulated until {r['simulated_until']}, {r['ticks']} ticks of the Runner"
        + (f"; {r['stopped_early']}" if r["stopped_early"] else "") + "). "
        f"Each caller walks a whole IVR call (6 signed webhooks through the Flask app); the Runner matches and "
        f"sends offers; volunteers answer by SMS webhook, are reminded, text เสร็จ; elders take the reminder "
        f"and confirmation calls; the volunteer is paid; {scale.threads} threads serve each tick. It took "
        f"**{r['wall']:.0f} s** of wall time. Extrapolated at the same cost per request, the month's "
        f"{scale.requests_per_month:,} requests would need about {month_minutes:,.0f} minutes of this "
        f"machine's time, {month_minutes / 30:,.1f} minutes a day on average.",
        "",
        f"* Requests: {listed(r['requests'])}; offers: {listed(r['offers'])}; "
        f"coordinator alerts: {listed(r['escalations']) or 'none'}.",
        f"* Texts sent: {sum(r['sms_out'].values()):,} ({listed(r['sms_out'])}); texts received: {r['sms_in']:,}; "
        f"calls: {listed(r['calls'])}; IVR webhook steps: {r['call_steps']:,}.",
        f"* Sustained: **{60 / each['wall_s']:,.1f} requests/min** with their whole life cycle, against "
        f"{busiest / 60:.1f}/min arriving in the busiest hour of the month.",
    ]
    if r["peak"]:
        p = r["peak"]
        lines.append(f"* Heaviest 5 simulated minutes, the longest to handle ({p['at']}): {p['webhooks']} "
                     f"webhooks in (IVR steps and texts), {p['sms_out']} texts and {p['calls_out']} calls out, "
                     f"with {p['jobs']} jobs run, handled in {p['wall']:.1f} s of wall time: **{p['ops'] / p['wall'] * 60:,.0f} calls and "
                     f"texts per minute held**, against {p['ops'] / 5:,.0f} per minute of demand then.")
    lines += [
        f"* Per request, whole life cycle: {each['statements']:.0f} SQL statements taking "
        f"{each['db_s'] * 1000:,.0f} ms, {each['commits']:.0f} commits, {each['app_cpu_s'] * 1000:,.0f} ms of "
        f"Python CPU (the app and the simulated phones in one process), {each['pg_cpu_s'] * 1000:.0f} ms of "
        f"PostgreSQL CPU, "
        f"{each['bytes'] / 1024:.0f} KiB of database growth.",
        f"* The matcher's roster (scheduler/roster.py), read per sweep that finds an open request and again for "
        f"every declined or expired offer: around one request (its village's volunteers and the elder's past "
        f"helpers) {r['roster']['near_volunteers']:,} volunteers, {r['roster']['near_seconds'] * 1000:.0f} ms "
        f"to build; the whole bank, read only for a request nobody near can take, "
        f"{r['roster']['volunteers']:,} volunteers, {r['roster']['seconds']:.2f} s, and "
        f"{r['roster']['week_seconds']:.2f} s more for one week's helpers. Wall time by simulated day: "
        + ", ".join(f"{day} {sec:.0f} s" for day, sec in r["wall_by_day"].items()) + ".",
        f"* Database: {r['size_loaded'] / mib:,.0f} MiB after the load, {r['size_after'] / mib:,.0f} MiB after "
        f"the run. `wela ledger check`: {r['check']['problems']} problems in {r['check']['check_seconds']:.1f} s.",
        f"* Errors in the simulated people's webhooks: {r['error_count']}"
        + (f" (first: `{r['errors'][0]}`)" if r["errors"] else "") + ".",
        "",
        "Where the wall time went (4 threads share 2 cores, so one action's time includes waiting for the others):",
        "",
        "| what | count | mean s | total s |",
        "|---|---:|---:|---:|",
        *[f"| a person {kind} | {count:,} | {seconds / count:.2f} | {seconds:.0f} |"
          for kind, (count, seconds) in sorted(r["actions"].items(), key=lambda kv: -kv[1][1])],
        *[f"| the bank: {part} | {r['ticks']:,} ticks | {seconds / max(1, r['ticks']):.2f} | {seconds:.0f} |"
          for part, seconds in sorted(r["bank"].items(), key=lambda kv: -kv[1])],
        "",
        "| table | rows | MiB |",
        "|---|---:|---:|",
        tables,
        "",
        *_limits(r),
        "### A national deployment, on the back of an envelope",
        "",
        f"Thailand has about {nation.over_60 / 1e6:.0f} million people over 60. *Assume* {nation.participation:.0%} "
        f"of them join a time bank ({n['members'] / 1e6:.1f} million members; far fewer do today) and ask as in "
        f"this run ({nation.requests_per_member_month} requests per member a month): {n['month']:,.0f} requests a "
        f"month. *Assume* the busiest day brings {nation.busiest_day_factor}× the average and its busiest hour "
        f"{nation.busiest_hour_share:.0%} of that day: **{n['peak_per_s']:.1f} new requests a second at the "
        f"peak**, each with its whole life cycle of calls, texts and jobs. At the measured cost per request "
        f"({each['app_cpu_s'] * 1000:,.0f} ms of app CPU, {each['pg_cpu_s'] * 1000:.0f} ms of PostgreSQL CPU, "
        f"{each['statements']:.0f} statements, {each['commits']:.0f} commits) the peak needs {n['app_cores']:.1f} "
        f"app cores and {n['pg_cores']:.1f} PostgreSQL cores, {n['statements_per_s']:,.0f} statements/s and "
        f"{n['commits_per_s']:,.0f} commits/s: **{n['servers']:.0f} app servers** of "
        f"{nation.app_cores_per_server} cores run at {nation.target_utilisation:.0%} (two at least, for "
        f"failover), and **one PostgreSQL server of 8 cores with a replica** has room to spare. The data grows "
        f"by about **{n['year_gb']:,.0f} GB a year** (the measured bytes per request and per member, indexes "
        f"included, counted in whole pages so rather more than less; WAL, backups and bloat not).",
        "",
        f"The assumptions that matter most: the cost per request was measured in a bank of "
        f"{r['roster']['volunteers']:,} volunteers; the matcher reads a village's volunteers for most offers, "
        f"but every volunteer of the bank for a request nobody near can take, so the figure holds for "
        f"{nation.provinces} provincial banks (one database each, on a shared "
        f"server), not for one national bank; the app CPU includes the simulated phones (an overestimate); the "
        f"telephone side is not the app's: about {n['calls_at_once']:,.0f} calls in progress at once at the peak "
        f"(70 s each) is a matter for the SIP trunk or Twilio account, and that many texts need an SMS "
        f"provider, not an Android phone.",
    ]
    return "\n".join(lines) + "\n"


def _coordinators(scale: Scale) -> str:
    if scale.coordinators >= scale.villages:
        return f"{scale.elders:,} elders; each village's headman is its coordinator"
    return f"{scale.elders:,} elders; {scale.coordinators:,} villages have a coordinator, the others share them"


def _limits(r: dict[str, Any]) -> list[str]:
    """What this run shows holds the system back, from its own numbers."""
    actions = {kind: seconds / count for kind, (count, seconds) in r["actions"].items() if count}
    decline, accept = actions.get("texts 2 (decline)"), actions.get("texts 1 (accept)")
    ticks = r["bank"].get("runner ticks (sweeps, first 50 jobs)", 0.0) / max(1, r["ticks"])
    texts = sum(r["sms_out"].values())
    alerts = r["sms_out"].get("alert", 0)
    each = per_request(r)
    lines = ["### What limits it, measured here", ""]
    roster = r["roster"]
    lines.append(
        f"1. **The matcher reads a village, and the whole bank only when nobody near can go.** `Roster` "
        f"(scheduler/roster.py) reads the volunteers of the open requests' villages and the elders' past "
        f"helpers ({roster['near_volunteers']:,} around one request here: {roster['near_seconds'] * 1000:.0f} ms) "
        f"in every sweep that finds an open request and for every declined or expired offer; only a request "
        f"none of them can take widens it to every active volunteer ({roster['volunteers']:,} here: "
        f"{roster['seconds']:.1f} s, and {roster['week_seconds']:.1f} s more to build one week's helpers)."
        + (f" A decline by SMS took {decline:.2f} s on average against {accept:.2f} s for an accept"
           if decline and accept else "")
        + f"; a Runner tick took {ticks:.1f} s on average. A request with nobody free nearby still costs a "
        f"whole-bank read on each of its later offers; keeping the wide roster between sweeps, or widening "
        f"to the neighbouring villages first, is where that time would come back.")
    if texts:
        top = max(r["escalations"].items(), key=lambda kv: kv[1], default=("", 0))
        lines.append(
            f"2. **Alerts to coordinators** (`escalate` in scheduler/requests.py) go to the coordinator of the "
            f"elder's own village: {alerts:,} of the {texts:,} texts here ({alerts / texts:.0%})"
            + (f"; the commonest reason, \"{top[0]}\", {top[1]:,} times" if top[1] else "") + ".")
    biggest = max(((t, size / rows) for t, (rows, size) in r["tables"].items()
                   if t in ("sms_outbox", "voice_calls", "request_events", "jobs")), key=lambda kv: kv[1], default=None)
    if biggest:
        lines.append(
            f"3. **Storage per request** is about {each['bytes'] / 1024:.0f} KiB, most of it texts and call logs "
            f"(sms_outbox rows carry their JSON history, voice_calls the last TwiML; {biggest[0]} "
            f"{biggest[1] / 1024:.1f} KiB a row with its indexes). Archiving old outbox and call rows keeps a "
            f"bank's database small.")
    return lines + [""]


def run(postgres_url: Optional[str] = None, *, quick: bool = False, scale: Optional[Scale] = None) -> list[dict]:
    """Rows {benchmark, figure, baseline, ratio, unit, note}; the first carries the run's details."""
    from bench.ledger import _row, postgres_database, postgres_unavailable

    scale = scale or (QUICK if quick else FULL)
    admin = postgres_url or os.environ.get("WELA_TEST_DATABASE_URL") or DEFAULT_POSTGRES
    reason = postgres_unavailable(admin)
    if reason:
        print(f"province: skipped: {reason}")
        return [_row("province scale", None, None, "", f"skipped: {reason}")]
    with postgres_database(admin) as url:
        return rows(measure(url, scale))


def main(argv: Optional[list[str]] = None) -> None:
    import argparse

    from bench.report import table

    parser = argparse.ArgumentParser(prog="python -m bench.province", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--quick", action="store_true", help="10,000 members in 100 villages")
    parser.add_argument("--members", type=int)
    parser.add_argument("--villages", type=int)
    parser.add_argument("--coordinators", type=int)
    parser.add_argument("--requests-per-month", type=int)
    parser.add_argument("--hours", type=int, nargs=2, metavar=("FROM", "TO"), help="the callers of these hours")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--budget", type=float, help="wall seconds before later callers are dropped")
    args = parser.parse_args(argv)
    changes = {"members": args.members, "villages": args.villages, "coordinators": args.coordinators,
               "requests_per_month": args.requests_per_month, "threads": args.threads, "wall_budget": args.budget,
               "slice_hours": tuple(args.hours) if args.hours else None}
    scale = replace(QUICK if args.quick else FULL, **{k: v for k, v in changes.items() if v is not None})
    out = run(args.postgres_url, scale=scale)
    print(table(out))
    print()
    print(section(out))


if __name__ == "__main__":
    main()
