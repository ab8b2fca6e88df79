"""Wire the scheduler to the real channels: the SMS outbox as its Notifier, the call queue as its CallPlacer."""
from __future__ import annotations

from scheduler.context import Env, SchedulerRules
from scheduler.runner import Runner
from sms import outbox as sms_outbox
from sms.notifier import OutboxNotifier
from voice import outbound as calls
from voice.outbound import CallQueue
from wela.bootstrap import Wela


def scheduler_env(w: Wela) -> Env:
    """The Env every channel passes to scheduler use cases (IVR, SMS, web, CLI, runner).

    A test may hand in its own as ``adapters.extra["scheduler_env"]`` (fake notifier and calls).
    """
    given = w.adapters.extra.get("scheduler_env")
    if given is not None:
        return given(w) if callable(given) else given
    return Env(clock=w.clock, notifier=OutboxNotifier(w.clock), calls=CallQueue(w.clock),
               rules=SchedulerRules())


def runner(w: Wela) -> Runner:
    """The scheduler's runner with the channels' delivery steps after each tick."""
    r = Runner(w.sessions, scheduler_env(w))

    def send_sms() -> object:
        return sms_outbox.flush(w)

    def place_calls() -> object:
        return calls.flush(w)

    r.after.extend([send_sms, place_calls])
    return r
