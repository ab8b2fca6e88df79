"""The gateways against local fakes of the providers' APIs, through the real client libraries on loopback."""
from dataclasses import replace

import pytest

from ledger.errors import InvalidInput
from scheduler.ports import Message
from sms.gateways import GatewayError, build_gateway, chosen_name
from sms.gateways.android_gateway import AndroidGateway
from sms.gateways.console_gateway import ConsoleGateway
from sms.gateways.twilio_gateway import TwilioGateway
from sms.notifier import OutboxNotifier
from sms.outbox import flush
from tests.sms.conftest import MALEE, SOMCHAI
from tests.sms.fakes import FakeAndroidGateway, FakeTwilio
from wela.db import atomic
from wela.settings import load_settings

TWILIO_NUMBER = "+15005550006"
OFFER = "ช่วยยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว ตอบ 1 รับ 2 ไม่รับ"


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def android():
    with FakeAndroidGateway() as fake:
        yield fake


def twilio_gateway(fake, **kw):
    return TwilioGateway(fake.user, fake.password, TWILIO_NUMBER, api_base=fake.url, timeout=0.5,
                         status_callback="https://wela.example.org/sms/status", **kw)


def android_gateway(fake, password=None):
    return AndroidGateway(fake.api_url, fake.user, password or fake.password, timeout=0.5)


# --- Twilio's REST Messages API --------------------------------------------------------------

def test_twilio_sends_a_thai_text_with_its_status_callback_and_returns_the_sid(twilio):
    result = twilio_gateway(twilio).send(SOMCHAI, OFFER, ref="r-1")
    [taken] = twilio.messages
    assert (taken.to, taken.sender, taken.body) == (SOMCHAI, TWILIO_NUMBER, OFFER)
    assert taken.callback == "https://wela.example.org/sms/status?ref=r-1"
    assert result.provider_id == taken.id and result.provider_id.startswith("SM")
    assert result.status == "sent"


def test_twilio_answering_500_is_a_retryable_error(twilio):
    twilio.fail_next = 1
    with pytest.raises(GatewayError) as raised:
        twilio_gateway(twilio).send(SOMCHAI, OFFER, ref="r-1")
    assert not raised.value.permanent and not raised.value.in_doubt and twilio.messages == []


def test_twilio_refusing_the_number_is_a_permanent_error(twilio):
    twilio.refuse_next = 1
    with pytest.raises(GatewayError) as raised:
        twilio_gateway(twilio).send(SOMCHAI, OFFER, ref="r-1")
    assert raised.value.permanent


def test_wrong_twilio_credentials_are_retried_once_the_settings_are_fixed(twilio):
    gateway = TwilioGateway(twilio.user, "wrong-token", TWILIO_NUMBER, api_base=twilio.url, timeout=0.5)
    with pytest.raises(GatewayError) as raised:
        gateway.send(SOMCHAI, OFFER, ref="r-1")
    assert not raised.value.permanent and "401" in str(raised.value)


def test_a_twilio_timeout_is_in_doubt_and_find_sees_the_text_it_took(twilio):
    twilio.slow_next = 1
    gateway = twilio_gateway(twilio)
    with pytest.raises(GatewayError) as raised:
        gateway.send(SOMCHAI, OFFER, ref="r-1")
    assert raised.value.in_doubt
    found = gateway.find(SOMCHAI, OFFER, ref="r-1")
    assert found is not None and found.provider_id == twilio.messages[0].id
    assert gateway.find(SOMCHAI, OFFER, ref="r-1", exclude={found.provider_id}) is None
    assert gateway.find(MALEE, OFFER, ref="r-2") is None


def test_a_twilio_that_hangs_up_without_answering_is_in_doubt(twilio):
    twilio.drop_next = 1
    gateway = twilio_gateway(twilio)
    with pytest.raises(GatewayError) as raised:
        gateway.send(SOMCHAI, OFFER, ref="r-1")
    assert raised.value.in_doubt and not raised.value.permanent
    assert gateway.find(SOMCHAI, OFFER, ref="r-1").provider_id == twilio.messages[0].id


def test_an_unreachable_twilio_is_a_retryable_error_and_surely_not_sent():
    fake = FakeTwilio()                      # never started: nobody listens on its port
    fake._server.server_close()
    with pytest.raises(GatewayError) as raised:
        twilio_gateway(fake).send(SOMCHAI, OFFER, ref="r-1")
    assert not raised.value.permanent and not raised.value.in_doubt


# --- SMS Gateway for Android ------------------------------------------------------------------

def test_the_android_gateway_sends_with_our_id_and_finds_it_again(android):
    gateway = android_gateway(android)
    result = gateway.send(SOMCHAI, OFFER, ref="wela-r-1")
    [taken] = android.messages
    assert (taken.id, taken.to, taken.body) == ("wela-r-1", SOMCHAI, OFFER)
    assert (result.provider_id, result.status) == ("wela-r-1", "sent")
    assert gateway.find(SOMCHAI, OFFER, ref="wela-r-1").provider_id == "wela-r-1"
    assert gateway.find(SOMCHAI, OFFER, ref="never-sent") is None


@pytest.mark.parametrize("fault, permanent, in_doubt", [
    ("fail_next", False, False), ("refuse_next", True, False), ("slow_next", False, True),
    ("drop_next", False, True)])
def test_android_gateway_errors_say_whether_to_retry(android, fault, permanent, in_doubt):
    setattr(android, fault, 1)
    with pytest.raises(GatewayError) as raised:
        android_gateway(android).send(SOMCHAI, OFFER, ref="wela-r-1")
    assert (raised.value.permanent, raised.value.in_doubt) == (permanent, in_doubt)


