"""One SQLite writer at a time, queued: a thread lock within the process and an ``flock`` across processes.

SQLite takes one writer at a time. Writers that find the database busy wait in SQLite's busy
handler, which sleeps in steps that grow to 100 ms a try: under load the unlucky starve (we
measured a p95 above a second with 50 callers). Queueing on this lock instead keeps every
webhook's wait short and fair. Not used on PostgreSQL, which locks rows.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Optional

log = logging.getLogger("wela.voice")


class WriterLock:
    """A context manager around one write transaction; the lock file sits beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._thread = threading.Lock()
        self._fd: Optional[int] = None

    def __enter__(self) -> "WriterLock":
        self._thread.acquire()
        try:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            log.warning("no file lock at %s: writers wait in SQLite instead", self.path)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread.release()
