"""The phone menu as a state machine, with no Flask, Twilio or database: ยายสมศรี presses keys."""
from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts_th import catalogue
from tests.voice.fakes import SATURDAY, SOMSRI, FakeWorld
from voice import menu
from voice.menu import (Caller, Credit, Dial, Event, Gather, Hangup, Record, Reject, State, Visit)
from voice.words import Minutes, fill

SILENCE = Event("silence")


class Dialog:
    """One call: the menu's state carried from step to step, as the glue stores it."""

    def __init__(self, world: FakeWorld, entry: str = "inbound", request_id=None) -> None:
        self.world = world
        self.state, self.reply = menu.start(entry, world, request_id)

    def send(self, event: Event):
        json.dumps(dict(self.state.ctx))                  # the context must stay JSON-safe
        self.state, self.reply = menu.step(self.state, event, self.world)
        return self.reply

    def press(self, *keys: str):
        for key in keys:
            self.send(Event("keys", key))
        return self.reply

    def silence(self, times: int = 1):
        for _ in range(times):
            self.send(SILENCE)
        return self.reply

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.reply.says]

    @property
    def heard(self) -> str:
        return " ".join(fill(s.key, s.slots) for s in self.reply.says)


def test_a_member_is_greeted_by_name_and_hears_the_main_menu_waiting_for_one_key():
    call = Dialog(FakeWorld())
    assert call.keys == ["ivr.welcome.member", "ivr.main.menu"]
    assert "คุณยายสมศรี" in call.heard
    assert call.reply.then == Gather(num_digits=1, timeout=8)
    assert call.state.node == "main"


def test_an_elder_who_asked_to_be_spoken_slowly_gets_ten_seconds_per_key():
    call = Dialog(FakeWorld(who=Caller(1, "ตาบุญมี", slow=True)))
    assert call.reply.then.timeout == 10
    assert call.press("1").then.timeout == 10


def test_somsri_asks_for_a_ride_to_the_clinic_tomorrow_in_four_key_presses():
    world = FakeWorld()
    call = Dialog(world)
    assert call.press("1").says[0].key == "ivr.ask.category"
    assert call.press("1").says[0].key == "ivr.ask.when"
    reply = call.press("2")
    assert call.heard.startswith("คุณต้องการให้ช่วยพาไปหาหมอหรือไปอนามัย พรุ่งนี้")
    assert [s.key for s in reply.says][1:] == ["ivr.ask.check_keys", "ivr.keys.common"]
    reply = call.press("1")
    assert world.asked == [("clinic", "tomorrow", "")]
    assert reply.task == "ask" and call.keys == ["ivr.ask.saved", "ivr.main.menu"]


def test_the_category_menu_lists_the_schedulers_categories_in_order_with_their_keys():
    call = Dialog(FakeWorld())
    call.press("1")
    assert call.keys == ["ivr.ask.category",
                         "category.clinic", "ivr.press.1", "category.errand", "ivr.press.2",
                         "category.home", "ivr.press.3", "category.visit", "ivr.press.4",
                         "category.other", "ivr.press.5", "ivr.keys.common"]


def test_more_than_five_categories_are_paged_with_key_six():
    world = FakeWorld(kinds=("clinic", "errand", "home", "visit", "garden", "other"))
    call = Dialog(world)
    call.press("1")
    assert call.keys.count("ivr.ask.more") == 1 and "category.other" not in call.keys
    call.press("6")
    assert call.keys[1:3] == ["category.other", "ivr.press.1"]
    call.press("1")
    assert call.reply.then == Record()


def test_something_else_records_a_short_message_then_asks_when():
    world = FakeWorld()
    call = Dialog(world)
    call.press("1", "5")
    assert call.keys == ["ivr.ask.record"] and isinstance(call.reply.then, Record)
    call.send(Event("recording", "#", "https://api.twilio.com/Recordings/RE1"))
    assert call.keys[0] == "ivr.ask.when"
    call.press("3", "1")
    assert world.asked == [("other", "this_week", "https://api.twilio.com/Recordings/RE1")]


def test_key_two_at_the_read_back_starts_the_request_again():
    world = FakeWorld()
    call = Dialog(world)
    call.press("1", "2", "1", "2")
    assert call.state.node == "ask_category" and "category" not in call.state.ctx
    call.press("4", "2", "1")
    assert world.asked == [("visit", "tomorrow", "")]


@pytest.mark.parametrize("keys", [(), ("1",), ("1", "1"), ("1", "1", "2"), ("2",), ("3",)])
def test_nine_repeats_and_zero_reaches_a_person_from_every_menu(keys):
    world = FakeWorld(waiting={7: Visit(7, "สมชาย", "errand", SATURDAY - timedelta(days=4))})
    call = Dialog(world)
    call.press(*keys)
    node, said = call.state.node, call.keys
    call.press("9")
    assert call.state.node == node and said[-len(call.keys):] == call.keys    # the menu, again
    reply = call.press("0")
    assert reply.then == Dial("+66860001111") and reply.person
    assert call.keys == ["ivr.person.connecting"]


