"""Every table of every package, gathered on one metadata for Alembic and the tests."""
from __future__ import annotations

import ledger.orm  # noqa: F401  (registers the ledger's tables)
from ledger.orm import Base

metadata = Base.metadata
import scheduler.orm  # noqa: F401,E402  (help requests, offers, jobs)
