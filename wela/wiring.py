"""Wire the scheduler to the real channels: the SMS outbox as its Notifier, the call queue as its CallPlacer.

While a channel's package is not there yet (sms.notifier, sms.outbox, voice.outbound), the scheduler
still runs: texts and calls are written to the log and nothing is kept.
"""
from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Optional

from sqlalchemy.orm import Session

from scheduler.context import Env, SchedulerRules
from scheduler.ports import CallOrder, CallPlacer, Message, Notifier
from scheduler.runner import Runner
from wela.bootstrap import Wela

log = logging.getLogger("wela")


class LoggingNotifier:
    """Stand-in while the SMS outbox is missing: logs each text, keeps nothing."""

    def send(self, s: Session, message: Message) -> None:
        log.warning("SMS not sent (no sms.notifier): to %s %s %s %s", message.phone, message.template,
                    message.purpose, message.slots)


class LoggingCallPlacer:
    """Stand-in while the voice call queue is missing: logs each call, places none."""

    def place(self, s: Session, order: CallOrder) -> None:
        log.warning("call not placed (no voice.outbound): to %s for %s (request %s)", order.phone,
                    order.purpose, order.request_id)


def _optional(module_name: str) -> Optional[ModuleType]:
    """The module, or None when that very module does not exist (a missing dependency still raises)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def _notifier(w: Wela) -> Notifier:
    module = _optional("sms.notifier")
    return module.OutboxNotifier(w.clock) if module else LoggingNotifier()


def _call_placer(w: Wela) -> CallPlacer:
    module = _optional("voice.outbound")
    return module.CallQueue(w.clock) if module else LoggingCallPlacer()


def scheduler_env(w: Wela) -> Env:
    """The Env every channel passes to scheduler use cases (IVR, SMS, web, CLI, runner)."""
    return Env(clock=w.clock, notifier=_notifier(w), calls=_call_placer(w), rules=SchedulerRules())


def runner(w: Wela) -> Runner:
    """The scheduler's runner with the channels' delivery steps after each tick."""
    r = Runner(w.sessions, scheduler_env(w))
    sms_outbox = _optional("sms.outbox")
    calls = _optional("voice.outbound")

    def send_sms() -> object:
        return sms_outbox.flush(w)

    def place_calls() -> object:
        return calls.flush(w)

    if sms_outbox is not None:
        r.after.append(send_sms)
    if calls is not None:
        r.after.append(place_calls)
    return r