def test_silence_hears_the_menu_again_twice_then_the_offer_of_a_person_never_a_hang_up():
    call = Dialog(FakeWorld())
    for _ in range(2):
        reply = call.silence()
        assert call.keys == ["ivr.sorry.silence", "ivr.main.menu"] and isinstance(reply.then, Gather)
    reply = call.silence()
    assert call.keys == ["ivr.offer.person"] and isinstance(reply.then, Gather)
    reply = call.silence()
    assert reply.then == Dial("+66860001111")


def test_a_wrong_key_is_forgiven_and_nine_at_the_offer_goes_back_to_the_same_menu():
    call = Dialog(FakeWorld())
    call.press("1")
    assert call.press("7").says[0].key == "ivr.sorry.wrong_key"
    call.send(Event("invalid"))
    call.press("8")
    assert call.keys == ["ivr.offer.person"]
    call.press("9")
    assert call.state.node == "ask_category" and call.keys[0] == "ivr.ask.category"
    assert call.state.ctx["misses"] == 0


def test_when_nobody_answers_a_callback_is_noted_and_the_menu_goes_on():
    world = FakeWorld()
    call = Dialog(world)
    call.press("0")
    reply = call.send(Event("dial", status="no-answer"))
    assert world.callbacks == ["no_answer"] and reply.person
    assert call.keys == ["ivr.person.callback", "ivr.main.menu"]
    call.press("0")
    assert call.send(Event("dial", status="completed")).then == Hangup()


def test_without_a_coordinator_number_the_caller_is_promised_a_callback():
    world = FakeWorld(coordinator_phone="")
    call = Dialog(world)
    reply = call.press("0")
    assert world.callbacks == ["no_coordinator"] and isinstance(reply.then, Gather)
    assert call.keys == ["ivr.person.callback", "ivr.main.menu"]


def test_a_line_left_open_ends_politely_after_repeated_tries_for_a_person():
    world = FakeWorld()
    call = Dialog(world)
    for _ in range(2):
        call.press("0")
        call.send(Event("dial", status="busy"))
    reply = call.press("0")
    assert reply.then == Hangup() and call.keys == ["ivr.person.callback", "ivr.goodbye"]


def test_confirming_reads_each_visit_back_and_pays_on_key_one():
    tuesday = SATURDAY - timedelta(days=4)
    world = FakeWorld(waiting={7: Visit(7, "สมชาย รักษ์ดี", "errand", tuesday),
                               8: Visit(8, "มาลี", "visit", SATURDAY - timedelta(days=1))})
    call = Dialog(world)
    call.press("2")
    assert call.heard.startswith("คุณสมชาย มาช่วยซื้อของหรือไปทำธุระ เมื่อวันอังคารที่สิบเจ็ด")
    reply = call.press("1")
    assert world.confirmed == [(7, True)] and reply.task == "confirm"
    assert call.heard.startswith("ขอบคุณค่ะ ธนาคารเวลาจ่ายเวลา หนึ่งชั่วโมงครึ่ง ให้คุณสมชาย แล้วค่ะ")
    assert "คุณมาลี มาช่วยเยี่ยมเยียนหรือเป็นเพื่อนคุย เมื่อวานนี้" in call.heard
    call.press("2")
    assert world.confirmed[-1] == (8, False)
    assert call.keys == ["ivr.confirm.disputed", "ivr.main.menu"]


def test_with_nothing_to_confirm_the_elder_is_told_so():
    call = Dialog(FakeWorld())
    call.press("2")
    assert call.keys == ["ivr.confirm.none", "ivr.main.menu"]


def test_the_balance_is_spoken_in_words_with_the_open_loan():
    call = Dialog(FakeWorld(credit=Credit(150, 60, 90)))
    reply = call.press("3")
    assert reply.says[0].slots == {"minutes": Minutes(150)}
    assert call.heard.startswith("เวลาคงเหลือของคุณ สองชั่วโมงครึ่ง ค่ะ")
    assert "และกันไว้จ่ายนัดที่รออยู่อีก หนึ่งชั่วโมง ค่ะ" in call.heard     # besides what is left, not part of it
    assert call.keys == ["ivr.balance.left", "ivr.balance.held", "ivr.balance.loan", "ivr.main.menu"]
    assert reply.task == "balance"


def test_a_refused_request_is_apologised_for_and_a_person_will_call_back():
    world = FakeWorld(refuse=True)
    call = Dialog(world)
    reply = call.press("1", "1", "1", "1")
    assert call.keys[0] == "ivr.ask.failed" and world.callbacks == ["ask_failed"] and reply.person


