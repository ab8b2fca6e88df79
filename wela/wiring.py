"""Wire the scheduler to the real channels: the SMS outbox as its Notifier, the call queue as its CallPlacer."""
from __future__ import annotations

import logging

from scheduler.context import Env, SchedulerRules
from scheduler.runner import Runner
from wela.bootstrap import Wela

log = logging.getLogger("wela")


def scheduler_env(w: Wela) -> Env:
    """The Env every channel passes to scheduler use cases (IVR, SMS, web, CLI, runner)."""
    from sms.notifier import OutboxNotifier
    from voice.outbound import CallQueue

    return Env(clock=w.clock, notifier=OutboxNotifier(), calls=CallQueue(), rules=SchedulerRules())


def runner(w: Wela) -> Runner:
    """The scheduler's runner with the channels' delivery steps after each tick."""
    from sms.outbox import flush as flush_sms
    from voice.outbound import flush as flush_calls

    r = Runner(w.sessions, scheduler_env(w))

    def send_sms() -> object:
        return flush_sms(w)

    def place_calls() -> object:
        return flush_calls(w)

    r.after.extend([send_sms, place_calls])
    return r
