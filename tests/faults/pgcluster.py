"""A private, throwaway PostgreSQL 15 cluster on a free loopback port, for tests that stop and restart it.

The shared test server is never touched: this cluster lives in its own temp folder, listens on
127.0.0.1 and a socket in that folder only, and is stopped and deleted when the test session
ends. Running as root, every server command runs as the ``postgres`` OS user (initdb refuses
root). ``skip_reason()`` says why it cannot run here (no binaries, no postgres user), for a
clear pytest skip.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, text

from wela.db import make_engine, normalise_url, upgrade

BIN_CANDIDATES = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (15, 16, 17, 14)]
START_TIMEOUT_S = 30


def _bin_dir() -> Optional[Path]:
    for folder in BIN_CANDIDATES:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def skip_reason() -> Optional[str]:
    """None when a private cluster can be made here, else why not."""
    if _bin_dir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' OS user to run the private cluster"
        if shutil.which("runuser") is None:
            return "running as root without runuser to drop to the postgres user"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """initdb → start → (stop / start / restart as the test wants) → destroy."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        assert self.bin is not None, skip_reason()
        self.root = Path(tempfile.mkdtemp(prefix="wela-pg-fault-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    # ── commands, as the postgres user when we are root ──
    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}"
                               f"\n{self.server_log()[-2000:]}")
        return done

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def init(self) -> "PrivateCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\nmax_connections = 60\n"
                       "shared_buffers = 16MB\nfsync = off\nfull_page_writes = off\n"
                       "log_min_messages = warning\n")
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_S),
                  "start", timeout=START_TIMEOUT_S + 10)

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are cut, the server shuts down cleanly; ``immediate``: like a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(START_TIMEOUT_S), "stop",
                  timeout=START_TIMEOUT_S + 10)

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t",
                  str(START_TIMEOUT_S), "restart", timeout=2 * START_TIMEOUT_S + 10)

    def running(self) -> bool:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0

    def destroy(self) -> None:
        try:
            if self.data.exists() and self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # ── databases ──
    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def fresh_database(self) -> str:
        """A new, migrated database on this cluster; its URL."""
        name = f"wela_f_{uuid.uuid4().hex[:10]}"
        admin = create_engine(normalise_url(self.admin_url), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        url = f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        return url


def wait_until(predicate, timeout_s: float, step_s: float = 0.05) -> bool:  # noqa: ANN001
    """Poll ``predicate`` until it is true or ``timeout_s`` passes (a bounded loop)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
