"""The audio cache: each sentence spoken once ever, offline audio re-made, no half files."""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from ledger.errors import WelaError
from prompts_th import audio
from prompts_th.cache import AudioCache, StorageFailed, cache_key, phone_ready, slow_copy, write_atomically
from prompts_th.engines import FakeEngine, FallbackEngine, SpeechUnavailable, mp3_tag
from prompts_th.espeak_engine import EspeakEngine
from prompts_th.render import has_slots, render_prompts
from prompts_th.thai_text import speakable

needs_ffmpeg = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="ffmpeg is not installed (apt-get install ffmpeg)",
)

needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="espeak-ng and ffmpeg are needed (apt-get install espeak-ng ffmpeg)",
)

GREETING = "สวัสดีค่ะ ยายสมศรี"


def names(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def gtts_down_with_espeak():
    gtts = FakeEngine(name="gtts", down=True)
    espeak = FakeEngine(name="espeak-ng", offline=True)
    return gtts, espeak, FallbackEngine(gtts, espeak)


# ── Keys ──────────────────────────────────────────────────────────────────────────


def test_the_key_changes_with_engine_voice_speed_and_text():
    base = cache_key(GREETING, FakeEngine())
    assert cache_key(GREETING, FakeEngine()) == base
    assert len({
        base,
        cache_key(GREETING, FakeEngine(name="gtts")),
        cache_key(GREETING, FakeEngine(voice="th-slow")),
        cache_key(GREETING, FakeEngine(speed=0.9)),
        cache_key(GREETING + " ", FakeEngine()),
    }) == 5


# ── Hit, miss, once ever ──────────────────────────────────────────────────────────


def test_a_sentence_is_synthesised_once_ever(tmp_path):
    engine = FakeEngine()
    first = AudioCache(tmp_path).get_or_make(GREETING, engine)
    again = AudioCache(tmp_path).get_or_make(GREETING, engine)  # a new process, same folder
    assert engine.calls == [GREETING]
    assert again == first
    assert names(tmp_path) == sorted([first.path.name, first.path.with_suffix(".json").name])


def test_an_entry_is_an_mp3_named_by_its_hash_with_a_metadata_record(tmp_path):
    engine = FakeEngine(name="gtts")
    entry = AudioCache(tmp_path).get_or_make(GREETING, engine)
    assert entry.path.name == cache_key(GREETING, engine) + ".mp3"
    assert mp3_tag(entry.path.read_bytes()) == "gtts:" + GREETING
    meta = json.loads(entry.path.with_suffix(".json").read_text("utf-8"))
    assert {k: meta[k] for k in ("engine", "voice", "speed", "text", "offline")} == {
        "engine": "gtts", "voice": "th", "speed": 1.0, "text": GREETING, "offline": False,
    }
    assert meta["created"].endswith("+00:00")


def test_a_miss_is_none_until_made(tmp_path):
    cache = AudioCache(tmp_path)
    assert cache.lookup(GREETING, FakeEngine()) is None
    cache.get_or_make(GREETING, FakeEngine())
    assert cache.lookup(GREETING, FakeEngine()) is not None
    assert cache.lookup(GREETING, FakeEngine(speed=0.8)) is None


def test_an_mp3_without_its_record_is_a_miss_and_is_made_again(tmp_path):
    engine = FakeEngine()
    cache = AudioCache(tmp_path)
    entry = cache.get_or_make(GREETING, engine)
    entry.path.with_suffix(".json").unlink()
    cache.get_or_make(GREETING, engine)
    assert engine.calls == [GREETING, GREETING]


class SlowEngine(FakeEngine):
    def synthesize(self, text: str) -> bytes:
        time.sleep(0.05)
        return super().synthesize(text)


def test_many_threads_asking_for_the_same_sentence_synthesise_it_once(tmp_path):
    engine, cache = SlowEngine(), AudioCache(tmp_path)
    start = threading.Barrier(8)
    results = []

    def ask():
        start.wait()
        results.append(cache.get_or_make(GREETING, engine))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert engine.calls == [GREETING]
    assert len(set(results)) == 1


# ── Offline audio, filed under the intended engine, refreshed later ─────────────────


def test_fallback_audio_is_filed_under_the_gtts_key_and_marked_offline(tmp_path):
    gtts, espeak, both = gtts_down_with_espeak()
    cache = AudioCache(tmp_path)
    entry = cache.get_or_make(GREETING, both)
    assert (entry.offline, entry.engine) == (True, "espeak-ng")
    assert entry.path.name == cache_key(GREETING, gtts) + ".mp3"
    assert cache.lookup(GREETING, gtts) == entry
    meta = json.loads(entry.path.with_suffix(".json").read_text("utf-8"))
    assert meta["offline"] is True and meta["for"]["engine"] == "gtts" and "low" in meta["quality"]


def test_refresh_remakes_offline_entries_once_gtts_is_back(tmp_path):
    gtts, espeak, both = gtts_down_with_espeak()
    cache = AudioCache(tmp_path)
    for text in (GREETING, "ตาบุญมีขอบคุณค่ะ"):
        cache.get_or_make(text, both)
    stale_phone_copy = cache.lookup(GREETING, gtts).path.with_suffix(".wav")
    stale_phone_copy.write_bytes(b"old audio")

    assert cache.refresh_offline(gtts) == 0, "gTTS is still down"
    assert cache.lookup(GREETING, gtts).offline

    gtts.down = False
    assert cache.refresh_offline(gtts) == 2
    entry = cache.lookup(GREETING, gtts)
    assert (entry.offline, entry.engine) == (False, "gtts")
    assert mp3_tag(entry.path.read_bytes()) == "gtts:" + GREETING
    assert not stale_phone_copy.exists()
    assert cache.refresh_offline(gtts) == 0, "nothing offline is left"


def test_refresh_through_a_fallback_that_still_falls_back_changes_nothing(tmp_path):
    gtts, espeak, both = gtts_down_with_espeak()
    cache = AudioCache(tmp_path)
    cache.get_or_make(GREETING, both)
    assert cache.refresh_offline(FallbackEngine(gtts, espeak)) == 0
    assert cache.lookup(GREETING, gtts).offline


def test_refresh_leaves_audio_asked_of_the_offline_engine_itself(tmp_path):
    espeak = FakeEngine(name="espeak-ng", offline=True)
    cache = AudioCache(tmp_path)
    cache.get_or_make(GREETING, espeak)
    assert cache.refresh_offline(FakeEngine(name="gtts")) == 0


# ── Atomic writes: a failure leaves no half file ──────────────────────────────────


def test_an_engine_that_fails_leaves_nothing_behind(tmp_path):
    with pytest.raises(SpeechUnavailable):
        AudioCache(tmp_path).get_or_make(GREETING, FakeEngine(down=True))
    assert names(tmp_path) == []


def test_a_failing_rename_leaves_nothing_and_says_so_in_thai_and_english(tmp_path, monkeypatch):
    def no_space(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(StorageFailed) as raised:
        AudioCache(tmp_path).get_or_make(GREETING, FakeEngine())
    assert isinstance(raised.value, WelaError)
    assert "พื้นที่" in raised.value.th and "No space left" in raised.value.en
    assert names(tmp_path) == []


def test_a_disk_that_fills_up_at_fsync_leaves_nothing(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageFailed):
        AudioCache(tmp_path).get_or_make(GREETING, FakeEngine())
    assert names(tmp_path) == []


def test_a_record_that_cannot_be_written_takes_its_mp3_with_it(tmp_path, monkeypatch):
    real_replace = os.replace

    def fail_for_records(source, target):
        if str(target).endswith(".json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", fail_for_records)
    with pytest.raises(StorageFailed):
        AudioCache(tmp_path).get_or_make(GREETING, FakeEngine())
    assert names(tmp_path) == []


def test_a_failed_rewrite_keeps_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "prompt.mp3"
    write_atomically(target, b"old audio")
    def broken(source, target):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(StorageFailed):
        write_atomically(target, b"new audio, half written")
    assert target.read_bytes() == b"old audio"
    assert names(tmp_path) == ["prompt.mp3"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_a_read_only_folder_gives_storage_failed_and_no_file(tmp_path):
    folder = tmp_path / "audio"
    cache = AudioCache(folder)
    folder.chmod(0o555)
    try:
        with pytest.raises(StorageFailed):
            cache.get_or_make(GREETING, FakeEngine())
        assert names(folder) == []
    finally:
        folder.chmod(0o755)


# ── Phone copies and pre-rendered prompts ──────────────────────────────────────────


def probe(path) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
         "-of", "json", str(path)],
        capture_output=True, check=True,
    )
    return json.loads(done.stdout)["streams"][0]


@needs_ffmpeg
def test_phone_ready_makes_an_8khz_mono_mulaw_wav_beside_the_mp3_once(tmp_path):
    entry = AudioCache(tmp_path).get_or_make(GREETING, FakeEngine())
    wav = phone_ready(entry.path)
    assert wav == entry.path.with_suffix(".wav")
    assert probe(wav) == {"codec_name": "pcm_mulaw", "sample_rate": "8000", "channels": 1}
    made = wav.stat().st_mtime_ns
    assert phone_ready(entry.path) == wav and wav.stat().st_mtime_ns == made
    assert not [name for name in names(tmp_path) if name.startswith(".")]



def loudness(path) -> float:
    done = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128",
                           "-f", "null", "-"], capture_output=True, text=True, check=True)
    return float(done.stderr.rsplit("Summary:", 1)[1].split("I:", 1)[1].split("LUFS")[0])


