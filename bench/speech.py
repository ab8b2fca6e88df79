"""Benchmark: render a ~60-second loudspeaker announcement offline (espeak-ng), cold and cached.

Run with ``python -m bench.speech``. Figures, each beside a baseline from the same run:

* cold render time (speech through the cache, chimes, two-pass loudness, MP3), beside the
  bare ``espeak-ng`` synthesis time of the same message;
* real-time factor = render seconds / seconds of audio made (target < 0.1), beside bare
  espeak-ng's own real-time factor on the message;
* re-mix time when the speech is cached but the announcement file is not, and
* cached re-render time when the same announcement is asked for again (target < 50 ms),
  both beside the cold render.

Each figure is the median of a few runs after one warm-up (imports, pythainlp's
dictionary, the chime), in fresh temporary folders. Needs espeak-ng and ffmpeg.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from prompts_th import audio, catalogue
from prompts_th.announce import compose_announcement
from prompts_th.cache import AudioCache
from prompts_th.espeak_engine import EspeakEngine
from prompts_th.thai_text import speakable

#: About 25 s of espeak-ng speech: said twice, with lead-in, chimes and pauses, ~60 s.
MESSAGE = (
    "ประกาศถึงสมาชิกธนาคารเวลาบ้านหนองบัวทุกท่าน วันเสาร์ที่ 21 พฤศจิกายน 2569 เวลา 9 โมงเช้า "
    "ขอเชิญประชุมประจำเดือนที่ศาลาวัด และหาจิตอาสาช่วยพายายสมศรีไปหาหมอที่ รพ.สต. ในวันจันทร์ "
    "ใครสะดวก กรุณาโทรหาธนาคารเวลาค่ะ"
)
RUNS = 3


def run(runs: int = RUNS) -> list[dict]:
    """Measure and return rows {benchmark, figure, baseline, ratio, unit}."""
    engine = EspeakEngine()
    words = _announce_words()
    spoken = speakable(MESSAGE)
    _warm_up(engine, words)

    bare = _median(runs, lambda: _bare_espeak(spoken))
    message_s = audio.seconds(audio.decode(engine.synthesize(spoken)))

    rounds = [_round(engine, words) for _ in range(runs)]
    audio_s = rounds[0]["audio_s"]
    cold_s, remix_s, cached_s = (
        statistics.median(each[kind] for each in rounds) for kind in ("cold", "remix", "cached")
    )

    return [
        _row(f"render a {audio_s:.0f} s announcement, cold (espeak-ng)", cold_s, bare, "s",
             "baseline: bare espeak-ng -v th on the same message"),
        _row(
            "real-time factor: render s / audio s (target < 0.1)",
            cold_s / audio_s,
            bare / message_s,
            "x",
            "baseline: bare espeak-ng's own real-time factor",
        ),
        _row("re-mix, speech already cached", remix_s * 1000, cold_s * 1000, "ms", "baseline: the cold render"),
        _row(
            "cached re-render, same announcement (target < 50 ms)",
            cached_s * 1000,
            cold_s * 1000,
            "ms",
            "baseline: the cold render",
        ),
    ]


def table(rows: list[dict]) -> str:
    """The rows as a small Markdown table."""
    lines = ["| benchmark | figure | baseline | ratio | unit |", "|---|---:|---:|---:|---|"]
    for row in rows:
        figures = f"{row['figure']:.4g} | {row['baseline']:.4g} | {row['ratio']:.3g}"
        lines.append(f"| {row['benchmark']} | {figures} | {row['unit']} |")
    return "\n".join(lines)


def main() -> None:
    rows = run()
    print(table(rows))
    print()
    print(
        "Baselines: row 1, bare `espeak-ng -v th --stdout` on the same message; row 2, bare "
        "espeak-ng's own real-time factor; rows 3-4, the cold render. Medians of "
        f"{RUNS} runs after a warm-up."
    )


def _round(engine: EspeakEngine, words: Callable[..., str]) -> dict[str, float]:
    """One cold render, one cached re-render and one re-mix, in a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="wela-bench-") as folder:
        cache, workdir = AudioCache(Path(folder) / "audio"), Path(folder) / "announcements"

        def compose():
            return compose_announcement(MESSAGE, engine, cache, workdir, words=words)

        made, cold = _timed(compose)
        cached = _timed(compose)[1]
        made.path.unlink()
        made.path.with_suffix(".json").unlink()
        remix = _timed(compose)[1]
    return {"cold": cold, "cached": cached, "remix": remix, "audio_s": made.duration_s}


def _warm_up(engine: EspeakEngine, words: Callable[..., str]) -> None:
    with tempfile.TemporaryDirectory(prefix="wela-bench-") as folder:
        cache, workdir = AudioCache(Path(folder) / "audio"), Path(folder) / "announcements"
        compose_announcement("สวัสดีค่ะ", engine, cache, workdir, words=words)


def _bare_espeak(text: str) -> None:
    subprocess.run(
        [audio.tool("espeak-ng", package="espeak-ng"), "-v", "th", "--stdout", "--stdin"],
        input=text.encode("utf-8"), capture_output=True, check=True,
    )


def _announce_words() -> Callable[..., str]:
    """The catalogue's sentences."""
    return catalogue.text


def _timed(work: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _median(runs: int, work: Callable[[], object]) -> float:
    return statistics.median(_timed(work)[1] for _ in range(runs))


def _row(benchmark: str, figure: float, baseline: float, unit: str, note: str = "") -> dict:
    return {
        "benchmark": benchmark,
        "figure": _significant(figure),
        "baseline": _significant(baseline),
        "ratio": _significant(figure / baseline) if baseline else float("nan"),
        "unit": unit,
        "note": note,
    }


def _significant(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


if __name__ == "__main__":
    main()
