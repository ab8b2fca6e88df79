"""`python -m bench`: run every benchmark on this machine and write docs/benchmarks.md and docs/benchmarks.png.

    python -m bench                    # everything, full size (about 3–6 minutes on two cores)
    python -m bench --quick            # smaller sizes, under 3 minutes; prints the table
    python -m bench --only ledger,sms  # some of them
    python -m bench --postgres-url postgresql://user@host/db

Each benchmark runs in its own process with a time limit: one that fails or runs over becomes a
row saying so, and the others still run. A full run (no --quick, no --only) writes the documents;
a quick or partial run prints its table and writes only when given ``--out DIR``, so it never
replaces the full report by accident. PostgreSQL rows are skipped, with the reason, when no server
answers (default: WELA_TEST_DATABASE_URL or postgresql://postgres@127.0.0.1/test).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from bench import report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1/test"


@dataclass(frozen=True)
class Suite:
    name: str
    module: str
    full: Callable[[Optional[str]], dict[str, Any]]      # postgres url → keyword arguments of run()
    quick: Callable[[Optional[str]], dict[str, Any]]
    limit: float                                          # seconds, full size
    quick_limit: float


SUITES = [
    Suite("ledger", "bench.ledger", lambda pg: {"postgres_url": pg},
          lambda pg: {"postgres_url": pg, "postings": 100_000, "transfers": 300}, 420, 120),
    Suite("ivr", "bench.ivr", lambda pg: {}, lambda pg: {"latency_seconds": 3.0, "throughput_seconds": 3.0}, 240, 90),
    Suite("sms", "bench.sms", lambda pg: {"postgres_url": pg}, lambda pg: {"postgres_url": pg, "quick": True},
          240, 90),
    Suite("matching", "bench.matching", lambda pg: {},
          lambda pg: {"needs": 1000, "helpers": 4000, "villages": 200}, 240, 60),
    Suite("speech", "bench.speech", lambda pg: {}, lambda pg: {"runs": 1}, 180, 60),
    Suite("province", "bench.province", lambda pg: {"postgres_url": pg}, lambda pg: {"postgres_url": pg, "quick": True},
          840, 150),
]
NAMES = [s.name for s in SUITES]


# --- one suite, in a child process ---------------------------------------------------------------------------

def child(name: str, result: Path, quick: bool, postgres_url: Optional[str]) -> None:
    """Run one suite and write {"rows": …, "section": …} as JSON to `result`."""
    suite = next(s for s in SUITES if s.name == name)
    module = importlib.import_module(suite.module)
    kwargs = (suite.quick if quick else suite.full)(postgres_url)
    rows = module.run(**kwargs)
    section = module.section(rows) if hasattr(module, "section") else None
    result.write_text(json.dumps({"rows": rows, "section": section}, ensure_ascii=False, default=str))


def _bench_databases(postgres_url: Optional[str]) -> set[str]:
    """The private benchmark databases on the server now (to drop what a killed suite left behind)."""
    try:
        from sqlalchemy import create_engine, text

        from wela.db import normalise_url

        engine = create_engine(normalise_url(postgres_url or DEFAULT_POSTGRES), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                return set(conn.execute(text("SELECT datname FROM pg_database "
                                             "WHERE datname LIKE 'wela\\_bench\\_%'")).scalars())
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001  (no server: nothing to clean)
        return set()


def _drop(postgres_url: Optional[str], names: set[str]) -> None:
    from sqlalchemy import create_engine, text

    from wela.db import normalise_url

    engine = create_engine(normalise_url(postgres_url or DEFAULT_POSTGRES), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for name in sorted(names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def run_suite(suite: Suite, *, quick: bool, postgres_url: Optional[str]) -> tuple[list[dict], Optional[str], float]:
    """(rows, section, seconds) of one suite; a failure or a timeout is one row that says so."""
    limit = suite.quick_limit if quick else suite.limit
    before = _bench_databases(postgres_url)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wela-bench-run-") as folder:
        result = Path(folder) / "result.json"
        command = [sys.executable, "-m", "bench", "--child", suite.name, "--result", str(result)]
        command += ["--quick"] if quick else []
        command += ["--postgres-url", postgres_url] if postgres_url else []
        process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        try:
            code = process.wait(timeout=limit)
            failure = None if code == 0 else f"failed (exit code {code}; see the output above)"
        except subprocess.TimeoutExpired:
            _stop(process)
            failure = f"timed out after {limit:.0f} s and was stopped"
        seconds = time.perf_counter() - started
        if failure is None and result.exists():
            data = json.loads(result.read_text())
            return data["rows"], data.get("section"), seconds
    left = _bench_databases(postgres_url) - before
    if left:
        _drop(postgres_url, left)
    print(f"{suite.name}: {failure}", file=sys.stderr)
    return [{"benchmark": f"{suite.name} (all rows)", "figure": None, "baseline": None, "ratio": None, "unit": "",
             "note": failure or "no result written"}], None, seconds


def _stop(process: subprocess.Popen) -> None:
    """Stop the suite's process group (the suite, and the servers it started)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- the whole run -----------------------------------------------------------------------------------------------

def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 3 minutes in all")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"run only these: {', '.join(NAMES)}")
    parser.add_argument("--postgres-url", help=f"a PostgreSQL server to make private databases on "
                                               f"(default WELA_TEST_DATABASE_URL or {DEFAULT_POSTGRES})")
    parser.add_argument("--out", type=Path, help="write benchmarks.md and benchmarks.png here "
                                                 "(default: docs/ for a full run, nowhere otherwise)")
    parser.add_argument("--child", choices=NAMES, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    postgres_url = args.postgres_url or os.environ.get("WELA_TEST_DATABASE_URL") or None
    if args.child:
        child(args.child, args.result, args.quick, postgres_url)
        return 0
    wanted = [n.strip() for n in args.only.split(",")] if args.only else NAMES
    unknown = set(wanted) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(NAMES)}")
    out = args.out or (None if args.quick or args.only else ROOT / "docs")

    machine = report.describe_machine(postgres_url or DEFAULT_POSTGRES)
    started = time.perf_counter()
    rows: list[dict] = []
    sections: list[str] = []
    for suite in SUITES:
        if suite.name not in wanted:
            continue
        print(f"\n== {suite.name} ==", flush=True)
        suite_rows, section, seconds = run_suite(suite, quick=args.quick, postgres_url=postgres_url)
        for row in suite_rows:
            row["suite"] = suite.name
            row.pop("details", None)
        rows += suite_rows
        if section:
            sections.append(section)
        print(f"{suite.name}: {len(suite_rows)} rows in {seconds:.0f} s", flush=True)
    report.finish_machine(machine, time.perf_counter() - started)

    command = "python -m bench" + (" --quick" if args.quick else "") + (f" --only {args.only}" if args.only else "")
    print()
    print(report.table(rows, group=True))
    print()
    print("\n".join(report.machine_lines(machine)))
    if out is not None:
        why_not = report.chart(rows, out / "benchmarks.png", title=report.chart_title(machine, command))
        text = report.markdown(rows, machine, command=command, sections=sections, suites=SUITES,
                               chart=why_not is None)
        (out / "benchmarks.md").write_text(text, encoding="utf-8")
        print(f"\nwrote {out / 'benchmarks.md'}" + (f"; no chart: {why_not}" if why_not else
                                                        f" and {out / 'benchmarks.png'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
