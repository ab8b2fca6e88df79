"""The gateway used when no provider is configured: prints each text (to stderr) and calls it sent.

The outbox row is the record; this is what lets the bank run end to end on one machine.
"""
from __future__ import annotations

import logging
import sys
from typing import AbstractSet, Optional, TextIO

from sms.gateways.base import SendResult

log = logging.getLogger("wela.sms")


class ConsoleGateway:
    name = "console"

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self._stream = stream

    def send(self, to: str, body: str, *, ref: str) -> SendResult:
        stream = self._stream or sys.stderr      # stdout stays clean for `--json`
        print(f"SMS → {to}: {body}", file=stream, flush=True)
        log.info("console SMS to %s (%s): %s", to, ref, body)
        return SendResult(provider_id=f"console-{ref}")

    def find(self, to: str, body: str, *, ref: str, exclude: AbstractSet[str] = frozenset()
             ) -> Optional[SendResult]:
        return None         # printing again is harmless: nothing leaves the machine


def from_settings(settings: object) -> ConsoleGateway:
    return ConsoleGateway()
