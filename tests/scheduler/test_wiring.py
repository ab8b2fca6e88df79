"""The scheduler's wiring to the channels: the SMS outbox and the call queue, on the bank's clock."""
import pytest

from scheduler.context import Env
from scheduler.ports import FakeCallPlacer, FakeNotifier
from wela import wiring


@pytest.fixture
def w(tmp_path):
    from tests.databases import migrated_sqlite
    from wela.app import create_app

    app = create_app({"database_url": migrated_sqlite(tmp_path), "instance_path": str(tmp_path / "instance")})
    yield app.extensions["wela"]
    app.extensions["wela"].close()


def test_the_real_channels_are_used_on_the_bank_s_clock(w):
    from sms.notifier import OutboxNotifier
    from voice.outbound import CallQueue

    env = wiring.scheduler_env(w)
    assert isinstance(env.notifier, OutboxNotifier) and isinstance(env.calls, CallQueue)
    assert env.notifier.clock is w.clock and env.calls.clock is w.clock and env.clock is w.clock
    assert len(wiring.runner(w).after) == 2                      # send the SMS outbox, place the calls


def test_a_test_can_hand_in_its_own_env(w):
    env = Env(clock=w.clock, notifier=FakeNotifier(), calls=FakeCallPlacer())
    w.adapters.extra["scheduler_env"] = env
    assert wiring.scheduler_env(w) is env
    w.adapters.extra["scheduler_env"] = lambda _w: env
    assert wiring.scheduler_env(w) is env
