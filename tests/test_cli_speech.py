"""`wela prompts render` and `wela announce` from the command line, with a fake speech engine."""
import json

import pytest
from flask.cli import ScriptInfo

from prompts_th import audio, catalogue
from prompts_th.engines import FakeEngine, FallbackEngine
from tests.databases import migrated_sqlite
from wela.app import create_app
from wela.bootstrap import Adapters
from wela.cli import main


@pytest.fixture
def app(tmp_path, clock):
    return create_app({"database_url": migrated_sqlite(tmp_path), "instance_path": tmp_path / "instance"},
                      adapters=Adapters(speech_engine=FakeEngine()), clock=clock)


def cli(app, *args):
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_every_slot_free_prompt_is_rendered_once_ever(app):
    engine = app.extensions["wela"].adapters.speech_engine
    out = cli(app, "prompts", "render")
    assert out.exit_code == 0, out.output
    slot_free = [k for k in catalogue.keys() if not catalogue.slots(k)]
    assert f"rendered {len(slot_free)}" in out.output
    spoken = len(engine.calls)
    assert spoken == len(set(engine.calls)) > 0
    assert cli(app, "prompts", "render").exit_code == 0
    assert len(engine.calls) == spoken                    # cached: nothing spoken twice
    wavs = list((app.extensions["wela"].settings.audio_dir).glob("*.wav"))
    assert len(wavs) >= len(set(engine.calls))            # a phone-ready 8 kHz WAV beside each MP3


def test_refresh_remakes_the_offline_prompts_and_their_phone_copies(tmp_path, clock):
    gtts, espeak = FakeEngine(name="gtts", down=True), FakeEngine(name="espeak-ng", offline=True)
    app = create_app({"database_url": migrated_sqlite(tmp_path), "instance_path": tmp_path / "instance"},
                     adapters=Adapters(speech_engine=FallbackEngine(gtts, espeak)), clock=clock)
    folder = app.extensions["wela"].settings.audio_dir
    assert "offline quality 0" not in cli(app, "prompts", "render").output
    offline = {p.stem for p in folder.glob("*.json") if json.loads(p.read_text("utf-8"))["offline"]}
    assert offline and offline == set(phone_copies(folder))

    gtts.down = False                                     # the network is back
    out = cli(app, "prompts", "refresh")
    assert out.exit_code == 0 and f"re-made {len(offline)} " in out.output, out.output
    assert not any(json.loads(p.read_text("utf-8"))["offline"] for p in folder.glob("*.json"))
    copies = phone_copies(folder)
    assert set(copies) == offline                         # each re-made sentence has its phone copies again
    for stem, (wav, slow) in copies.items():
        mp3 = folder / f"{stem}.mp3"
        assert audio.is_phone_ready(wav) and audio.is_phone_ready(slow, audio.SLOW_RATE)
        assert min(wav.stat().st_mtime_ns, slow.stat().st_mtime_ns) >= mp3.stat().st_mtime_ns


def phone_copies(folder) -> dict:
    """hash → (phone WAV, its slow twin), for the sentences that have both."""
    return {p.stem: (p, p.with_suffix(".slow.wav")) for p in folder.glob("*.wav")
            if not p.name.endswith(".slow.wav") and p.with_suffix(".slow.wav").exists()}


def test_a_headman_types_a_sentence_and_gets_an_mp3(app, tmp_path):
    out = cli(app, "announce", "--text", "ประชุมธนาคารเวลา วันเสาร์ที่ 28 พ.ย. 2569 เวลา 14.00 น.",
              "-o", str(tmp_path / "a.mp3"), "--by", "ผู้ใหญ่สมศักดิ์")
    assert out.exit_code == 0, out.output
    assert (tmp_path / "a.mp3").stat().st_size > 0
    listed = json.loads(cli(app, "announce", "list", "--json").output)
    assert [a["template"] for a in listed] == ["free"]
    assert listed[0]["made_by"] == "cli:ผู้ใหญ่สมศักดิ์"


def test_the_weekly_template_is_filled_from_the_bank(app, tmp_path):
    out = cli(app, "announce", "--template", "weekly", "-o", str(tmp_path / "w.mp3"))
    assert out.exit_code == 0, out.output
    assert "ธนาคารเวลา" in out.output


@pytest.mark.parametrize("args, th", [
    (["--text", ""], "กรุณาใส่ข้อความ"),
    (["--text", "hello 🙂"], "ภาษาไทย"),
    (["--text", "ก" * 2001], "ยาว"),
    (["--template", "meeting"], "ไม่ครบ"),
    (["--template", "nonsense"], ""),
])
def test_bad_announcements_get_a_clear_message_and_leave_no_file(app, args, th):
    out = cli(app, "announce", *args)
    assert out.exit_code != 0
    assert th in out.output and "Traceback" not in out.output
    folder = app.extensions["wela"].settings.announcements_dir
    assert not folder.exists() or not any(folder.glob("*.mp3"))
