"""Which prompts have pre-rendered audio: an index of the audio cache's metadata, looked up by catalogue key.

``wela prompts render`` speaks every slot-free catalogue sentence once into the instance audio
folder (prompts_th.cache: ``<sha256>.mp3`` + ``.json`` holding the text it spoke, a phone-ready
``.wav``, and a slower ``.slow.wav`` for callers who asked to be spoken to slowly). A call never
synthesises and never does slow work: it asks this index for the file of a catalogue key and plays
it, or has Twilio's Thai voice say the sentence.
Sentences with slots (names, numbers) are not rendered ahead, so they are always said.

The index matches by text, the way the renderer made it speakable, so it does not depend on
which engine rendered the audio. Making a sentence speakable can load pythainlp's dictionary
(a second or two, once per process), so that happens in ``warm()``: started in the background
when the app starts with audio present, and until it is done every prompt is said, not played.
The folder is read again only when it changes (one ``stat`` per reply).
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Optional

from prompts_th import catalogue
from prompts_th.thai_text import speakable

log = logging.getLogger("wela.voice")
NAME = re.compile(r"^[0-9a-f]{64}(?:\.slow)?\.(mp3|wav)$")
CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
STAMP_SECONDS = 1.0


@lru_cache(maxsize=4096)
def spoken_form(text: str) -> str:
    """The text as the renderer gave it to the speech engine (digits and short forms as words)."""
    return speakable(text.replace("{{", "{").replace("}}", "}"))


class PromptAudio:
    """The audio file name (``<hash>.wav`` or ``.mp3``, and ``<hash>.slow.wav``) of each rendered slot-free
    catalogue prompt."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._spoken: dict[str, str] = {}          # catalogue key → its speakable text
        self._stamp: Optional[int] = None
        self._checked: Optional[int] = None
        self._warming = False
        self._by_key: dict[str, tuple[str, Optional[str]]] = {}     # key → (file, its slow twin)
        self._looked: tuple[float, Optional[int]] = (-1.0, None)   # (monotonic time, folder stamp)

    def find(self, key: str, slow: bool = False) -> Optional[str]:
        """The file to play for catalogue ``key`` (``slow``: at the slower pace), or None (not rendered
        at that pace, or not warmed up yet)."""
        stamp = self._folder_stamp()
        if stamp is None:
            return None
        if not self.ready.is_set():
            if stamp != self._checked:                 # look for audio once per folder change
                self._checked = stamp
                if any(self.folder.glob("*.json")):
                    self.start_warming()
            return None
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._by_key = self._index()
                    self._stamp = stamp
        names = self._by_key.get(key)
        return None if names is None else names[1] if slow else names[0]

    def has_audio(self) -> bool:
        return self._folder_stamp(fresh=True) is not None and any(self.folder.glob("*.json"))

    def warm(self) -> None:
        """Make every slot-free prompt speakable (loads pythainlp's dictionary once). Idempotent."""
        with self._lock:
            if self.ready.is_set():
                return
            spoken = {}
            for key in catalogue.keys():
                if not catalogue.slots(key):
                    spoken[key] = spoken_form(catalogue.text(key))
            self._spoken = spoken
            self.ready.set()

    def start_warming(self) -> None:
        if self.ready.is_set() or self._warming:
            return
        self._warming = True
        threading.Thread(target=self._warm_quietly, name="wela-voice-audio-warm", daemon=True).start()

    def _warm_quietly(self) -> None:
        try:
            self.warm()
        except Exception:  # noqa: BLE001  (no audio is played; every prompt is said instead)
            log.exception("could not index the prompt audio")

    def _folder_stamp(self, fresh: bool = False) -> Optional[int]:
        """The folder's change time, looked at no more than once a second (a reply plays several prompts)."""
        at, stamp = self._looked
        now = time.monotonic()
        if not fresh and stamp is not None and now - at < STAMP_SECONDS:
            return stamp                                    # (no folder yet: look every time)
        try:
            stamp = os.stat(self.folder).st_mtime_ns
        except OSError:
            stamp = None
        self._looked = (now, stamp)
        return stamp

    def _index(self) -> dict[str, tuple[str, Optional[str]]]:
        by_text = _read_index(self.folder)
        return {key: by_text[text] for key, text in self._spoken.items() if text in by_text}


def _read_index(folder: Path) -> dict[str, tuple[str, Optional[str]]]:
    """text → (file name, its slow twin or None); a real voice wins over an offline one, the phone WAV
    over the MP3."""
    best: dict[str, tuple[bool, str, Optional[str]]] = {}
    for meta_path in folder.glob("*.json"):
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or meta.get("key") != meta_path.stem:
            continue
        text = meta.get("text")
        if not isinstance(text, str):
            continue
        wav, mp3, slow = (meta_path.with_suffix(".wav"), meta_path.with_suffix(".mp3"),
                          meta_path.with_suffix(".slow.wav"))
        name = wav.name if wav.exists() else mp3.name if mp3.exists() else None
        if name is None or not NAME.match(name):
            continue
        offline = bool(meta.get("offline"))
        if text not in best or (best[text][0] and not offline):
            best[text] = (offline, name, slow.name if slow.exists() else None)
    return {text: (name, slow) for text, (_, name, slow) in best.items()}


def safe_name(name: str) -> Optional[tuple[str, str]]:
    """(file name, content type) when ``name`` is one of ours (hex hash + .mp3/.wav/.slow.wav), else None."""
    found = NAME.match(name or "")
    if not found:
        return None
    return name, CONTENT_TYPES[found.group(1)]
