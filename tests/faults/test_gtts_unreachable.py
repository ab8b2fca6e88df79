"""gTTS cannot reach Google: the headman's announcement is still made, in espeak-ng's offline voice,
marked offline in its metadata, and ``wela announce`` says so.

How the fault is made real: gTTS sends its requests through the proxies in the environment
(``urllib.request.getproxies()``), so ``HTTPS_PROXY`` points at a loopback listener that accepts
each connection and slams it shut; a second run points it at a closed port (connection refused).
No request leaves the machine; the real gTTS client, the real espeak-ng and ffmpeg run.
"""
from __future__ import annotations

import json
import shutil
import socket
import threading

import pytest

from tests.databases import migrated_sqlite
from tests.faults.pgcluster import free_port
from wela.app import create_app
from wela.cli import main

pytestmark = [pytest.mark.fault,
              pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
                                 reason="needs espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg)")]

TEXT = "ขอเชิญชาวบ้านหมู่ห้า ร่วมประชุมที่ศาลาวัด วันอาทิตย์นี้ เก้าโมงเช้า"


class SlammingProxy:
    """A loopback 'proxy' that counts each connection and closes it at once."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            conn.close()

    def __enter__(self) -> "SlammingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _offline_network(monkeypatch, proxy_url: str) -> None:  # noqa: ANN001
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy_url)


def _app(tmp_path, clock):  # noqa: ANN001, ANN202
    return create_app({"database_url": migrated_sqlite(tmp_path), "instance_path": tmp_path / "instance",
                       "tts_engine": "auto"}, clock=clock)


def _announce(app, *args: str):  # noqa: ANN202
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    result = runner.invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.mark.parametrize("network", ["slammed", "refused"])
def test_without_gtts_the_announcement_is_made_by_espeak_and_says_it_is_offline(tmp_path, clock, monkeypatch,
                                                                               network):
    app = _app(tmp_path, clock)
    w = app.extensions["wela"]
    try:
        if network == "slammed":
            with SlammingProxy() as proxy:
                _offline_network(monkeypatch, proxy.url)
                result = _announce(app, "announce", "--text", TEXT, "--by", "somsak")
            assert proxy.connections >= 1                     # gTTS really tried the network
        else:
            _offline_network(monkeypatch, f"http://127.0.0.1:{free_port()}")
            result = _announce(app, "announce", "--text", TEXT, "--by", "somsak")
        assert result.exit_code == 0, (result.output, result.stderr)

        # The command says the voice is the offline one.
        assert "เสียงคุณภาพต่ำ (espeak-ng ออฟไลน์)" in result.output
        assert "offline low-quality voice (espeak-ng)" in result.output

        # The MP3 and its metadata: whole, and marked offline, spoken by espeak-ng.
        folder = w.settings.announcements_dir
        [mp3] = list(folder.glob("announcement-*.mp3"))
        meta = json.loads(mp3.with_suffix(".json").read_text("utf-8"))
        assert meta["offline"] is True and meta["engine"] == "espeak-ng"
        assert mp3.stat().st_size > 1000 and mp3.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")
        assert not list(folder.glob(".*.part")) and not list(folder.glob(".compose-*"))

        # The sentences in the audio cache are filed under gTTS's key but marked offline, so
        # `wela prompts refresh` re-makes them once the network is back.
        cached = [json.loads(p.read_text("utf-8")) for p in w.settings.audio_dir.glob("*.json")]
        assert cached and all(c["offline"] and c["engine"] == "espeak-ng" and c["for"]["engine"] == "gtts"
                              for c in cached)

        # The record the web page and `wela announce list` read.
        listed = _announce(app, "announce", "list", "--json")
        [row] = json.loads(listed.output)
        assert row["offline"] is True and row["file"] == mp3.name
        engine = w.adapters.speech_engine
        assert type(engine).__name__ == "FallbackEngine" and engine.last_error is not None
        assert "gTTS failed" in engine.last_error.en
    finally:
        w.close()
