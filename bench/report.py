"""Write the benchmark results: one Markdown table (docs/benchmarks.md) and one chart (docs/benchmarks.png).

Every row is ``{"benchmark", "figure", "baseline", "ratio", "unit", "note"}`` with the figure and its
baseline measured in the same run; ``ratio`` is figure / baseline. Which side of 1 is good depends
on the unit (a rate wants to be high, a time low), so the table and the chart say it per row.
"""
from __future__ import annotations

import math
import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Sequence

HIGHER_IS_BETTER = ("/s", "/min", "points")


def higher_is_better(unit: str) -> bool:
    """Rates and scores want to be high; times and real-time factors want to be low."""
    return any(mark in unit for mark in HIGHER_IS_BETTER)


def _number(value: Any) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def fmt(value: Any) -> str:
    """Figures as a reader wants them: 3 significant digits, thousands separated."""
    number = _number(value)
    if number is None:
        return "—"
    size = abs(number)
    if size >= 1000:
        return f"{number:,.0f}"
    if size >= 100:
        return f"{number:.0f}"
    if size >= 10:
        return f"{number:.1f}"
    if size >= 1:
        return f"{number:.2f}"
    if size == 0:
        return "0"
    return f"{number:.3g}"


def ratio_text(row: dict) -> str:
    ratio = _number(row.get("ratio"))
    if ratio is None:
        return "—"
    arrow = "↑" if higher_is_better(str(row.get("unit", ""))) else "↓"
    return f"{ratio:,.0f}× {arrow}" if ratio >= 1000 else f"{ratio:.3g}× {arrow}"


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict], *, group: bool = False, notes: bool = True) -> str:
    """The rows as one Markdown table; with ``group``, a first column names each row's suite."""
    head = (["suite"] if group else []) + ["benchmark", "figure", "baseline", "ratio", "unit"] + \
        (["note"] if notes else [])
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if h in ("figure", "baseline", "ratio") else "---" for h in head) + "|"]
    for row in rows:
        cells = ([row.get("suite", "")] if group else []) + [
            row.get("benchmark", ""), fmt(row.get("figure")), fmt(row.get("baseline")), ratio_text(row),
            row.get("unit", "")] + ([row.get("note", "")] if notes else [])
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


# --- the machine ---------------------------------------------------------------------------------------------

@dataclass
class Machine:
    cpus: int
    cpu_model: str
    python: str
    sqlite: str
    postgres: str
    system: str
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    started: str = field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    seconds: float = math.nan


def describe_machine(postgres_url: Optional[str]) -> Machine:
    return Machine(cpus=os.cpu_count() or 0, cpu_model=_cpu_model(), python=platform.python_version(),
                   sqlite=sqlite3.sqlite_version, postgres=_postgres_version(postgres_url),
                   system=f"{platform.system()} {platform.release()}", load_start=_load())


def _load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (math.nan, math.nan, math.nan)


def finish_machine(machine: Machine, seconds: float) -> Machine:
    machine.load_end, machine.seconds = _load(), seconds
    return machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _postgres_version(url: Optional[str]) -> str:
    if not url:
        return "not used"
    try:
        from sqlalchemy import create_engine, text

        from wela.db import normalise_url

        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                return str(conn.execute(text("SHOW server_version")).scalar())
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001
        return f"not reachable ({type(exc).__name__})"


def machine_lines(m: Machine) -> list[str]:
    def load(values: tuple[float, float, float]) -> str:
        return " / ".join(f"{v:.2f}" for v in values)
    return [f"* Run started {m.started}, took {m.seconds / 60:.1f} minutes.",
            f"* Machine: {m.cpus} CPUs ({m.cpu_model}), {m.system}; Python {m.python}, SQLite {m.sqlite}, "
            f"PostgreSQL {m.postgres}.",
            f"* Load average (1 / 5 / 15 min): {load(m.load_start)} at the start, {load(m.load_end)} at the end. "
            f"The machine is shared: other work running at the same time lowers every absolute figure; "
            f"figure and baseline ran side by side, so the ratios are steadier than the numbers."]


