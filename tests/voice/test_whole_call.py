"""Whole calls, following the TwiML the way Twilio does, from /voice/incoming to a saved request,
a confirmation and a payment — on SQLite and on PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from ledger import service as ledger
from ledger.check import load_books, run_checks
from prompts_th.catalogue import text as prompt
from scheduler import offers
from scheduler.orm import HelpRequest
from scheduler.runner import Runner
from tests.voice.conftest import SOMSRI
from tests.voice.helpers import SID, post, twilio_fields
from voice import outbound
from voice.orm import OutboundCall, VoiceCall
from voice.simulator import Phone
from voice.stats import summary
from wela.db import atomic
from wela.wiring import scheduler_env


def somsri_asks_for_a_clinic_ride_tomorrow(client, w) -> Phone:
    phone = Phone(client, w.settings, SOMSRI)
    turn = phone.call()
    assert turn.waits == "gather" and "คุณยายสมศรี" in turn.says()
    for key in ("1", "1", "2"):
        phone.press(key)
    assert phone.turn.says().startswith("คุณต้องการให้ช่วยพาไปหาหมอหรือไปอนามัย พรุ่งนี้")
    turn = phone.press("1")                                  # the fourth key press
    assert turn.heard[0].text == prompt("ivr.ask.saved")
    assert phone.hang_up() == 204
    return phone


def a_volunteer_takes_it(w, village) -> Runner:
    env = scheduler_env(w)
    runner = Runner(w.sessions, env)
    runner.tick()
    atomic(w.sessions, lambda s: offers.answer_offer(s, env, volunteer_id=village.somchai, accept=True))
    return runner


def test_somsri_asks_by_phone_confirms_when_the_bank_calls_and_the_volunteer_is_paid(app, client, w, village,
                                                                                     clock, dialer):
    somsri_asks_for_a_clinic_ride_tomorrow(client, w)
    with w.sessions() as s:
        req = s.scalar(select(HelpRequest))
        assert (req.category, req.channel, req.member_id, req.minutes) == ("clinic", "ivr", village.somsri, 120)
        assert req.earliest_day.isoformat() == "2026-11-22"
    runner = a_volunteer_takes_it(w, village)
    clock.advance(days=1, hours=6)                           # Sunday afternoon: the visit is over
    runner.tick()
    assert outbound.flush(w) == {"dialled": 2}                 # the evening reminder and the confirmation
    with w.sessions() as s:
        orders = {o.purpose: o for o in s.scalars(select(OutboundCall))}
    confirm = next(c for c in dialer.calls if f"order={orders['confirm'].id}&" in c["url"])
    assert confirm["to"] == SOMSRI and set(orders) == {"reminder", "confirm"}

    call = Phone(client, w.settings, SOMSRI, sid=confirm["sid"], direction="outbound-api")
    turn = call.answer(confirm["url"])
    assert turn.heard[0].text == prompt("ivr.confirm.intro")
    assert turn.heard[1].text.startswith("คุณสมชาย มาช่วยพาไปหาหมอหรือไปอนามัย")
    turn = call.press("1")
    assert turn.heard[0].text == "ขอบคุณค่ะ ธนาคารเวลาจ่ายเวลา สองชั่วโมง ให้คุณสมชาย แล้วค่ะ"
    call.hang_up(path=confirm["status_callback"])

    with w.sessions() as s:
        req = s.get(HelpRequest, req.id)
        assert req.state == "paid" and req.paid_minutes == 120
        assert ledger.balance(s, village.somsri).balance == 0
        assert ledger.balance(s, village.somchai).balance == 240
        assert run_checks(load_books(s)) == []
        assert s.get(OutboundCall, orders["confirm"].id).status == "completed"
        numbers = summary(s)
    assert {t["task"] for t in numbers["tasks"]} == {"ask", "confirm"}
    assert numbers["calls"] == 2 and numbers["needed_person_share"] == 0.0


def test_somsri_calls_in_to_confirm_and_a_repeated_key_press_pays_once(app, client, w, village, clock):
    somsri_asks_for_a_clinic_ride_tomorrow(client, w)
    a_volunteer_takes_it(w, village)
    clock.advance(days=1, hours=6)
    sid = "CA" + "e" * 32
    phone = Phone(client, w.settings, SOMSRI, sid=sid)
    phone.call()
    turn = phone.press("2")
    assert turn.heard[0].text.startswith("คุณสมชาย มาช่วยพาไปหาหมอหรือไปอนามัย")
    paid = post(client, "/voice/step?n=2&on=gather", twilio_fields(sid, Digits="1")).get_data(as_text=True)
    again = post(client, "/voice/step?n=2&on=gather", twilio_fields(sid, Digits="1")).get_data(as_text=True)
    assert paid == again and "ให้คุณสมชาย แล้วค่ะ" in paid
    with w.sessions() as s:
        assert ledger.balance(s, village.somchai).balance == 240
        assert run_checks(load_books(s)) == []


def test_an_elder_on_a_neighbours_phone_asks_with_member_number_and_pin(app, client, w, village, clock):
    phone = Phone(client, w.settings, "+66899990000")
    assert phone.call().heard[0].text == prompt("ivr.stranger.intro")
    phone.press("1")
    phone.press(str(village.somsri))
    turn = phone.press("1234")
    assert turn.heard[0].text.startswith("สวัสดีค่ะ คุณยายสมศรี")
    for key in ("1", "4", "1", "1"):
        phone.press(key)
    with w.sessions() as s:
        req = s.scalar(select(HelpRequest))
        assert (req.member_id, req.category) == (village.somsri, "visit")
        assert req.earliest_day == req.latest_day == clock.now().date()          # วันนี้
        call = s.scalar(select(VoiceCall).where(VoiceCall.call_sid == phone.sid))
        assert call.member_id == village.somsri and call.tasks == ["identify", "ask"]


def test_a_stranger_leaves_name_and_village_for_the_coordinator(app, client, w, village):
    from voice.orm import PendingRegistration

    phone = Phone(client, w.settings, "+66899990000")
    phone.call()
    phone.press("2")
    phone.speak("https://api.twilio.com/Recordings/RE1")
    turn = phone.speak("https://api.twilio.com/Recordings/RE2")
    assert turn.ended and turn.heard[0].text == prompt("ivr.register.thanks")
    with w.sessions() as s:
        row = s.scalar(select(PendingRegistration))
        assert (row.phone, row.name_recording_url, row.village_recording_url) == \
            ("+66899990000", "https://api.twilio.com/Recordings/RE1", "https://api.twilio.com/Recordings/RE2")


def test_concurrent_twins_of_one_webhook_save_one_request(app, client, w, village):
    from concurrent.futures import ThreadPoolExecutor

    post(client, "/voice/incoming")
    for n, key in enumerate(["1", "1", "2"], start=1):
        post(client, f"/voice/step?n={n}&on=gather", twilio_fields(Digits=key))

    def twin(_):
        return post(app.test_client(), "/voice/step?n=4&on=gather",
                    twilio_fields(Digits="1")).get_data(as_text=True)

    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(twin, range(4)))
    assert len(set(bodies)) == 1 and prompt("ivr.ask.saved") in bodies[0]
    with w.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HelpRequest)) == 1
        assert s.scalar(select(VoiceCall.seq).where(VoiceCall.call_sid == SID)) == 5
