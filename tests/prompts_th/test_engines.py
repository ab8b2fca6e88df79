"""Speech engines: the fake, gTTS-then-espeak-ng fallback, gTTS over faked HTTP, real espeak-ng."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.parse

import pytest
import requests
import responses

from ledger.errors import WelaError
from prompts_th import audio
from prompts_th.chunker import chunk_thai
from prompts_th.engines import (
    FakeEngine,
    FallbackEngine,
    SpeechUnavailable,
    mp3_tag,
    silent_mp3,
    speak,
)
from prompts_th.espeak_engine import EspeakEngine
from prompts_th.gtts_engine import GttsEngine

needs_ffmpeg = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="ffmpeg is not installed (apt-get install ffmpeg)",
)
needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="espeak-ng or ffmpeg is not installed (apt-get install espeak-ng ffmpeg)",
)

BATCHEXECUTE = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
LONG_UNSPACED = "ธนาคารเวลาขอขอบคุณจิตอาสาทุกท่านที่ช่วยเหลือผู้สูงอายุในหมู่บ้านของเรา" * 3


# ── The fake ──────────────────────────────────────────────────────────────────────


def test_the_fake_engine_records_what_it_was_asked_to_say():
    engine = FakeEngine()
    audio_bytes = engine.synthesize("สวัสดีค่ะ ยายสมศรี")
    assert engine.calls == ["สวัสดีค่ะ ยายสมศรี"]
    assert mp3_tag(audio_bytes) == "fake:สวัสดีค่ะ ยายสมศรี"


def test_a_fake_engine_that_is_down_says_so_in_thai_and_english():
    with pytest.raises(SpeechUnavailable) as raised:
        FakeEngine(down=True).synthesize("สวัสดีค่ะ")
    assert isinstance(raised.value, WelaError) and raised.value.th and raised.value.en


@needs_ffmpeg
def test_the_fake_engines_mp3_is_real_audio(tmp_path):
    path = tmp_path / "fake.mp3"
    path.write_bytes(silent_mp3(25, tag="fake:ยายสมศรี"))
    assert audio.duration(path) == pytest.approx(25 * 0.072, abs=0.01)


# ── Falling back from gTTS to espeak-ng ─────────────────────────────────────────────


def engines(primary_down=False):
    primary = FakeEngine(name="gtts", down=primary_down)
    fallback = FakeEngine(name="espeak-ng", offline=True)
    return primary, fallback


def test_the_fallback_engine_uses_the_primary_while_it_works():
    primary, fallback = engines()
    made = speak(FallbackEngine(primary, fallback), "สวัสดีค่ะ")
    assert (made.engine, made.offline) == ("gtts", False)
    assert fallback.calls == []


def test_the_fallback_stands_in_and_says_the_audio_is_offline_quality():
    primary, fallback = engines(primary_down=True)
    both = FallbackEngine(primary, fallback)
    made = speak(both, "สวัสดีค่ะ")
    assert (made.engine, made.offline) == ("espeak-ng", True)
    assert mp3_tag(made.audio) == "espeak-ng:สวัสดีค่ะ"
    assert (both.name, both.voice, both.speed, both.offline) == ("gtts", "th", 1.0, False)


def test_a_failed_primary_rests_for_the_cooldown_then_is_tried_again():
    now = [100.0]
    primary, fallback = engines(primary_down=True)
    both = FallbackEngine(primary, fallback, cooldown_s=60, clock=lambda: now[0])
    both.synthesize("หนึ่ง")
    both.synthesize("สอง")
    assert primary.calls == ["หนึ่ง"], "the primary is not asked again while it rests"
    now[0] += 61
    primary.down = False
    assert speak(both, "สาม").engine == "gtts"
    assert primary.calls == ["หนึ่ง", "สาม"]


def test_when_both_engines_are_down_the_error_names_both():
    primary, fallback = engines(primary_down=True)
    fallback.down = True
    with pytest.raises(SpeechUnavailable) as raised:
        FallbackEngine(primary, fallback).synthesize("สวัสดีค่ะ")
    assert "gtts" in raised.value.en and "espeak-ng" in raised.value.en


# ── gTTS over faked HTTP (the `responses` library; no network) ───────────────────────


def requested_text(request) -> str:
    """The text in gTTS's batchexecute form: f.req=[[["jQ1olc","[text,lang,speed,null]",...]]]."""
    form = urllib.parse.parse_qs(request.body)
    rpc = json.loads(form["f.req"][0])
    return json.loads(rpc[0][0][1])[0]


