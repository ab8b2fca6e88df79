"""The scheduler's wiring to the channels, and its stand-ins while a channel's package is missing."""
import logging
import sys

import pytest

from scheduler.ports import CallOrder, Message
from wela import wiring


@pytest.fixture
def w(tmp_path):
    from tests.databases import migrated_sqlite
    from wela.app import create_app

    app = create_app({"database_url": migrated_sqlite(tmp_path), "instance_path": str(tmp_path / "instance")})
    yield app.extensions["wela"]
    app.extensions["wela"].close()


def test_without_the_sms_and_voice_packages_texts_and_calls_are_only_logged(w, monkeypatch, caplog):
    for name in ("sms.notifier", "sms.outbox", "voice.outbound"):
        monkeypatch.setitem(sys.modules, name, None)             # as if not written yet
    env = wiring.scheduler_env(w)
    assert isinstance(env.notifier, wiring.LoggingNotifier)
    assert isinstance(env.calls, wiring.LoggingCallPlacer)
    with caplog.at_level(logging.WARNING, logger="wela"):
        env.notifier.send(None, Message(1, "+66812345678", "sms.offer", {"code": "123"}, "offer", "k"))
        env.calls.place(None, CallOrder(1, "+66812345678", "confirm", "k", 7))
    assert "+66812345678" in caplog.text and "confirm" in caplog.text
    assert wiring.runner(w).after == []                          # nothing to flush


def test_the_real_channels_are_used_when_they_exist_on_the_bank_s_clock(w):
    from sms.notifier import OutboxNotifier
    from voice.outbound import CallQueue

    env = wiring.scheduler_env(w)
    assert isinstance(env.notifier, OutboxNotifier) and isinstance(env.calls, CallQueue)
    assert env.notifier.clock is w.clock and env.calls.clock is w.clock and env.clock is w.clock
    assert len(wiring.runner(w).after) == 2                      # send the SMS outbox, place the calls


def test_only_a_missing_module_falls_back_a_missing_dependency_still_fails(tmp_path, monkeypatch):
    (tmp_path / "wela_probe_broken.py").write_text("import wela_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert wiring._optional("wela_probe_absent") is None
    with pytest.raises(ModuleNotFoundError) as err:
        wiring._optional("wela_probe_broken")
    assert err.value.name == "wela_no_such_dependency"