def test_an_unreachable_android_phone_is_a_retryable_error_and_surely_not_sent():
    fake = FakeAndroidGateway()              # never started: the phone is off
    fake._server.server_close()
    with pytest.raises(GatewayError) as raised:
        android_gateway(fake).send(SOMCHAI, OFFER, ref="wela-r-1")
    assert not raised.value.permanent and not raised.value.in_doubt


def test_a_wrong_android_password_waits_for_the_settings_to_be_fixed(android):
    with pytest.raises(GatewayError) as raised:
        android_gateway(android, password="wrong").send(SOMCHAI, OFFER, ref="wela-r-1")
    assert not raised.value.permanent and "401" in str(raised.value)


# --- chosen by settings -------------------------------------------------------------------------

@pytest.mark.parametrize("env, name, kind", [
    ({}, "console", ConsoleGateway),
    ({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": TWILIO_NUMBER},
     "twilio", TwilioGateway),
    ({"ANDROID_SMS_GATEWAY_URL": "http://192.168.1.10:8080", "ANDROID_SMS_GATEWAY_USER": "sms",
      "ANDROID_SMS_GATEWAY_PASSWORD": "p"}, "android", AndroidGateway),
    ({"ANDROID_SMS_GATEWAY_URL": "http://192.168.1.10:8080", "ANDROID_SMS_GATEWAY_PASSWORD": "p",
      "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": TWILIO_NUMBER},
     "android", AndroidGateway),
    ({"WELA_SMS_GATEWAY": "console", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
      "TWILIO_FROM_NUMBER": TWILIO_NUMBER}, "console", ConsoleGateway),
])
def test_the_gateway_is_chosen_by_settings_alone(tmp_path, env, name, kind):
    settings = load_settings(environ={"WELA_INSTANCE_PATH": str(tmp_path), **env})
    assert chosen_name(settings) == name
    assert isinstance(build_gateway(settings), kind)


@pytest.mark.parametrize("env", [{"WELA_SMS_GATEWAY": "line"}, {"WELA_SMS_GATEWAY": "twilio"},
                                 {"WELA_SMS_GATEWAY": "android"}])
def test_an_unknown_or_half_configured_gateway_is_a_clear_error(tmp_path, env):
    with pytest.raises(InvalidInput):
        build_gateway(load_settings(environ={"WELA_INSTANCE_PATH": str(tmp_path), **env}))


def test_the_console_gateway_prints_the_text(capsys):
    ConsoleGateway().send(SOMCHAI, OFFER, ref="r-1")
    assert f"SMS → {SOMCHAI}: {OFFER}" in capsys.readouterr().err


def _settings_for(provider, fake, w):
    if provider == "twilio":
        return replace(w.settings, sms_gateway="twilio", twilio_account_sid=fake.user,
                       twilio_auth_token=fake.password, twilio_from_number=TWILIO_NUMBER,
                       twilio_api_base=fake.url, public_url="https://wela.example.org")
    return replace(w.settings, sms_gateway="android", android_gateway_url=fake.api_url,
                   android_gateway_user=fake.user, android_gateway_password=fake.password)


def _offers(w, n, phone=SOMCHAI):
    atomic(w.sessions, lambda s: [OutboxNotifier(w.clock).send(s, Message(
        member_id=2, phone=phone, template="sms.offer", purpose="offer", key=f"offer:{i}", urgent=True,
        slots={"request": i, "name": "ยายสมศรี", "category": "clinic", "day": "2026-11-22", "start": "09:00",
               "village": "บ้านหนองบัว", "minutes": 60})) for i in range(n)])


@pytest.mark.parametrize("provider", ["twilio", "android"])
def test_a_bank_switches_provider_by_changing_settings_only(w, village, twilio, android, provider):
    fake = twilio if provider == "twilio" else android
    w.settings, w.adapters.sms_gateway = _settings_for(provider, fake, w), None
    _offers(w, 1)
    assert flush(w) == {"sent": 1}
    assert fake.bodies_to(SOMCHAI) == ["ช่วยยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว ตอบ 1 รับ 2 ไม่รับ"]
    assert w.adapters.sms_gateway.name == provider


@pytest.mark.fault
@pytest.mark.parametrize("provider", ["twilio", "android"])
@pytest.mark.parametrize("fault", ["fail_next", "slow_next"])
def test_a_provider_that_fails_the_first_sends_delivers_every_text_exactly_once(
        w, clock, village, twilio, android, provider, fault):
    fake = twilio if provider == "twilio" else android
    w.adapters.sms_gateway = twilio_gateway(fake) if provider == "twilio" else android_gateway(fake)
    _offers(w, 3, SOMCHAI)
    _offers_to_malee = [Message(member_id=3, phone=MALEE, template="sms.reply.help", slots={}, purpose="help",
                                key=f"help:{i}", urgent=True) for i in range(3)]
    atomic(w.sessions, lambda s: [OutboxNotifier(w.clock).send(s, m) for m in _offers_to_malee])
    setattr(fake, fault, 4)
    for _ in range(12):
        flush(w)
        clock.advance(minutes=5)
    assert len(fake.bodies_to(SOMCHAI)) == 3 and len(fake.bodies_to(MALEE)) == 3
    assert len(fake.messages) == 6                       # nothing twice, nothing lost
    from sms.outbox import outbox_rows
    with w.sessions() as s:
        rows = outbox_rows(s)
    assert {r.status for r in rows} == {"sent"}
    assert sorted(r.provider_id for r in rows) == sorted(m.id for m in fake.messages)