def gain(mp3, decibels: float, target):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(mp3), "-af", f"volume={decibels}dB",
                    "-c:a", "libmp3lame", "-q:a", "4", str(target)], check=True)
    return target


@needs_espeak
def test_phone_copies_of_a_quiet_and_a_loud_voice_come_out_equally_loud_and_slower(tmp_path):
    sentence = "ขอความช่วยเหลือ กด หนึ่ง ฟังเวลาคงเหลือ กด สาม คุยกับเจ้าหน้าที่ กด ศูนย์ ค่ะ"
    spoken = AudioCache(tmp_path).get_or_make(sentence, EspeakEngine()).path
    quiet, loud = gain(spoken, -14, tmp_path / "quiet.mp3"), gain(spoken, +4, tmp_path / "loud.mp3")
    assert loudness(loud) - loudness(quiet) > 15
    for source in (spoken, quiet, loud):
        wav = phone_ready(source)
        for copy, rate in ((wav, audio.PHONE_RATE), (slow_copy(source), audio.SLOW_RATE)):
            assert probe(copy) == {"codec_name": "pcm_mulaw", "sample_rate": "8000", "channels": 1}
            assert abs(loudness(copy) - audio.PHONE_LOUDNESS.integrated) <= 1.0, (source.name, rate)
            assert audio.is_phone_ready(copy, rate) and not audio.is_phone_ready(copy, 1.0)
            slowed = audio.duration(copy) / audio.duration(source)     # a tenth slower; a fifth for the slow
            assert abs(slowed - 1 / rate) < 0.03, (slowed, rate)


