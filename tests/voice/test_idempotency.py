"""A repeated or failed step changes nothing twice and loses nothing: on SQLite and on PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select, text

from prompts_th.catalogue import text as prompt
from scheduler.orm import HelpRequest
from tests.voice.helpers import SID, post, spoken, twiml, twilio_fields
from voice.orm import CallbackRequest, VoiceCall, VoiceStep

STEP = "/voice/step?n={n}&on=gather"


def count(w, model) -> int:
    with w.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def the_call(w, sid: str = SID) -> VoiceCall:
    with w.sessions() as s:
        return s.scalar(select(VoiceCall).where(VoiceCall.call_sid == sid))


def press(client, n: int, digits: str, sid: str = SID):
    return post(client, STEP.format(n=n), twilio_fields(sid, Digits=digits))


def test_a_repeated_webhook_gets_the_same_twiml_and_saves_the_request_once(client, w):
    post(client, "/voice/incoming")
    for n, key in enumerate(["1", "1", "2"], start=1):
        twiml(press(client, n, key))
    first = press(client, 4, "1").get_data(as_text=True)
    again = press(client, 4, "1").get_data(as_text=True)
    stale = press(client, 2, "1").get_data(as_text=True)
    assert first == again == stale and prompt("ivr.ask.saved") in first
    assert count(w, HelpRequest) == 1
    with w.sessions() as s:
        assert s.scalar(select(HelpRequest.key)) == f"ivr:{SID}:4"
        assert s.scalar(select(func.count()).select_from(VoiceStep).where(VoiceStep.seq == 4)) == 1


def test_a_database_error_mid_call_gives_the_thai_apology_and_saves_nothing_half(client, w):
    post(client, "/voice/incoming")
    for n, key in enumerate(["1", "1", "2"], start=1):
        press(client, n, key)
    with w.engine.begin() as conn:
        conn.execute(text("ALTER TABLE voice_call_steps RENAME TO voice_call_steps_away"))
    try:
        root = twiml(press(client, 4, "1"))
    finally:
        with w.engine.begin() as conn:
            conn.execute(text("ALTER TABLE voice_call_steps_away RENAME TO voice_call_steps"))
    assert spoken(root)[0] == prompt("error.generic") and root.find("Dial/Number") is not None
    assert count(w, HelpRequest) == 0 and the_call(w).seq == 4          # nothing half-saved
    assert count(w, CallbackRequest) == 1
    assert prompt("ivr.ask.saved") in press(client, 4, "1").get_data(as_text=True)   # Twilio retries
    assert count(w, HelpRequest) == 1
