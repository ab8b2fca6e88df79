"""Every table of every package, gathered on one metadata for Alembic and the tests."""
from __future__ import annotations

import ledger.orm  # noqa: F401  (registers the ledger's tables)
from ledger.orm import Base

metadata = Base.metadata
import scheduler.orm  # noqa: F401,E402  (help requests, offers, jobs)
import wela.admin.orm  # noqa: F401,E402  (staff accounts, login attempts, audit trail, announcements)
import sms.orm  # noqa: F401,E402  (SMS outbox, inbox and opt-outs)
import voice.orm  # noqa: F401,E402  (calls, steps, outbound call orders, callbacks, registrations)