@needs_ffmpeg
def test_a_phone_copy_made_before_prompts_were_levelled_is_made_again(tmp_path):
    entry = AudioCache(tmp_path).get_or_make(GREETING, FakeEngine())
    wav = entry.path.with_suffix(".wav")
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(entry.path), "-ar", "8000", "-ac", "1",
                    "-acodec", "pcm_mulaw", "-f", "wav", str(wav)], check=True)   # as older Wela made it
    assert wav.stat().st_mtime_ns >= entry.path.stat().st_mtime_ns and not audio.is_phone_ready(wav)
    assert phone_ready(entry.path) == wav
    assert audio.is_phone_ready(wav) and audio.is_phone_ready(slow_copy(entry.path), audio.SLOW_RATE)
    assert probe(wav) == {"codec_name": "pcm_mulaw", "sample_rate": "8000", "channels": 1}

def test_slots_are_found_and_literal_braces_are_not_slots():
    assert has_slots("คุณมีเวลาคงเหลือ {minutes} ค่ะ")
    assert not has_slots("กด 1 เพื่อขอความช่วยเหลือค่ะ")
    assert not has_slots("วงเล็บ {{ แบบนี้ }} ค่ะ")


PROMPTS = {
    "ivr.welcome": "สวัสดีค่ะ ธนาคารเวลาบ้านหนองบัว",
    "ivr.main_menu": "ขอความช่วยเหลือ กด 1 ฟังเวลาคงเหลือ กด 2",
    "ivr.balance": "คุณมีเวลาคงเหลือ {minutes} ค่ะ",
}


@needs_ffmpeg
def test_render_prompts_makes_mp3_and_phone_wav_for_sentences_without_slots(tmp_path):
    engine = FakeEngine(name="gtts")
    report = render_prompts(PROMPTS, AudioCache(tmp_path), engine)
    assert sorted(report.rendered) == ["ivr.main_menu", "ivr.welcome"]
    assert report.skipped == ["ivr.balance"]
    assert report.counts == {"rendered": 2, "skipped": 1, "offline": 0, "failed": 0}
    for mp3, wav in report.rendered.values():
        assert mp3.exists() and probe(wav)["codec_name"] == "pcm_mulaw"
    assert speakable(PROMPTS["ivr.main_menu"]) in engine.calls
    spoken = " ".join(engine.calls)
    assert not any(char.isdigit() for char in spoken), "digits are spoken as words"

    again = render_prompts(PROMPTS, AudioCache(tmp_path), engine)
    assert len(engine.calls) == 2, "a second run speaks nothing again"
    assert again.rendered == report.rendered


@needs_ffmpeg
def test_render_prompts_reports_offline_audio_and_failures(tmp_path):
    gtts, espeak, both = gtts_down_with_espeak()
    report = render_prompts(PROMPTS, AudioCache(tmp_path), both)
    assert report.offline == ["ivr.main_menu", "ivr.welcome"]

    espeak.down = True
    failed = render_prompts({"ivr.goodbye": "ขอบคุณค่ะ สวัสดีค่ะ"}, AudioCache(tmp_path), both)
    assert list(failed.failed) == ["ivr.goodbye"] and failed.rendered == {}
