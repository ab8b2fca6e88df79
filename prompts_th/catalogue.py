"""The Thai prompt catalogue: every caller-facing sentence, looked up by a stable dotted key.

The sentences live in ``catalogue.toml`` beside this module, one table per key with a Thai
(``th``) and an English (``en``) text; slots are ``str.format`` names (``{minutes}``).
Code names keys, never sentences::

    text("error.generic")                  # Thai, for the IVR, SMS or loudspeaker
    english("error.generic")               # the same in English, for staff and logs

Rule for the catalogue test (tests/prompts_th/test_catalogue.py): every string constant in
the code (ledger, scheduler, voice, sms, prompts_th, wela) that looks like a key of a catalogue
section must exist here, and every key here must be named by some code. Code names a key as
one whole string constant, or names a whole family by a constant ending with a dot:
``text("category." + code)`` counts every key under ``category.`` as used. Docstrings, dotted
file names ("error.html") and the first argument of url_for, getLogger, import_module and
render_template are not keys.

The file is read once, lazily, on first use, and checked then: every entry has both
languages and the same slots in both. Nothing is read at import time.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: The key every channel falls back to when something fails: the edges turn an
#: error into this sentence instead of a stack trace (STYLE rule 8).
GENERIC_ERROR = "error.generic"

LANGUAGES = ("th", "en")


class CatalogueError(ValueError):
    """The catalogue file is malformed: a missing language, mismatched slots, bad TOML."""


class PromptKeyError(KeyError):
    """Code asked for a key the catalogue lacks, or left out a slot the sentence needs."""

    def __init__(self, message: str, *, key: str, slot: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.slot = slot

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return self.message


@dataclass(frozen=True)
class Prompt:
    """One catalogue entry: the Thai and English sentence and the slot names they share."""

    key: str
    th: str
    en: str
    slots: frozenset[str]


class Catalogue:
    """Prompts by key, with their slots filled on lookup."""

    def __init__(self, prompts: dict[str, Prompt]) -> None:
        self._prompts = dict(prompts)

    def text(self, key: str, /, **slots: object) -> str:
        """The Thai sentence under ``key``, its slots filled."""
        return _fill(self.prompt(key), "th", slots)

    def english(self, key: str, /, **slots: object) -> str:
        """The English sentence under ``key``, its slots filled."""
        return _fill(self.prompt(key), "en", slots)

    def keys(self, prefix: str = "") -> list[str]:
        """Every key, sorted; only those starting with ``prefix`` if given."""
        return sorted(key for key in self._prompts if key.startswith(prefix))

    def has(self, key: str) -> bool:
        return key in self._prompts

    def prompt(self, key: str) -> Prompt:
        try:
            return self._prompts[key]
        except KeyError:
            raise PromptKeyError(f"no prompt {key!r} in the catalogue", key=key) from None


def text(key: str, /, **slots: object) -> str:
    """The Thai sentence under ``key``, its slots filled: ``text("error.generic")``."""
    return shipped().text(key, **slots)


def english(key: str, /, **slots: object) -> str:
    """The English sentence under ``key``, its slots filled."""
    return shipped().english(key, **slots)


def keys(prefix: str = "") -> list[str]:
    """Every key in the catalogue, sorted; only those starting with ``prefix`` if given."""
    return shipped().keys(prefix)


def has(key: str) -> bool:
    """Whether the catalogue holds ``key``."""
    return shipped().has(key)


def slots(key: str) -> frozenset[str]:
    """The slot names the sentence under ``key`` needs (empty for a fixed sentence)."""
    return shipped().prompt(key).slots


@cache
def shipped() -> Catalogue:
    """The catalogue.toml beside this module, read and checked once, on first use."""
    source = resources.files(__package__).joinpath("catalogue.toml").read_text("utf-8")
    return parse(source)


def parse(source: str) -> Catalogue:
    """Read and check catalogue TOML; raise CatalogueError naming the first bad key."""
    try:
        tree = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"catalogue is not valid TOML: {error}") from error
    prompts: dict[str, Prompt] = {}
    _collect(tree, [], prompts)
    return Catalogue(prompts)


def _fill(prompt: Prompt, language: str, values: dict[str, object]) -> str:
    missing = sorted(prompt.slots - values.keys())
    if missing:
        raise PromptKeyError(
            f"prompt {prompt.key!r} needs slot {missing[0]!r} (missing: {', '.join(missing)})",
            key=prompt.key,
            slot=missing[0],
        )
    return getattr(prompt, language).format_map(values)


def _collect(table: dict, path: list[str], prompts: dict[str, Prompt]) -> None:
    """Walk nested TOML tables; a table holding strings is one entry."""
    key = ".".join(path)
    leaves = {name: value for name, value in table.items() if not isinstance(value, dict)}
    if not leaves:
        for name, value in table.items():
            _collect(value, [*path, name], prompts)
        return
    if not path:
        raise CatalogueError(f"entries belong under a key, found {sorted(leaves)} at the top")
    if set(table) != set(LANGUAGES):
        raise CatalogueError(
            f"prompt {key!r} must have exactly th and en, has {sorted(table)}"
        )
    texts = {}
    for language in LANGUAGES:
        sentence = table[language]
        if not isinstance(sentence, str) or not sentence.strip():
            raise CatalogueError(f"prompt {key!r} has no {language} text")
        texts[language] = sentence
    th_slots, en_slots = _slot_names(key, texts["th"]), _slot_names(key, texts["en"])
    if th_slots != en_slots:
        raise CatalogueError(
            f"prompt {key!r} slots differ: th {sorted(th_slots)}, en {sorted(en_slots)}"
        )
    prompts[key] = Prompt(key, texts["th"], texts["en"], frozenset(th_slots))


def _slot_names(key: str, sentence: str) -> set[str]:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(sentence)]
    except ValueError as error:
        raise CatalogueError(f"prompt {key!r} has a broken brace: {error}") from error
    names = {field for field in fields if field is not None}
    for name in names:
        if not name.isidentifier():
            raise CatalogueError(f"prompt {key!r} slot {{{name}}} must be a plain name")
    return names