def google_answer(audio_bytes: bytes) -> str:
    """A batchexecute reply the way Google sends it: a guard line, a length, JSON rows."""
    payload = json.dumps([base64.b64encode(audio_bytes).decode("ascii")])
    rows = [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"], ["di", 42]]
    row = json.dumps(rows, separators=(",", ":"))
    return f")]}}'\n\n{len(row)}\n{row}\n"


def echo_audio(request):
    return 200, {}, google_answer(("audio:" + requested_text(request)).encode("utf-8"))


def test_gtts_sends_each_word_boundary_chunk_once_and_joins_the_audio():
    with responses.RequestsMock() as http:
        http.add_callback(responses.POST, BATCHEXECUTE, callback=echo_audio)
        result = GttsEngine(timeout=7).synthesize(LONG_UNSPACED)
        sent = [requested_text(call.request) for call in http.calls]
        timeouts = {call.request.req_kwargs["timeout"] for call in http.calls}
    assert sent == chunk_thai(LONG_UNSPACED, 100), "gTTS must not re-split our chunks"
    assert all(len(piece) <= 100 for piece in sent) and len(sent) >= 3
    assert result == b"".join(("audio:" + piece).encode("utf-8") for piece in sent)
    assert timeouts == {7}


def test_gtts_retries_a_server_error_with_backoff():
    waits = []
    with responses.RequestsMock() as http:
        http.add(responses.POST, BATCHEXECUTE, status=503)
        http.add(responses.POST, BATCHEXECUTE, status=503)
        http.add(responses.POST, BATCHEXECUTE, body=google_answer(b"audio"))
        result = GttsEngine(retries=2, backoff_s=0.5, sleep=waits.append).synthesize("สวัสดีค่ะ")
    assert result == b"audio"
    assert waits == [0.5, 1.0]


def test_gtts_gives_up_after_its_retries_with_speech_unavailable():
    with responses.RequestsMock() as http:
        http.add(responses.POST, BATCHEXECUTE, status=500)
        with pytest.raises(SpeechUnavailable) as raised:
            GttsEngine(retries=2, sleep=lambda s: None).synthesize("สวัสดีค่ะ")
        assert len(http.calls) == 3
    assert "3 attempt" in raised.value.en and raised.value.th


def test_gtts_does_not_retry_a_refusal():
    with responses.RequestsMock() as http:
        http.add(responses.POST, BATCHEXECUTE, status=403)
        with pytest.raises(SpeechUnavailable):
            GttsEngine(sleep=lambda s: None).synthesize("สวัสดีค่ะ")
        assert len(http.calls) == 1


def test_gtts_without_network_raises_speech_unavailable():
    with responses.RequestsMock() as http:
        http.add(responses.POST, BATCHEXECUTE, body=requests.ConnectionError("no route to host"))
        with pytest.raises(SpeechUnavailable):
            GttsEngine(retries=0).synthesize("สวัสดีค่ะ")


def test_gtts_with_a_reply_but_no_audio_raises_speech_unavailable():
    with responses.RequestsMock() as http:
        http.add(responses.POST, BATCHEXECUTE, body=")]}'\n\n[[\"wrb.fr\",\"jQ1olc\",null]]\n")
        with pytest.raises(SpeechUnavailable):
            GttsEngine(retries=0).synthesize("สวัสดีค่ะ")


def test_gtts_sends_nothing_for_punctuation_only():
    with responses.RequestsMock() as http:
        with pytest.raises(SpeechUnavailable):
            GttsEngine().synthesize(" ... !! ")
        assert len(http.calls) == 0


# ── espeak-ng, the offline voice ──────────────────────────────────────────────────


@needs_espeak
def test_espeak_speaks_thai_into_a_real_mp3(tmp_path):
    engine = EspeakEngine(speed=0.9)
    assert (engine.name, engine.offline) == ("espeak-ng", True)
    assert "low" in engine.quality.lower()
    path = tmp_path / "espeak.mp3"
    path.write_bytes(engine.synthesize("สวัสดีค่ะ ยายสมศรี วันนี้มีจิตอาสามาเยี่ยมค่ะ"))
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,channels",
             "-of", "json", str(path)],
            capture_output=True, check=True,
        ).stdout
    )
    assert probe["streams"] == [{"codec_name": "mp3", "channels": 1}]
    assert 1.0 < audio.duration(path) < 10.0


@needs_espeak
def test_espeak_slower_speech_lasts_longer():
    text = "ขอเชิญสมาชิกทุกท่านมาประชุมที่ศาลาวัดค่ะ"
    fast, slow = EspeakEngine(speed=1.2).wav(text), EspeakEngine(speed=0.7).wav(text)
    assert len(slow) > len(fast) * 1.3


def test_espeak_with_nothing_to_say_raises_speech_unavailable():
    with pytest.raises(SpeechUnavailable):
        EspeakEngine().synthesize("   ")


def test_missing_espeak_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no programs at all
    with pytest.raises(SpeechUnavailable) as raised:
        EspeakEngine().synthesize("สวัสดีค่ะ")
    assert "apt-get install espeak-ng" in raised.value.en
    assert raised.value.th


def test_missing_ffmpeg_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(audio.AudioToolMissing) as raised:
        audio.decode(b"not even audio")
    assert "apt-get install ffmpeg" in raised.value.en
