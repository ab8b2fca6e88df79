"""The voice webhooks, posted with the exact form fields Twilio sends and signed its way; TwiML read with ElementTree."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from prompts_th.catalogue import text as prompt
from ledger.orm import Member
from tests.voice.conftest import PUBLIC, SOMSRI, TOKEN, build_app
from tests.voice.helpers import SID, post, sign, spoken, twiml, twilio_fields, write_rendered
from voice.orm import CallbackRequest, OutboundCall, VoiceCall

STEP = "/voice/step?n={n}&on=gather"


@pytest.fixture
def db(sqlite_db):
    """These are about HTTP and TwiML: SQLite is enough (test_idempotency runs on both databases)."""
    return sqlite_db


def count(w, model) -> int:
    with w.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def the_call(w, sid: str = SID) -> VoiceCall:
    with w.sessions() as s:
        return s.scalar(select(VoiceCall).where(VoiceCall.call_sid == sid))


def press(client, n: int, digits: str, sid: str = SID):
    return post(client, STEP.format(n=n), twilio_fields(sid, Digits=digits))


def test_an_incoming_call_gets_a_gather_for_one_key_with_thai_prompts_inside(client, w):
    root = twiml(post(client, "/voice/incoming", twilio_fields(CallStatus="ringing")))
    gather, redirect = list(root)
    assert gather.tag == "Gather" and redirect.tag == "Redirect"
    assert gather.get("action") == f"{PUBLIC}/voice/step?n=1&on=gather"
    assert (gather.get("input"), gather.get("numDigits"), gather.get("timeout")) == ("dtmf", "1", "8")
    assert gather.get("actionOnEmptyResult") == "true" and gather.get("method") == "POST"
    says = list(gather)
    assert [el.tag for el in says] == ["Say", "Say"]
    assert all(el.get("language") == "th-TH" for el in says)
    assert [[(child.tag, child.get("rate")) for child in el] for el in says] == [[("prosody", "90%")]] * 2
    assert spoken(root)[1] == prompt("ivr.main.menu")           # a tenth slower, as the played prompts
    assert redirect.text == f"{PUBLIC}/voice/step?n=1&on=silence"
    assert the_call(w).member_id is not None


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "é" * 28, None])
def test_a_missing_or_forged_signature_is_refused_and_changes_nothing(client, w, signature):
    params = twilio_fields()
    forged = sign("/voice/incoming", params, token="x" * 32) if signature is None else signature
    response = client.post("/voice/incoming", data=params, headers={"X-Twilio-Signature": forged})
    assert response.status_code == 403
    assert count(w, VoiceCall) == 0


def test_a_signature_made_for_other_form_fields_is_refused(client, w):
    params = twilio_fields()
    signature = sign("/voice/incoming", {**params, "From": "+66899999999"})
    assert post(client, "/voice/incoming", params, signature=signature).status_code == 403


def test_a_name_posted_twice_is_signed_with_both_values(client, w):
    params = MultiDict([*twilio_fields().items(), ("Extra", "b"), ("Extra", "a")])
    one_value = sign("/voice/incoming", {**twilio_fields(), "Extra": "a"})
    assert post(client, "/voice/incoming", params, signature=one_value).status_code == 403
    assert count(w, VoiceCall) == 0
    assert post(client, "/voice/incoming", params).status_code == 200


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(client, w):
    params = twilio_fields()
    local = sign("/voice/incoming", params, base="http://localhost")
    assert post(client, "/voice/incoming", params, signature=local).status_code == 403
    assert post(client, "/voice/incoming", params).status_code == 200


def test_without_an_auth_token_only_loopback_requests_without_a_proxy_are_accepted(db, clock, tmp_path, dialer,
                                                                                 village):
    app = build_app(db, clock, tmp_path, dialer, twilio_auth_token="", public_url="")
    client = app.test_client()
    params = twilio_fields()
    assert client.post("/voice/incoming", data=params).status_code == 200
    far = client.post("/voice/incoming", data=twilio_fields("CA" + "b" * 32),
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    tunnelled = client.post("/voice/incoming", data=twilio_fields("CA" + "c" * 32),
                            headers={"X-Forwarded-For": "203.0.113.9"})
    assert (far.status_code, tunnelled.status_code) == (403, 403)
    app.extensions["wela"].close()


@pytest.mark.parametrize("digits", ["abc", "1" * 30, "<x/>", "١"])
def test_digits_that_are_not_keys_hear_sorry_and_the_menu_again(client, w, digits):
    post(client, "/voice/incoming")
    said = spoken(twiml(press(client, 1, digits)))
    assert said == [prompt("ivr.sorry.wrong_key"), prompt("ivr.main.menu")]


def test_without_a_call_sid_the_caller_hears_the_apology_and_is_put_through(client, w):
    fields = twilio_fields()
    del fields["CallSid"]
    root = twiml(post(client, "/voice/incoming", fields))
    assert spoken(root)[0] == prompt("error.generic")
    assert root.find("Dial/Number").text == "+66860001111"


def test_without_a_caller_id_the_stranger_menu_answers(client, w):
    fields = twilio_fields()
    del fields["From"]
    assert spoken(twiml(post(client, "/voice/incoming", fields)))[0] == prompt("ivr.stranger.intro")


def test_a_step_for_a_call_never_seen_apologises_and_starts_the_menu(client, w):
    root = twiml(press(client, 5, "1"))
    assert spoken(root) == [prompt("error.generic"), prompt("ivr.main.menu")]
    assert root.find("Gather").get("action").endswith("n=1&on=gather")


def test_prerendered_prompts_are_played_and_slots_are_said(app, client, w):
    key = write_rendered(w.settings.audio_dir, prompt("ivr.main.menu"))
    assert twiml(post(client, "/voice/incoming", twilio_fields("CA" + "d" * 32))).find("Gather/Play") is None
    app.extensions["wela.voice.audio"].warm()         # what the app starts in the background
    gather = twiml(post(client, "/voice/incoming")).find("Gather")
    say, play = list(gather)
    assert say.tag == "Say" and "ยายสมศรี" in "".join(say.itertext())     # a name: said
    assert play.tag == "Play" and play.text == f"{PUBLIC}/voice/audio/{key}.wav"
    with client.get(f"/voice/audio/{key}.wav") as audio:
        assert audio.status_code == 200 and audio.mimetype == "audio/wav"
        assert audio.cache_control.max_age == 86400 and audio.cache_control.public
        assert audio.get_data() == b"RIFFfake"
    with client.get(f"/voice/audio/{key}.mp3") as audio:
        assert audio.mimetype == "audio/mpeg"


def test_a_caller_who_asked_to_be_spoken_to_slowly_hears_the_slower_copies_and_pace(app, client, w):
    key = write_rendered(w.settings.audio_dir, prompt("ivr.main.menu"))
    write_rendered(w.settings.audio_dir, prompt("ivr.sorry.wrong_key"), slow=False)    # no slow twin yet
    with w.sessions.begin() as s:
        s.execute(update(Member).where(Member.phone == SOMSRI).values(speak_slowly=True))
    app.extensions["wela.voice.audio"].warm()
    gather = twiml(post(client, "/voice/incoming")).find("Gather")
    say, play = list(gather)
    assert say.find("prosody").get("rate") == "80%" and gather.get("timeout") == "10"
    assert play.tag == "Play" and play.text == f"{PUBLIC}/voice/audio/{key}.slow.wav"
    sorry = list(twiml(press(client, 1, "7")).find("Gather"))[0]     # said at her pace, not played at the usual
    assert sorry.tag == "Say" and sorry.find("prosody").get("rate") == "80%"
    assert "".join(sorry.itertext()) == prompt("ivr.sorry.wrong_key")
    with client.get(f"/voice/audio/{key}.slow.wav") as audio:
        assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.get_data() == b"RIFFslow"


@pytest.mark.parametrize("name", ["..%2F..%2Fwela.sqlite3", "secret_key", "abc.mp3", "a" * 64 + ".json",
                                  "a" * 64 + ".fast.wav", "a" * 64 + ".slow.json",
                                  "A" * 64 + ".mp3", "%2e%2e%2fsecret_key"])
def test_the_audio_route_serves_only_hex_named_audio(client, w, name):
    assert client.get(f"/voice/audio/{name}").status_code == 404


def test_the_fallback_url_apologises_in_thai_without_the_database(db, clock, tmp_path, dialer, village):
    app = build_app(db, clock, tmp_path, dialer, coordinator_phone="086-000-1111",
                    database_url=f"sqlite:///{tmp_path}/missing/nothing-here.sqlite3")
    client = app.test_client()
    root = twiml(client.get("/voice/fallback"))
    assert spoken(root)[0] == prompt("error.generic") and root.find("Dial/Number").text == "+66860001111"
    assert twiml(post(client, "/voice/fallback")).find("Dial") is not None
    assert client.post("/voice/fallback", data=twilio_fields()).status_code == 403
    app.extensions["wela"].close()


def test_an_unknown_url_or_method_under_voice_still_answers_in_thai_and_writes_nothing(client, w):
    assert spoken(twiml(post(client, "/voice/nowhere")))[0] == prompt("error.generic")
    assert spoken(twiml(client.get("/voice/incoming")))[0] == prompt("error.generic")
    assert count(w, CallbackRequest) == 0


def test_status_callbacks_end_the_call_once(client, w, clock):
    post(client, "/voice/incoming")
    press(client, 1, "3")
    end = twilio_fields(CallStatus="completed", CallDuration="42")
    assert post(client, "/voice/status", end).status_code == 204
    clock.advance(minutes=5)
    post(client, "/voice/status", {**end, "CallDuration": "99"})
    call = the_call(w)
    assert (call.status, call.duration_s, call.node) == ("completed", 42, "main")
    assert count(w, OutboundCall) == 0                   # she used the menu: no callback


def test_a_member_who_hangs_up_during_the_greeting_is_called_back(client, w):
    post(client, "/voice/incoming")
    post(client, "/voice/status", twilio_fields(CallStatus="completed", CallDuration="3"))
    post(client, "/voice/status", twilio_fields(CallStatus="completed", CallDuration="3"))
    with w.sessions() as s:
        order = s.scalar(select(OutboundCall))
    assert (order.purpose, order.key, order.status, order.phone) == ("callback", f"missed:{SID}", "queued",
                                                                    "+66812345678")
    assert count(w, OutboundCall) == 1


def test_in_reject_mode_the_call_is_rejected_so_the_elder_pays_nothing_and_is_called_back(client, w, clock):
    from ledger.settings import put_setting
    from wela.db import atomic

    atomic(w.sessions, lambda s: put_setting(s, "voice_missed_calls", "reject"))
    root = twiml(post(client, "/voice/incoming"))
    assert [el.tag for el in root] == ["Reject"] and root[0].get("reason") == "busy"
    with w.sessions() as s:
        order = s.scalar(select(OutboundCall))
    assert order.purpose == "callback" and order.next_attempt_at == clock.now() + timedelta(seconds=10)


def test_with_missed_calls_off_nobody_is_called_back(client, w):
    from ledger.settings import put_setting
    from wela.db import atomic

    atomic(w.sessions, lambda s: put_setting(s, "voice_missed_calls", "off"))
    post(client, "/voice/incoming")
    post(client, "/voice/status", twilio_fields(CallStatus="completed"))
    assert count(w, OutboundCall) == 0


def test_the_signed_token_is_the_banks_own(client):
    assert TOKEN and post(client, "/voice/incoming", token="y" * 32).status_code == 403
