"""Pre-render phone prompts: an MP3 and an 8 kHz μ-law WAV per catalogue sentence without slots.

A sentence with slots (``{minutes}``) is different for every caller, so it cannot be made
ahead and is skipped. Each sentence goes through the audio cache, so a second run costs
nothing and only new or changed sentences are spoken. The ``wela`` command wires this up.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prompts_th import thai_text
from prompts_th.cache import AudioCache, phone_ready
from prompts_th.engines import SpeechEngine, SpeechUnavailable


@dataclass
class RenderReport:
    """What :func:`render_prompts` did, key by key."""

    rendered: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    """key → (MP3, phone WAV)."""
    skipped: list[str] = field(default_factory=list)
    """Keys whose sentence has slots."""
    offline: list[str] = field(default_factory=list)
    """Rendered keys whose audio is the low-quality offline voice (re-make when online)."""
    failed: dict[str, str] = field(default_factory=dict)
    """key → why no audio could be made."""

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rendered": len(self.rendered),
            "skipped": len(self.skipped),
            "offline": len(self.offline),
            "failed": len(self.failed),
        }


def has_slots(sentence: str) -> bool:
    """Whether ``sentence`` has ``str.format`` slots to fill (``{{`` is a literal brace)."""
    return any(name is not None for _, name, _, _ in string.Formatter().parse(sentence))


def render_prompts(
    keys_with_text: Mapping[str, str], cache: AudioCache, engine: SpeechEngine
) -> RenderReport:
    """Speak every slot-free sentence once (cached) and make its phone WAV.

    ``keys_with_text`` maps catalogue keys to Thai sentences (e.g. ``{k: catalogue.text(k)
    for k in catalogue.keys() if not catalogue.slots(k)}``); digits and abbreviations are
    made speakable first. A key that fails is reported and the rest go on.
    """
    report = RenderReport()
    for key, sentence in sorted(keys_with_text.items()):
        if has_slots(sentence):
            report.skipped.append(key)
            continue
        literal = sentence.replace("{{", "{").replace("}}", "}")
        try:
            entry = cache.get_or_make(thai_text.speakable(literal), engine)
            report.rendered[key] = (entry.path, phone_ready(entry.path))
        except SpeechUnavailable as error:
            report.failed[key] = error.en
            continue
        if entry.offline:
            report.offline.append(key)
    return report
