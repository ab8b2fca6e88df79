"""The audio cache: each sentence is synthesised once, ever, kept as ``<sha256>.mp3`` + ``.json``.

The key is the SHA-256 of (engine name, voice, speed, text) of the engine *asked*, so a
sentence spoken by the espeak-ng fallback while gTTS was down is filed under the gTTS key,
marked ``offline``, and :meth:`AudioCache.refresh_offline` re-makes it with the real voice
once the network is back. Files are written atomically (a temp file in the same folder,
fsync, ``os.replace``): a crash or a full disk leaves the old file or none, never half of
one. The ``.json`` is written last and is what makes an entry exist.

Within one process a per-key lock makes concurrent requests for the same sentence wait
for the first; across processes two may race, and the atomic rename makes the loser's
work harmless (one extra synthesis, both results whole).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledger.errors import WelaError
from prompts_th import audio
from prompts_th.engines import SpeechEngine, SpeechUnavailable, Synthesis, speak


class StorageFailed(WelaError):
    """An audio file could not be written (full disk, no permission); no half file is left."""

    code = "storage_failed"

    @classmethod
    def writing(cls, path: Path, error: OSError) -> StorageFailed:
        return cls(
            "บันทึกไฟล์เสียงไม่ได้ค่ะ พื้นที่เก็บข้อมูลอาจเต็ม กรุณาแจ้งผู้ดูแลระบบ",
            f"could not write {path}: {error.strerror or error}",
            path=str(path),
        )


@dataclass(frozen=True)
class CachedAudio:
    """One cached sentence: its MP3, whether it is offline (fallback) quality, who spoke it."""

    path: Path
    offline: bool
    engine: str


def cache_key(text: str, engine: SpeechEngine) -> str:
    """SHA-256 hex of the engine's name, voice and speed and the exact text."""
    payload = json.dumps([*_identity(engine).values(), text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AudioCache:
    """Content-addressed MP3s in ``directory`` (the instance folder's ``audio/``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def lookup(self, text: str, engine: SpeechEngine) -> CachedAudio | None:
        """The cached audio for ``text`` as ``engine`` would say it, or None."""
        return self._entry(cache_key(text, engine))

    def get_or_make(self, text: str, engine: SpeechEngine) -> CachedAudio:
        """The cached audio, synthesising it first if this sentence was never spoken."""
        key = cache_key(text, engine)
        found = self._entry(key)
        if found is not None:
            return found
        with self._lock(key):
            found = self._entry(key)  # another thread may have made it while we waited
            if found is not None:
                return found
            return self._store(key, text, engine, speak(engine, text))

    def refresh_offline(self, engine: SpeechEngine) -> int:
        """Re-make with ``engine`` every entry filed under its key but spoken offline.

        Stops at the first failure (the engine is still unreachable) or when ``engine``
        itself falls back to offline audio. Returns how many entries now have the real voice.
        """
        wanted = _identity(engine)
        done = 0
        for meta in self._metadata():
            if not meta.get("offline") or meta.get("for") != wanted:
                continue
            key = meta["key"]
            if key != cache_key(meta["text"], engine):
                continue  # a file that was renamed or edited by hand: leave it alone
            try:
                made = speak(engine, meta["text"])
            except SpeechUnavailable:
                break
            if made.offline:
                break
            with self._lock(key):
                self._store(key, meta["text"], engine, made)
            done += 1
        return done

    def _store(self, key: str, text: str, engine: SpeechEngine, made: Synthesis) -> CachedAudio:
        mp3 = self.directory / f"{key}.mp3"
        meta = {
            "key": key,
            "engine": made.engine,
            "voice": made.voice,
            "speed": made.speed,
            "text": text,
            "offline": made.offline,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "for": _identity(engine),
        }
        if made.offline:
            meta["quality"] = "low: offline voice (espeak-ng or similar)"
        try:
            write_atomically(mp3, made.audio)
            for stale in (mp3.with_suffix(".wav"), slow_copy(mp3)):   # phone copies of older audio
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
            write_atomically(mp3.with_suffix(".json"), _dump(meta))
        except StorageFailed:
            if not (self.directory / f"{key}.json").exists():
                with contextlib.suppress(FileNotFoundError):
                    mp3.unlink()
            raise
        return CachedAudio(mp3, made.offline, made.engine)

    def _entry(self, key: str) -> CachedAudio | None:
        mp3 = self.directory / f"{key}.mp3"
        try:
            meta = json.loads((self.directory / f"{key}.json").read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if not mp3.exists():
            return None
        return CachedAudio(mp3, bool(meta.get("offline")), str(meta.get("engine", "")))

    def _metadata(self) -> Iterator[dict]:
        for path in sorted(self.directory.glob("*.json")):
            with contextlib.suppress(OSError, ValueError):
                meta = json.loads(path.read_text("utf-8"))
                if isinstance(meta, dict) and meta.get("key") == path.stem:
                    yield meta

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())


def phone_ready(path: Path) -> Path:
    """An 8 kHz mono μ-law WAV beside the MP3 (what Twilio plays on a phone line), levelled and paced
    for the phone, and its slower twin ``<hash>.slow.wav`` for callers who asked to be spoken to
    slowly; made once, and again when the MP3 is newer or a copy was made otherwise. Returns the first."""
    path = Path(path)
    for wav, rate in ((path.with_suffix(".wav"), audio.PHONE_RATE), (slow_copy(path), audio.SLOW_RATE)):
        if not (wav.exists() and wav.stat().st_mtime_ns >= path.stat().st_mtime_ns
                and audio.is_phone_ready(wav, rate)):
            with atomic_path(wav) as temporary:
                audio.to_phone_wav(path, temporary, rate)
    return path.with_suffix(".wav")


def slow_copy(path: Path) -> Path:
    """``<hash>.slow.wav``: the phone copy for callers who asked to be spoken to slowly."""
    return Path(path).with_suffix(".slow.wav")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (temp in the same folder, fsync, rename)."""
    with atomic_path(path) as temporary, open(temporary, "wb") as out:
        out.write(data)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to fill; on success it is fsynced and renamed to ``path``.

    On any failure the temporary file is removed and ``path`` is untouched; an OSError
    (full disk, no permission) becomes StorageFailed with a Thai and English message.
    """
    path = Path(path)
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(handle)
    except OSError as error:
        raise StorageFailed.writing(path, error) from error
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        if isinstance(error, OSError):
            raise StorageFailed.writing(path, error) from error
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _identity(engine: SpeechEngine) -> dict[str, object]:
    """Who the audio is asked of: the key's ingredients besides the text (order matters)."""
    return {"engine": engine.name, "voice": engine.voice, "speed": round(float(engine.speed), 3)}


def _dump(meta: dict) -> bytes:
    return json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8")
