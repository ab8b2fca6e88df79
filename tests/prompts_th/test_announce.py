"""Loudspeaker announcements: validation, templates, a real MP3 end to end (espeak-ng, ffmpeg)."""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
from datetime import date, time
from pathlib import Path

import pytest

from ledger.errors import InvalidInput, WelaError
from prompts_th import audio, catalogue
from prompts_th.announce import (
    AFTER_CHIME_S,
    AFTER_LEAD_IN_S,
    BEFORE_CHIME_S,
    LEAD_IN,
    REPEAT_PAUSE_S,
    compose_announcement,
    layout,
    render_template,
    validate,
)
from prompts_th.cache import AudioCache, StorageFailed
from prompts_th.engines import FakeEngine, FallbackEngine
from prompts_th.espeak_engine import EspeakEngine
from prompts_th.thai_text import speakable

needs_ffmpeg = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="ffmpeg is not installed (apt-get install ffmpeg)",
)
needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="espeak-ng or ffmpeg is not installed (apt-get install espeak-ng ffmpeg)",
)

MEETING = {"date": date(2026, 11, 21), "time": time(9, 0), "place": "ศาลาวัดหนองบัว"}


@pytest.fixture
def words():
    """The catalogue's Thai."""
    return catalogue.text


@pytest.fixture
def village(tmp_path):
    """An audio cache and an announcements folder, as the instance folder holds them."""
    return AudioCache(tmp_path / "audio"), tmp_path / "announcements"


def everything_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# ── Validation: nothing is spoken or written for text that cannot be read out ──────


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("ก" * 2_001, "2,001 characters"),
        ("Meeting tomorrow at 9", "no Thai letters"),
        ("📢🙏🎉", "no Thai letters"),
        ("๑๒๓ 456", "no Thai letters"),
    ],
)
def test_text_that_cannot_be_announced_is_refused_and_nothing_is_written(text, why, village, words):
    cache, workdir = village
    engine = FakeEngine()
    with pytest.raises(InvalidInput) as raised:
        compose_announcement(text, engine, cache, workdir, words=words)
    assert why in raised.value.en
    assert re.search("[ก-๙]", raised.value.th), "the headman reads Thai"
    assert engine.calls == []
    assert everything_in(cache.directory) == [] and everything_in(workdir) == []


def test_two_thousand_characters_of_thai_are_allowed():
    assert validate(" " + "ก" * 2_000 + " ") == "ก" * 2_000


def test_the_message_is_said_twice_between_chimes_with_a_pause_between():
    parts = layout("ประกาศจากธนาคารเวลาค่ะ", "พรุ่งนี้ประชุมค่ะ")
    assert parts[0] == ("chime", "") and parts[-1] == ("chime", "")
    speech = [value for kind, value in parts if kind == "speech"]
    assert speech == ["ประกาศจากธนาคารเวลาค่ะ", "พรุ่งนี้ประชุมค่ะ", "พรุ่งนี้ประชุมค่ะ"]
    between = parts[parts.index(("speech", "พรุ่งนี้ประชุมค่ะ")) + 1]
    assert between == ("pause", 1.5)


# ── Templates ─────────────────────────────────────────────────────────────────────


def test_a_meeting_announcement_says_the_day_time_and_place(words):
    text = render_template("meeting", MEETING, words=words)
    assert "วันเสาร์ที่ 21 พฤศจิกายน 2569" in text
    assert "9 โมงเช้า" in text and "ศาลาวัดหนองบัว" in text
    assert validate(text) == text


def test_a_meeting_without_date_and_place_lists_both_missing_fields(words):
    with pytest.raises(InvalidInput) as raised:
        render_template("meeting", {"time": time(9, 0), "place": "  "}, words=words)
    assert "date, place" in raised.value.th and "date, place" in raised.value.en
    assert raised.value.details["missing"] == ["date", "place"]


def test_an_unknown_template_names_the_ones_there_are(words):
    with pytest.raises(InvalidInput) as raised:
        render_template("party", {}, words=words)
    assert "meeting" in raised.value.en and "welcome" in raised.value.th


def test_the_weekly_summary_thanks_only_the_helpers_who_agreed_to_be_named(words):
    week = {"minutes": 750, "helpers": 6, "named_helpers": ["ป้าแดง", "ลุงชัย", "น้องฝน"]}
    text = render_template("weekly", week, words=words)
    assert "6 ท่าน" in text and "12 ชั่วโมง 30 นาที" in text
    assert "ป้าแดง ลุงชัย และน้องฝน" in text


def test_a_weekly_summary_without_names_thanks_no_one_by_name(words):
    text = render_template("weekly", {"minutes": 60, "helpers": 1}, words=words)
    assert text == words("announce.weekly", helpers=1, hours="1 ชั่วโมง")


def test_a_quiet_week_gets_its_own_sentence(words):
    quiet = render_template("weekly", {"minutes": 0, "helpers": 0}, words=words)
    assert quiet == words("announce.weekly_none")


@pytest.mark.parametrize("bad", [-1, 2.5, "สาม", True])
def test_the_weekly_counts_must_be_whole_numbers(bad, words):
    with pytest.raises(InvalidInput) as raised:
        render_template("weekly", {"minutes": 60, "helpers": bad}, words=words)
    assert "helpers" in raised.value.en


def test_volunteers_needed_names_each_category_in_thai(words):
    unmet = {"clinic": 2, "errand": 1, "home": 0}
    text = render_template("volunteers_needed", {"unmet": unmet}, words=words)
    assert catalogue.text("category.clinic") + " 2 เรื่อง" in text
    assert "และ" + catalogue.text("category.errand") + " 1 เรื่อง" in text
    assert catalogue.text("category.home") not in text
    assert " 3 เรื่อง" in text


