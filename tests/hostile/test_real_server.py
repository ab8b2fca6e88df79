"""Oversized bodies against the real production server: gunicorn (as ``wela serve`` runs it) on loopback.

The in-process tests cannot show what gunicorn does with a body it is told is 20 MB, or with one sent
chunked with no size at all: here a raw socket sends both to a webhook and to an admin page while a
reader takes the answer as soon as it comes (the server answers before the upload ends, then closes).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.admin.conftest import _prepared
from tests.faults.pgcluster import free_port, wait_until

pytestmark = pytest.mark.hostile

BIG = 20 * 1024 * 1024
BLOCK = b"a" * 65536
TOO_BIG_TH = "ไฟล์หรือข้อมูลใหญ่เกินไป".encode()


@pytest.fixture
def server(tmp_path):  # noqa: ANN001, ANN201
    port = free_port()
    env = {**os.environ, "DATABASE_URL": _prepared(tmp_path), "WELA_INSTANCE_PATH": str(tmp_path / "instance"),
           "TWILIO_AUTH_TOKEN": "real-server-token", "WELA_PUBLIC_URL": "https://wela.example.org",
           "ANDROID_SMS_GATEWAY_WEBHOOK_SECRET": "real-server-key", "WELA_SECRET_KEY": "real-server",
           "WELA_SMS_GATEWAY": "console", "HOME": str(tmp_path)}
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
         "--worker-class", "gthread", "--timeout", "30", "--control-socket", str(tmp_path / "gunicorn.ctl"),
         "wela.app:create_app()"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=log, stderr=subprocess.STDOUT)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    try:
        if not wait_until(lambda: listening() or process.poll() is not None, 30) or process.poll() is not None:
            pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text(errors="replace")[-2000:])
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def _post_huge(port: int, path: str, chunked: bool, extra_headers: str = "") -> bytes:
    """Send a 20 MB body; return what the server answered (read while the upload goes on)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    answer = bytearray()
    done = threading.Event()

    def complete() -> bool:
        head, sep, body = bytes(answer).partition(b"\r\n\r\n")
        if not sep:
            return False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return len(body) >= int(value.strip() or 0)
        return False

    def read() -> None:
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline and not complete():
                data = sock.recv(4096)
                if not data:
                    break
                answer.extend(data)
        except OSError:
            pass
        finally:
            done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    head = (f"POST {path} HTTP/1.1\r\nHost: wela.example.org\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n{extra_headers}")
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {BIG}\r\n\r\n"
    try:
        sock.sendall(head.encode())
        sent = 0
        while sent < BIG and not done.is_set():
            sock.sendall((b"%x\r\n" % len(BLOCK) + BLOCK + b"\r\n") if chunked else BLOCK)
            sent += len(BLOCK)
        if chunked and not done.is_set():
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass                                   # the server stopped reading: that is the point
    reader.join(25)
    sock.close()
    return bytes(answer)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path, headers", [
    ("/sms/incoming", ""), ("/voice/incoming", "X-Twilio-Signature: bm90IGEgc2lnbmF0dXJl\r\n"),
    ("/sms/android", "X-Signature: 00\r\nX-Timestamp: 0\r\n"), ("/login", ""), ("/members/import", "")],
    ids=["sms", "voice-signed", "android-signed", "login", "import"])
def test_gunicorn_answers_413_in_thai_to_a_20_mb_post(server, path, headers, chunked):
    answer = _post_huge(server, path, chunked, headers)
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 413"), answer[:300]
    assert TOO_BIG_TH in answer, answer[:600]