def test_a_stranger_hears_a_short_explanation_and_leaves_name_and_village():
    world = FakeWorld(who=None)
    call = Dialog(world)
    assert call.keys == ["ivr.stranger.intro", "ivr.stranger.menu"]
    call.press("2")
    assert isinstance(call.reply.then, Record) and call.keys == ["ivr.register.name"]
    call.send(Event("recording", "#", "https://rec/name"))
    reply = call.send(Event("recording", "#", "https://rec/village"))
    assert world.registered == [("https://rec/name", "https://rec/village")]
    assert reply.then == Hangup() and reply.task == "register"


def test_an_elder_on_a_neighbours_phone_enters_member_number_and_pin():
    world = FakeWorld(who=None, pins={("1", "1234"): SOMSRI})
    call = Dialog(world)
    call.press("1")
    assert call.reply.then == Gather(num_digits=None, timeout=10, finish_on_key="#")
    call.press("1")
    assert call.reply.then.num_digits == 4
    reply = call.press("1234")
    assert reply.task == "identify" and call.state.node == "main"
    assert call.keys == ["ivr.welcome.member", "ivr.main.menu"]


def test_a_wrong_pin_three_times_offers_a_person():
    call = Dialog(FakeWorld(who=None))
    call.press("1")
    for _ in range(2):
        call.press("1", "0000")
        assert call.keys == ["ivr.identify.wrong", "ivr.identify.number"]
    call.press("1", "0000")
    assert call.state.node == "offer"


def test_outbound_calls_remind_ask_for_confirmation_or_call_back():
    visit = Visit(7, "สมชาย", "clinic", SATURDAY + timedelta(days=1), time(9, 0))
    reminder = Dialog(FakeWorld(waiting={7: visit}), "reminder", 7)
    assert reminder.heard.startswith("ธนาคารเวลาโทรมาเตือนค่ะ พรุ่งนี้ เก้าโมงเช้า คุณสมชาย จะมาช่วยพาไปหาหมอ")
    confirm = Dialog(FakeWorld(waiting={7: visit, 3: visit}), "confirm", 7)
    assert confirm.keys[:2] == ["ivr.confirm.intro", "ivr.confirm.visit"]
    assert confirm.state.ctx["visits"] == [7, 3]
    assert Dialog(FakeWorld(), "callback").keys == ["ivr.callback.hello", "ivr.main.menu"]
    assert Dialog(FakeWorld(), "reject").reply.then == Reject()


def test_a_damaged_state_goes_home_with_an_apology():
    state, reply = menu.step(State("no_such_node", {"home": "main"}), Event("keys", "1"), FakeWorld())
    assert state.node == "main" and reply.says[0].key == "error.generic"


EVENTS = st.one_of(st.builds(Event, st.just("keys"), st.sampled_from(list("0123456789*#") + ["1234", "12"])),
                   st.just(SILENCE), st.just(Event("invalid")),
                   st.builds(Event, st.just("recording"), st.sampled_from(["#", "0", "9", ""]),
                             st.sampled_from(["", "https://rec/1"])),
                   st.builds(Event, st.just("dial"), status=st.sampled_from(["completed", "no-answer", "busy"])))


@settings(max_examples=150, deadline=None)
@given(events=st.lists(EVENTS, max_size=30), known=st.booleans(), entry=st.sampled_from(menu.ENTRIES))
def test_any_walk_says_only_catalogue_sentences_and_hangs_up_only_after_the_menu_ended(events, known, entry):
    world = FakeWorld(who=SOMSRI if known else None, pins={("1", "1234"): SOMSRI},
                      waiting={7: Visit(7, "สมชาย", "errand", date(2026, 11, 18))})
    call = Dialog(world, entry, 7)
    for event in events:
        before = call.state.node
        reply = call.send(event)
        for said in reply.says:
            assert catalogue.has(said.key)
            fill(said.key, said.slots)
            fill(said.key, said.slots, "en")
        if isinstance(reply.then, Hangup):
            assert before in ("end", "register_village", "dial") or call.keys[-1] == "ivr.goodbye"
            assert "ivr.sorry.silence" not in call.keys and "ivr.sorry.wrong_key" not in call.keys


def test_a_confirmation_the_ledger_cannot_pay_yet_is_thanked_and_left_to_the_coordinator():
    world = FakeWorld(waiting={7: Visit(7, "สมชาย", "errand", SATURDAY - timedelta(days=1))}, paid_minutes=0)
    call = Dialog(world)
    call.press("2")
    call.press("1")
    assert world.confirmed == [(7, True)]
    assert call.keys == ["ivr.confirm.settling", "ivr.main.menu"]
