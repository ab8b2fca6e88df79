"""Announcements for the loudspeaker: write or pick a template, preview the spoken Thai, make, play, download."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ledger.service import transfer
from prompts_th.engines import mp3_tag
from scheduler.requests import request_help
from tests.admin.conftest import text_of
from wela.admin.announcements import make_announcement
from wela.admin.orm import Announcement, AuditEntry
from wela.db import atomic

MEETING_TEXT = "เชิญประชุมสมาชิกวันที่ 25/11/2569 เวลา 13:30 น. ที่ศาลาวัด"


def records(app) -> list[Announcement]:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return list(s.scalars(select(Announcement).order_by(Announcement.id)))


def test_no_announcement_yet(headman):
    assert "ยังไม่มีประกาศ" in text_of(headman.get("/announcements"))


def test_the_preview_shows_the_text_and_the_words_the_voice_will_say(headman, speech):
    response = headman.post("/announcements/new", data={"template": "free", "text": MEETING_TEXT,
                                                        "action": "preview"})
    page = text_of(response)
    assert response.status_code == 200
    assert MEETING_TEXT in page
    spoken = page.split('class="spoken">')[1].split("</p>")[0]
    assert spoken.startswith("ประกาศจากธนาคารเวลาค่ะ")
    assert "ยี่สิบห้า พฤศจิกายน พุทธศักราช สองพันห้าร้อยหกสิบเก้า" in spoken and "บ่ายโมงครึ่ง" in spoken
    assert not speech.calls                                   # nothing spoken for a preview


def test_the_headman_makes_plays_and_downloads_an_announcement(headman, app, speech):
    response = headman.post("/announcements/new", data={"template": "free", "text": MEETING_TEXT,
                                                        "title": "ประชุมปลายเดือน", "play_on": "2026-11-24",
                                                        "action": "make"})
    assert response.status_code == 302 and response.headers["Location"] == "/announcements/1"
    [record] = records(app)
    assert (record.title, record.template, record.made_by, record.engine) == \
        ("ประชุมปลายเดือน", "free", "headman", "fake")
    assert record.play_at.isoformat() == "2026-11-24T00:00:00+00:00"          # 07:00 in Bangkok
    folder = Path(app.extensions["wela"].settings.announcements_dir)
    mp3 = folder / record.file_name
    assert mp3.is_file() and mp3.with_suffix(".txt").read_text("utf-8").strip() == MEETING_TEXT
    assert any("บ่ายโมงครึ่ง" in said for said in speech.calls)
    page = text_of(headman.get("/announcements/1"))
    assert '<audio controls preload="metadata" src="/announcements/1/audio.mp3"' in page
    assert "ดาวน์โหลด MP3" in page and MEETING_TEXT in page
    with headman.get("/announcements/1/audio.mp3") as audio:
        assert audio.status_code == 200 and audio.mimetype == "audio/mpeg"
        assert audio.get_data() == mp3.read_bytes()
    with headman.get("/announcements/1/download") as download:
        assert "attachment" in download.headers["Content-Disposition"]
        assert "wela-announcement-20261121-1.mp3" in download.headers["Content-Disposition"]
    listing = text_of(headman.get("/announcements"))
    assert "ประชุมปลายเดือน" in listing and "24 พ.ย. 69" in listing
    with app.extensions["wela"].sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "announcement:make"))
    assert entry.username == "headman" and entry.target == "announcement:1"


def test_the_weekly_summary_counts_this_weeks_help_by_itself(headman, app, clock):
    w = app.extensions["wela"]
    atomic(w.sessions, lambda s: transfer(s, payer_id=1, payee_id=2, minutes=90, key="week:1", clock=clock,
                                          entered_by="test"))
    page = text_of(headman.post("/announcements/new", data={"template": "weekly", "thanks": "สมชาย",
                                                            "action": "preview"}))
    assert "สมาชิกธนาคารเวลา 1 ท่าน ได้ช่วยเหลือกันรวม 1 ชั่วโมง 30 นาที" in page
    assert "ขอขอบคุณเป็นพิเศษ สมชาย" in page


def test_a_quiet_week_gets_the_encouraging_sentence(headman):
    page = text_of(headman.post("/announcements/new", data={"template": "weekly", "action": "preview"}))
    assert "สัปดาห์นี้ยังไม่มีการช่วยเหลือกันผ่านธนาคารเวลา" in page


def test_volunteers_are_asked_for_the_requests_still_waiting(headman, app, clock):
    from wela.admin.web import scheduler_env

    with app.test_request_context():
        env = scheduler_env()
    atomic(app.extensions["wela"].sessions, lambda s: request_help(
        s, env, member_id=1, category="clinic", when="tomorrow", part="morning"))
    page = text_of(headman.post("/announcements/new", data={"template": "volunteers_needed", "action": "preview"}))
    assert "ตอนนี้มีผู้รับบริการรอความช่วยเหลืออยู่ 1 เรื่อง" in page


def test_a_meeting_invitation_reads_the_date_in_the_buddhist_era(headman):
    page = text_of(headman.post("/announcements/new", data={
        "template": "meeting", "meeting_date": "2026-11-25", "meeting_time": "13:30", "place": "ศาลาวัดหนองบัว",
        "action": "preview"}))
    assert "วันพุธที่ 25 พฤศจิกายน 2569" in page and "บ่ายโมงครึ่ง" in page and "ศาลาวัดหนองบัว" in page


def test_the_welcome_starts_with_this_months_new_members(headman):
    form = text_of(headman.get("/announcements/new"))
    assert "ยายสมศรี ใจดี\nสมชาย รักษ์ดี" in form
    page = text_of(headman.post("/announcements/new", data={"template": "welcome", "names": "ยายแดง\nลุงมี",
                                                            "action": "preview"}))
    assert "ยินดีต้อนรับสมาชิกใหม่ ยายแดง และลุงมี" in page


@pytest.mark.parametrize("data, message", [
    ({"template": "free", "text": ""}, "กรุณาพิมพ์ข้อความประกาศก่อนค่ะ"),
    ({"template": "free", "text": "Meeting tomorrow at 9"}, "ข้อความประกาศต้องเป็นภาษาไทยค่ะ"),
    ({"template": "free", "text": "ก" * 2001}, "ยาวได้ไม่เกิน 2000 ตัวอักษร"),
    ({"template": "meeting", "meeting_date": "2026-11-25", "meeting_time": "13:30"}, 'id="place-error"'),
    ({"template": "meeting", "meeting_date": "25/11/2569", "place": "วัด"}, "วันที่ไม่ถูกต้อง"),
    ({"template": "welcome", "names": "  "}, 'id="names-error"><p>กรุณากรอกช่องนี้'),
    ({"template": "poem", "text": "กลอน"}, "กรุณาเลือกจากรายการ"),
])
def test_an_announcement_that_cannot_be_read_out_is_refused_in_thai(headman, app, speech, data, message):
    response = headman.post("/announcements/new", data={**data, "action": "make"})
    assert response.status_code == 400
    assert message in text_of(response)
    assert not records(app) and not speech.calls


def test_with_the_voice_down_nothing_is_saved_and_the_page_says_so(headman, app, speech):
    speech.down = True
    response = headman.post("/announcements/new", data={"template": "free", "text": MEETING_TEXT, "action": "make"})
    assert response.status_code == 400
    assert "ระบบเสียงพูดใช้งานไม่ได้ชั่วคราวค่ะ" in text_of(response)
    assert not records(app)


def test_a_missing_audio_file_is_said_plainly(headman, app):
    headman.post("/announcements/new", data={"template": "free", "text": MEETING_TEXT, "action": "make"})
    [record] = records(app)
    (Path(app.extensions["wela"].settings.announcements_dir) / record.file_name).unlink()
    assert "ไม่พบไฟล์เสียงของประกาศนี้" in text_of(headman.get("/announcements/1"))
    assert headman.get("/announcements/1/audio.mp3").status_code == 404


def test_the_use_case_is_plain_enough_for_the_command_line(app, speech):
    w = app.extensions["wela"]
    record = make_announcement(w, made_by="cli:somsak", template="meeting",
                               data={"date": "2026-11-25", "time": "09:00", "place": "ศาลาวัด"})
    assert record.id == 1 and "25 พฤศจิกายน 2569" in record.text and "เก้าโมงเช้า" in record.spoken_text
    assert record.data == {"date": "2026-11-25", "time": "09:00", "place": "ศาลาวัด"}
    audio = (Path(w.settings.announcements_dir) / record.file_name).read_bytes()
    assert audio.startswith(b"ID3") or audio[:2] == b"\xff\xfb" or len(audio) > 100
    assert mp3_tag(speech.synthesize("ทดสอบ")).startswith("fake:")