# --- the documents ---------------------------------------------------------------------------------------

def markdown(rows: list[dict], machine: Machine, *, command: str, sections: Sequence[str] = (),
             suites: Sequence[Any] = (), chart: bool = True) -> str:
    """The whole report: machine, the table, the chart, what each suite measures, then the sections."""
    out = ["# Benchmarks", "",
           f"Generated by `{command}` (bench/__main__.py); do not edit by hand, run it again.", "",
           *machine_lines(machine), "",
           "Each figure is measured beside its baseline in the same run. **ratio** = figure / baseline; "
           "↑ means higher is better for that row (rates, scores), ↓ lower is better (times).", "",
           table(rows, group=True), ""]
    if chart:
        out += ["![ratio of each figure to its baseline, log scale](benchmarks.png)", ""]
    described = [s for s in suites if any(r.get("suite") == s.name for r in rows)]
    if described:
        out += ["## What each suite measures", ""]
        for suite in described:
            out.append(f"* **{suite.name}** ({suite.module.replace('.', '/')}.py): {_summary(suite.module)}")
        out.append("")
    for text in sections:
        out += [text.rstrip(), ""]
    return "\n".join(out)


def _summary(module: str) -> str:
    """The first paragraph of a suite's docstring, on one line."""
    import importlib

    doc = (importlib.import_module(module).__doc__ or "").strip()
    first = doc.split("\n\n")[0]
    return " ".join(first.split()).removeprefix("Benchmark: ")


def chart_title(machine: Machine, command: str) -> str:
    load = f"{machine.load_start[0]:.1f} → {machine.load_end[0]:.1f}"
    return (f"Wela benchmarks: each figure / its baseline\n{command}, {machine.started[:16]}, "
            f"{machine.cpus} CPUs, load average {load}")


def chart(rows: list[dict], path: Path, *, title: str) -> Optional[str]:
    """A horizontal bar chart of each row's ratio on a log scale, coloured by suite; None, or why not drawn."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[dev]')"
    shown = [r for r in rows if (_number(r.get("ratio")) or 0) > 0]
    if not shown:
        return "no row has a ratio"
    ratios = [_number(r["ratio"]) for r in shown]
    suites = list(dict.fromkeys(str(r.get("suite", "")) for r in shown))
    colours = dict(zip(suites, plt.get_cmap("tab10").colors))
    labels = []
    for r in shown:
        label = str(r["benchmark"]).removeprefix(f"{r.get('suite', '')}: ")
        label = label if len(label) <= 78 else label[:77] + "…"
        labels.append(f"{label} {'↑' if higher_is_better(str(r.get('unit', ''))) else '↓'}")
    fig, ax = plt.subplots(figsize=(12, max(3.0, 0.3 * len(shown) + 1.6)))
    y = list(range(len(shown)))[::-1]
    bars = ax.barh(y, [ratio - 1 for ratio in ratios], left=1,       # each bar grows from 1 to its ratio
                   color=[colours[str(r.get("suite", ""))] for r in shown])
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels, fontsize=7)
    for yi, ratio in zip(y, ratios):
        shown_ratio = f"{ratio:,.0f}" if ratio >= 1000 else f"{ratio:.3g}"
        ax.text(ratio, yi, f" {shown_ratio}×" if ratio >= 1 else f"{shown_ratio}× ", va="center", fontsize=7,
                ha="left" if ratio >= 1 else "right")
    lo, hi = min(ratios + [1.0]), max(ratios + [1.0])
    ax.set_xlim(lo / 8, hi * 8)
    ax.set_xlabel("figure / baseline, log scale (1 = the same as the baseline measured beside it); "
                  "↑ higher is better for that row, ↓ lower is better", fontsize=8)
    ax.set_title(title, fontsize=9, loc="left")
    seen = {}
    for bar, r in zip(bars, shown):
        seen.setdefault(str(r.get("suite", "")), bar)
    ax.legend(list(seen.values()), list(seen), fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return None
