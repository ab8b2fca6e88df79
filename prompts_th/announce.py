"""Loudspeaker announcements (เสียงตามสาย): template text; an MP3: chime, lead-in, message ×2, chime.

Two halves:

* :func:`render_template` turns the headman's choice and a data dict into the text of an
  announcement (pure; sentences come from the catalogue under ``announce.*``);
* :func:`compose_announcement` validates that text, makes it speakable, has each sentence
  spoken once through the audio cache, joins chime, lead-in, message, a 1.5 s pause, the
  message again and a closing chime, normalises loudness in two passes (−16 LUFS) and
  writes the MP3 atomically into ``workdir``. The same announcement with the same audio is
  made once: asking again returns the file already there.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from ledger.errors import InvalidInput
from prompts_th import audio, catalogue, thai_text
from prompts_th.cache import AudioCache, StorageFailed, atomic_path, write_atomically
from prompts_th.engines import SpeechEngine

MAX_CHARS = 2_000
LEAD_IN = "announce.lead_in"

# The shape of every announcement; seconds of silence between the parts.
AFTER_CHIME_S = 0.4
AFTER_LEAD_IN_S = 0.6
REPEAT_PAUSE_S = 1.5
BEFORE_CHIME_S = 0.6
_LAYOUT_VERSION = "1"  # bump when the shape or the loudness target changes

_THAI_LETTER = re.compile(r"[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]")

Words = Callable[..., str]
"""Where sentences come from: ``words(key, **slots)``; by default the catalogue's Thai."""


@dataclass(frozen=True)
class AnnouncementAudio:
    """A finished announcement MP3 and what went into it."""

    path: Path
    duration_s: float
    offline: bool
    engine: str
    spoken_text: str
    parts: tuple[tuple[str, float], ...] = ()

    @property
    def mp3_bytes(self) -> bytes:
        return self.path.read_bytes()


# ── Validation and the shape of the audio ─────────────────────────────────────────


def validate(text: str) -> str:
    """The announcement text, stripped; InvalidInput (Thai and English) if it cannot be read out."""
    stripped = (text or "").strip()
    if not stripped:
        raise InvalidInput("กรุณาพิมพ์ข้อความประกาศก่อนค่ะ", "the announcement is empty")
    if len(stripped) > MAX_CHARS:
        raise InvalidInput(
            f"ข้อความประกาศยาวเกินไปค่ะ ยาวได้ไม่เกิน {MAX_CHARS:,} ตัวอักษร"
            f" (ตอนนี้ {len(stripped):,})",
            f"the announcement has {len(stripped):,} characters; at most {MAX_CHARS:,} are allowed",
        )
    if not _THAI_LETTER.search(stripped):
        raise InvalidInput(
            "ข้อความประกาศต้องเป็นภาษาไทยค่ะ",
            "the announcement has no Thai letters; the loudspeaker voice reads Thai",
        )
    return stripped


def layout(lead_in: str, message: str) -> list[tuple[str, str | float]]:
    """The parts in order: ("chime", ""), ("speech", text) or ("pause", seconds)."""
    return [
        ("chime", ""),
        ("pause", AFTER_CHIME_S),
        ("speech", lead_in),
        ("pause", AFTER_LEAD_IN_S),
        ("speech", message),
        ("pause", REPEAT_PAUSE_S),
        ("speech", message),
        ("pause", BEFORE_CHIME_S),
        ("chime", ""),
    ]


# ── Composition ─────────────────────────────────────────────────────────────────


def compose_announcement(
    text: str,
    engine: SpeechEngine,
    cache: AudioCache,
    workdir: Path,
    *,
    words: Words | None = None,
) -> AnnouncementAudio:
    """Validate, speak (through the cache), join, normalise and write the announcement MP3."""
    message = thai_text.speakable(validate(text))
    lead_in = thai_text.speakable((words or catalogue.text)(LEAD_IN))
    spoken = {line: cache.get_or_make(line, engine) for line in (lead_in, message)}
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    fingerprint = hashlib.sha256(_LAYOUT_VERSION.encode())
    for line in (lead_in, message):
        fingerprint.update(line.encode("utf-8") + b"\0" + _digest(spoken[line].path))
    out = workdir / f"announcement-{fingerprint.hexdigest()[:32]}.mp3"
    found = _load(out)
    if found is not None:
        return found

    speech = {line: audio.decode(entry.path) for line, entry in spoken.items()}
    joined, parts = _join(layout(lead_in, message), speech)
    try:
        with tempfile.TemporaryDirectory(dir=workdir, prefix=".compose-") as scratch:
            wav = Path(scratch) / "joined.wav"
            audio.pcm_to_wav(joined, wav)
            with atomic_path(out) as temporary:
                audio.normalise_to_mp3(wav, temporary)
    except OSError as error:  # the scratch WAV on a full disk; atomic_path converts its own
        raise StorageFailed.writing(workdir, error) from error
    made = AnnouncementAudio(
        path=out,
        duration_s=round(audio.seconds(joined), 3),
        offline=any(entry.offline for entry in spoken.values()),
        engine="+".join(sorted({entry.engine for entry in spoken.values()})),
        spoken_text=message,
        parts=parts,
    )
    _save(made, text)
    return made


def _join(
    plan: list[tuple[str, str | float]], speech: dict[str, bytes]
) -> tuple[bytes, tuple[tuple[str, float], ...]]:
    """The PCM of the whole announcement, and each part's kind and seconds."""
    pieces = []
    for kind, value in plan:
        if kind == "chime":
            pieces.append((kind, audio.chime()))
        elif kind == "pause":
            pieces.append((kind, audio.silence(float(value))))
        else:
            pieces.append((kind, speech[str(value)]))
    parts = tuple((kind, round(audio.seconds(pcm), 3)) for kind, pcm in pieces)
    return b"".join(pcm for _, pcm in pieces), parts


