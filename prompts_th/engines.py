"""Speech engines: the SpeechEngine protocol, a fake for tests, and gTTS-then-espeak-ng fallback.

An engine turns Thai text into MP3 bytes. The real ones live in ``gtts_engine`` (online,
good voice) and ``espeak_engine`` (offline, robotic voice, ``offline = True``). Code that
must know *which* engine really spoke (the audio cache marks offline-quality audio so it
can be re-made later) calls :func:`speak`, which returns a :class:`Synthesis`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ledger.errors import WelaError


class SpeechUnavailable(WelaError):
    """No engine could speak: the network is down, a program is missing, the service refused."""

    code = "speech_unavailable"


class SpeechEngine(Protocol):
    """Anything that turns Thai text into MP3 bytes.

    ``speed`` is the relative speaking rate (1.0 = the engine's normal pace); ``offline`` is
    True for a low-quality engine that works without the network.
    """

    name: str
    voice: str
    speed: float
    offline: bool

    def synthesize(self, text: str) -> bytes:
        """MP3 bytes of ``text`` spoken; raise SpeechUnavailable when the engine cannot work."""
        ...


@dataclass(frozen=True)
class Synthesis:
    """Audio and the engine that really produced it (a fallback may have stood in)."""

    audio: bytes
    engine: str
    voice: str
    speed: float
    offline: bool


@runtime_checkable
class ReportingEngine(Protocol):
    """An engine that can say which engine really spoke (see FallbackEngine)."""

    def synthesize_report(self, text: str) -> Synthesis: ...


def speak(engine: SpeechEngine, text: str) -> Synthesis:
    """Synthesise ``text`` with ``engine`` and report who spoke and at what quality."""
    if isinstance(engine, ReportingEngine):
        return engine.synthesize_report(text)
    audio = engine.synthesize(text)
    return Synthesis(audio, engine.name, engine.voice, engine.speed, engine.offline)


class FallbackEngine:
    """Try the primary engine (gTTS) and fall back to an offline one (espeak-ng).

    It presents itself as the primary (same name, voice and speed), so the audio cache files
    what it makes under the lookup key of the *intended* voice; :meth:`synthesize_report`
    says whether the fallback stood in. After the primary fails, it is skipped for
    ``cooldown_s`` seconds, so rendering forty prompts with the network down costs one
    timeout, not forty.
    """

    offline = False

    def __init__(
        self,
        primary: SpeechEngine,
        fallback: SpeechEngine,
        *,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._primary_down_until: float | None = None
        self.last_error: SpeechUnavailable | None = None

    @property
    def name(self) -> str:
        return self.primary.name

    @property
    def voice(self) -> str:
        return self.primary.voice

    @property
    def speed(self) -> float:
        return self.primary.speed

    def synthesize(self, text: str) -> bytes:
        return self.synthesize_report(text).audio

    def synthesize_report(self, text: str) -> Synthesis:
        if not self._primary_resting():
            try:
                result = speak(self.primary, text)
            except SpeechUnavailable as error:
                self.last_error = error
                self._primary_down_until = self._clock() + self.cooldown_s
            else:
                self._primary_down_until = None
                return result
        try:
            return speak(self.fallback, text)
        except SpeechUnavailable as error:
            raise SpeechUnavailable(
                "ขออภัยค่ะ ตอนนี้ระบบเสียงพูดใช้งานไม่ได้",
                f"no speech engine works: {self.primary.name}: "
                f"{self.last_error.en if self.last_error else 'resting after a failure'}; "
                f"{self.fallback.name}: {error.en}",
            ) from error

    def _primary_resting(self) -> bool:
        until = self._primary_down_until
        return until is not None and self._clock() < until


# ── A fake for tests ────────────────────────────────────────────────────────────────

#: One silent MPEG-2.5 layer III frame (8 kHz mono, 8 kbit/s, 72 ms): a 4-byte header and
#: all-zero side information, which every decoder reads as silence.
_SILENT_FRAME = bytes([0xFF, 0xE3, 0x18, 0xC4]) + bytes(68)
SILENT_FRAME_SECONDS = 0.072


def silent_mp3(frames: int, tag: str = "") -> bytes:
    """A valid MP3 of ``frames`` silent frames, with ``tag`` in an ID3v2.4 title frame."""
    body = _SILENT_FRAME * max(frames, 1)
    if not tag:
        return body
    payload = b"\x03" + tag.encode("utf-8")  # encoding 3 = UTF-8
    frame = b"TIT2" + _syncsafe(len(payload)) + b"\x00\x00" + payload
    return b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame + body


def mp3_tag(audio: bytes) -> str:
    """The title written by :func:`silent_mp3` ('' when there is none): tests read it back."""
    if not audio.startswith(b"ID3") or audio[10:14] != b"TIT2":
        return ""
    size = _unsyncsafe(audio[14:18])
    return audio[21 : 20 + size].decode("utf-8")


def _syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def _unsyncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


@dataclass
class FakeEngine:
    """An in-memory engine for tests: records every text and returns silent, tagged MP3.

    The MP3 lasts one 72 ms frame per character and carries "<name>:<text>" as its ID3
    title, so a test can tell which engine made which file. Set ``down = True`` to make it
    raise SpeechUnavailable like an engine without network.
    """

    name: str = "fake"
    voice: str = "th"
    speed: float = 1.0
    offline: bool = False
    down: bool = False
    calls: list[str] = field(default_factory=list)

    def synthesize(self, text: str) -> bytes:
        self.calls.append(text)
        if self.down:
            raise SpeechUnavailable(
                "ระบบเสียงพูดใช้งานไม่ได้ชั่วคราวค่ะ", f"{self.name} is down (fake)"
            )
        return silent_mp3(len(text), tag=f"{self.name}:{text}")
