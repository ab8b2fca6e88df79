"""`wela call` walks the real webhooks in a terminal; `wela voice …` gives the coordinator the numbers."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select, update

from prompts_th import audio
from prompts_th.catalogue import text as prompt
from prompts_th.engines import FakeEngine
from prompts_th.thai_text import speakable
from ledger.orm import Member
from scheduler.orm import HelpRequest
from tests.voice.conftest import SOMSRI
from tests.voice.helpers import write_rendered
from voice.audio import spoken_form
from wela.cli import main


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


@pytest.fixture
def wela(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(main, list(args), **kw)


def test_somsri_asks_for_a_clinic_ride_by_four_scripted_keys(wela, w):
    result = wela("call", "081-234-5678", "--keys", "1,1,2,1", "--en")
    assert result.exit_code == 0, result.output
    assert "คุณต้องการให้ช่วยพาไปหาหมอหรือไปอนามัย พรุ่งนี้" in result.output
    assert prompt("ivr.ask.saved") in result.output
    assert "Your request is saved." in result.output and "press 1" in result.output
    with w.sessions() as s:
        assert s.scalar(select(HelpRequest.category)) == "clinic"


def test_the_simulator_plays_the_rendered_prompts_from_the_first_reply_as_a_warm_server_would(wela, w):
    write_rendered(w.settings.audio_dir, prompt("ivr.main.menu"))
    result = wela("call", "081-234-5678", "--keys", "")
    assert result.exit_code == 0, result.output
    assert f"🗣 {prompt('ivr.welcome.member', name='ยายสมศรี')}" in result.output     # a name: said
    assert f"▶ {spoken_form(prompt('ivr.main.menu'))}" in result.output


@pytest.mark.skipif(not (shutil.which("ffmpeg") and shutil.which("ffprobe")), reason="ffmpeg is not installed")
@pytest.mark.parametrize("slow", [False, True])
def test_with_play_every_sentence_is_heard_the_said_ones_in_the_banks_own_voice(wela, w, monkeypatch, slow):
    played = []
    monkeypatch.setattr("wela.cli_voice._play", played.append)
    w.adapters.speech_engine = FakeEngine()
    key = write_rendered(w.settings.audio_dir, prompt("ivr.main.menu"))
    with w.sessions.begin() as s:
        s.execute(update(Member).where(Member.phone == SOMSRI).values(speak_slowly=slow))
    result = wela("call", "081-234-5678", "--keys", "3", "--play")
    assert result.exit_code == 0, result.output
    suffix = ".slow.wav" if slow else ".wav"                             # her pace, played or said
    assert [path.name for path in played[1::2]] == [key + suffix] * 2     # the menu, rendered
    said = played[0::2]                                                   # the welcome and the balance
    assert [json.loads((path.parent / (path.name.split(".")[0] + ".json")).read_text("utf-8"))["text"]
            for path in said] == [speakable(prompt("ivr.welcome.member", name="ยายสมศรี")),
                                  speakable("เวลาคงเหลือของคุณ สองชั่วโมง ค่ะ")]
    rate = audio.SLOW_RATE if slow else audio.PHONE_RATE
    assert all(path.name.endswith(suffix) and audio.is_phone_ready(path, rate) for path in said)


def test_keys_typed_at_the_prompt_and_q_hangs_up(wela):
    result = wela("call", "0812345678", input="3\nq\n")
    assert result.exit_code == 0, result.output
    assert "เวลาคงเหลือของคุณ สองชั่วโมง ค่ะ" in result.output
    assert "ผู้โทรวางสาย" in result.output


def test_a_missed_call_is_answered_by_the_banks_call_back(wela):
    result = wela("call", "081-234-5678", "--keys", "")
    assert result.exit_code == 0, result.output
    assert prompt("ivr.callback.hello") in result.output


def test_a_stranger_can_leave_a_name_in_the_simulator(wela):
    result = wela("call", "089-999-0000", "--keys", "2,สมหญิง,บ้านหนองบัว")
    assert prompt("ivr.register.thanks") in result.output
    listed = json.loads(wela("voice", "callbacks", "--json").output)
    assert [row["kind"] for row in listed] == ["registration"]
    settled = wela("voice", "registration-done", str(listed[0]["id"]), "registered")
    assert settled.exit_code == 0 and "registered" in settled.output
    assert json.loads(wela("voice", "callbacks", "--json").output) == []


def test_a_caller_nobody_answered_is_rung_back_and_marked_so(wela):
    wela("call", "081-234-5678", "--keys", "0,no-answer")
    [waiting] = json.loads(wela("voice", "callbacks", "--json").output)
    assert (waiting["kind"], waiting["reason"]) == ("callback", "no_answer")
    done = wela("voice", "callback-done", str(waiting["id"]), "--by", "somjai")
    assert done.exit_code == 0 and "โทรกลับแล้ว" in done.output
    assert json.loads(wela("voice", "callbacks", "--json").output) == []
    missing = wela("voice", "callback-done", "999")
    assert missing.exit_code != 0 and "ไม่พบรายการโทรกลับนี้" in missing.output and "Traceback" not in missing.output


def test_voice_stats_as_json_and_as_a_table(wela):
    wela("call", "081-234-5678", "--keys", "3,0,no-answer")
    data = json.loads(wela("voice", "stats", "--json").output)
    assert data["calls"] == 1 and data["needed_person"] == 1 and data["needed_person_share"] == 1.0
    assert data["tasks"][0]["task"] == "balance"
    assert "เมนูหลัก" in wela("voice", "stats").output


def test_the_fallback_twiml_for_hosting_elsewhere(wela):
    root = ET.fromstring(wela("voice", "fallback").output)
    assert "".join(root.find("Say").itertext()) == prompt("error.generic")


def test_the_missed_call_mode_is_a_bank_setting(wela):
    assert wela("voice", "missed-calls").output.strip() == "hangup"
    assert wela("voice", "missed-calls", "reject").output.strip() == "reject"
    assert wela("voice", "missed-calls", "never").exit_code != 0
