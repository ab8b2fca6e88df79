"""The one place that chooses real or fake adapters and builds engines, sessions and the clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.clock import Clock, SystemClock
from wela.db import make_engine, make_reads, make_sessions, upgrade
from wela.settings import Settings


@dataclass
class Adapters:
    """Outside things behind small ports. Missing ones are built from settings on first use."""

    sms_gateway: Any = None        # sms.gateway.SmsGateway
    call_placer: Any = None        # voice.calls.CallPlacer
    speech_engine: Any = None      # prompts_th.engines.SpeechEngine
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Wela:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    adapters: Adapters

    @cached_property
    def reads(self) -> sessionmaker[Session]:
        """Sessions for reading only (never committed; on SQLite they hold up no writer)."""
        return make_reads(self.engine)

    def upgrade(self) -> None:
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings, *, clock: Optional[Clock] = None,
              adapters: Optional[Adapters] = None) -> Wela:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    return Wela(settings=settings, engine=engine, sessions=make_sessions(engine),
                clock=clock or SystemClock(), adapters=adapters or Adapters())