def _save(made: AnnouncementAudio, text: str) -> None:
    """The record beside the MP3 that makes it found again; without it the MP3 goes too."""
    meta = {
        "duration_s": made.duration_s,
        "offline": made.offline,
        "engine": made.engine,
        "spoken_text": made.spoken_text,
        "text": text,
        "parts": [list(part) for part in made.parts],
    }
    try:
        record = json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8")
        write_atomically(made.path.with_suffix(".json"), record)
    except StorageFailed:
        made.path.unlink(missing_ok=True)
        raise


def _digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def _load(out: Path) -> AnnouncementAudio | None:
    try:
        meta = json.loads(out.with_suffix(".json").read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not out.exists():
        return None
    return AnnouncementAudio(
        path=out,
        duration_s=float(meta["duration_s"]),
        offline=bool(meta["offline"]),
        engine=str(meta["engine"]),
        spoken_text=str(meta["spoken_text"]),
        parts=tuple((str(kind), float(s)) for kind, s in meta["parts"]),
    )


# ── Templates: data in, announcement text out ───────────────────────────────────


def _meeting(data: Mapping, words: Words) -> str:
    when = data["date"]
    at = data["time"]
    return words(
        "announce.meeting",
        date=thai_text.date_text(when) if isinstance(when, date) else str(when),
        time=thai_text.time_text(at) if isinstance(at, time) else str(at),
        place=str(data["place"]),
    )


def _weekly(data: Mapping, words: Words) -> str:
    minutes, helpers = _count(data, "minutes", "weekly"), _count(data, "helpers", "weekly")
    if not minutes or not helpers:
        return words("announce.weekly_none")
    text = words("announce.weekly", helpers=helpers, hours=thai_text.minutes_text(minutes))
    named = [str(name).strip() for name in data.get("named_helpers") or () if str(name).strip()]
    if named:
        text += " " + words("announce.weekly_thanks", names=_and_list(named, words))
    return text


def _volunteers_needed(data: Mapping, words: Words) -> str:
    unmet = data["unmet"]
    if not isinstance(unmet, Mapping):
        raise _bad_field("volunteers_needed", "unmet", "a mapping of category to count")
    needs = [(category, _count(unmet, category, "volunteers_needed")) for category in unmet]
    needs = [(category, n) for category, n in needs if n]
    if not needs:
        return words("announce.volunteers_none")
    items = [words("announce.need_item", category=_category(c), count=n) for c, n in needs]
    total = sum(n for _, n in needs)
    return words("announce.volunteers_needed", count=total, needs=_and_list(items, words))


def _welcome(data: Mapping, words: Words) -> str:
    names = [str(name).strip() for name in data["names"] if str(name).strip()]
    if not names:
        raise _missing("welcome", ["names"])
    return words("announce.welcome", names=_and_list(names, words))


def _free(data: Mapping, words: Words) -> str:
    return str(data["text"]).strip()


#: Template name → (required data fields, renderer).
TEMPLATES: dict[str, tuple[tuple[str, ...], Callable[[Mapping, Words], str]]] = {
    "meeting": (("date", "time", "place"), _meeting),
    "weekly": (("minutes", "helpers"), _weekly),
    "volunteers_needed": (("unmet",), _volunteers_needed),
    "welcome": (("names",), _welcome),
    "free": (("text",), _free),
}


def render_template(name: str, data: Mapping[str, object], *, words: Words | None = None) -> str:
    """The announcement text for template ``name`` filled from ``data``.

    meeting: date (a date or text), time (a time or text), place.
    weekly: minutes given this week, helpers (how many gave), optional named_helpers
    (only members who agreed to be named). volunteers_needed: unmet, a mapping of help
    category code (or label) to the number of requests waiting. welcome: names of new
    members. free: text, the headman's own words.
    Unknown template or missing fields: InvalidInput listing what is missing.
    """
    if name not in TEMPLATES:
        known = ", ".join(TEMPLATES)
        raise InvalidInput(
            f"ไม่มีแบบประกาศชื่อ {name!r} ค่ะ เลือกได้จาก: {known}",
            f"no announcement template {name!r}; known: {known}",
        )
    fields, renderer = TEMPLATES[name]
    missing = [f for f in fields if _blank(data.get(f))]
    if missing:
        raise _missing(name, missing)
    return renderer(data, words or catalogue.text)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _count(data: Mapping, field: str, template: str) -> int:
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad_field(template, field, "a whole number, 0 or more")
    return value


def _category(code: str) -> str:
    """A category code's Thai name from the catalogue; anything else is taken as a label."""
    known = catalogue.has(thai_text.CATEGORY + str(code))
    return thai_text.category_words(str(code)) if known else str(code)


def _and_list(items: list[str], words: Words) -> str:
    if len(items) == 1:
        return items[0]
    return words("announce.list_and", first=" ".join(items[:-1]), last=items[-1])


def _missing(name: str, fields: list[str]) -> InvalidInput:
    listed = ", ".join(fields)
    return InvalidInput(
        f"ข้อมูลสำหรับประกาศ {name} ไม่ครบค่ะ ยังขาด: {listed}",
        f"template {name!r} is missing: {listed}",
        missing=fields,
    )


def _bad_field(name: str, field: str, expected: str) -> InvalidInput:
    return InvalidInput(
        f"ข้อมูล {field} ของประกาศไม่ถูกต้องค่ะ",
        f"template {name!r}: {field} must be {expected}",
        field=field,
    )