def test_no_unmet_requests_thanks_the_volunteers(words):
    text = render_template("volunteers_needed", {"unmet": {"clinic": 0}}, words=words)
    assert text == words("announce.volunteers_none")


def test_new_members_are_welcomed_by_name(words):
    text = render_template("welcome", {"names": ["ยายสมศรี", "ตาบุญมี"]}, words=words)
    assert "ยายสมศรี และตาบุญมี" in text


def test_a_welcome_without_names_is_missing_names(words):
    with pytest.raises(InvalidInput) as raised:
        render_template("welcome", {"names": []}, words=words)
    assert raised.value.details["missing"] == ["names"]


def test_free_text_is_the_headmans_own_words(words):
    text = render_template("free", {"text": " ขอให้ทุกบ้านช่วยกันเก็บขยะค่ะ "}, words=words)
    assert text == "ขอให้ทุกบ้านช่วยกันเก็บขยะค่ะ"


# ── Composition with the fake engine ──────────────────────────────────────────────


@needs_ffmpeg
def test_an_announcement_speaks_each_sentence_once_and_is_made_once(village, words):
    cache, workdir = village
    engine = FakeEngine(name="gtts")
    text = render_template("meeting", MEETING, words=words)
    made = compose_announcement(text, engine, cache, workdir, words=words)
    assert engine.calls == [speakable(words(LEAD_IN)), speakable(text)]
    assert made.spoken_text == speakable(text) and not re.search("[0-9]", made.spoken_text)
    assert (made.engine, made.offline) == ("gtts", False)
    assert made.path.parent == workdir and made.mp3_bytes[:3] in (b"ID3", b"\xff\xfb")
    assert [kind for kind, _ in made.parts].count("speech") == 3

    again = compose_announcement(text, engine, cache, workdir, words=words)
    assert again == made and len(engine.calls) == 2
    leftovers = [name for name in everything_in(workdir) if name.startswith(".")]
    assert not leftovers, "no temp files left"


@needs_ffmpeg
def test_an_announcement_made_while_gtts_is_down_is_marked_offline(village, words):
    cache, workdir = village
    gtts = FakeEngine(name="gtts", down=True)
    both = FallbackEngine(gtts, FakeEngine(name="espeak-ng", offline=True))
    made = compose_announcement("ประชุมพรุ่งนี้ค่ะ", both, cache, workdir, words=words)
    assert (made.offline, made.engine) == (True, "espeak-ng")


@needs_ffmpeg
def test_a_full_disk_while_writing_the_announcement_leaves_no_half_file(
    village, words, monkeypatch
):
    cache, workdir = village
    engine = FakeEngine()
    text = "ประชุมพรุ่งนี้ค่ะ"
    for line in (speakable(words(LEAD_IN)), speakable(text)):
        cache.get_or_make(line, engine)  # the speech is cached: only the announcement write fails

    def no_space(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(StorageFailed) as raised:
        compose_announcement(text, engine, cache, workdir, words=words)
    assert isinstance(raised.value, WelaError) and raised.value.th
    assert everything_in(workdir) == []


# ── End to end: a real announcement with espeak-ng and ffmpeg ───────────────────────


def ffprobe(path: Path) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_entries",
         "format=duration:stream=codec_name,channels,sample_rate", str(path)],
        capture_output=True, check=True,
    )
    return json.loads(done.stdout)


def ebur128_integrated(path: Path) -> float:
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = done.stderr.rsplit("Summary:", 1)[1]
    return float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))


def long_silences(path: Path, at_least_s: float) -> list[tuple[float, float]]:
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
         f"silencedetect=noise=-50dB:d={at_least_s}", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    starts = [float(s) for s in re.findall(r"silence_start: (-?[\d.]+)", done.stderr)]
    ends = [float(s) for s in re.findall(r"silence_end: ([\d.]+)", done.stderr)]
    return list(zip(starts, ends))


@needs_espeak
def test_a_real_announcement_decodes_has_the_expected_length_and_is_at_minus_16_lufs(
    village, words
):
    cache, workdir = village
    engine = EspeakEngine(speed=0.9)
    text = render_template("meeting", MEETING, words=words)

    made = compose_announcement(text, engine, cache, workdir, words=words)

    probe = ffprobe(made.path)
    assert probe["streams"] == [{"codec_name": "mp3", "sample_rate": "44100", "channels": 1}]
    def seconds_of(line: str) -> float:
        return float(ffprobe(cache.lookup(line, engine).path)["format"]["duration"])

    lead_s, message_s = seconds_of(speakable(words(LEAD_IN))), seconds_of(made.spoken_text)
    chime_s = audio.seconds(audio.chime())
    expected = (
        chime_s + AFTER_CHIME_S + lead_s + AFTER_LEAD_IN_S
        + message_s + REPEAT_PAUSE_S + message_s + BEFORE_CHIME_S + chime_s
    )
    assert float(probe["format"]["duration"]) == pytest.approx(expected, abs=0.1)
    assert made.duration_s == pytest.approx(expected, abs=0.1)

    assert ebur128_integrated(made.path) == pytest.approx(-16.0, abs=1.0)

    (pause,) = long_silences(made.path, at_least_s=1.3)  # the one pause before the repeat
    repeat_starts = chime_s + AFTER_CHIME_S + lead_s + AFTER_LEAD_IN_S + message_s + REPEAT_PAUSE_S
    assert pause[1] == pytest.approx(repeat_starts, abs=0.25)
    assert (made.offline, made.engine) == (True, "espeak-ng")
