"""Read a volunteer's SMS reply into one command: a pure parser, forgiving of Thai typing and keypad habits.

Contract
========
``parse(body, open_codes=frozenset()) -> Command`` is pure (no I/O, no clock) and never raises for
any ``str``. It returns exactly one of ``Accept``, ``Decline``, ``Done``, ``Balance``, ``Pause``,
``Stop``, ``Start``, ``Help`` or ``Unknown(reason, detail)``; the edge turns ``Unknown.reason``
into a Thai reply from the prompt catalogue (``detail`` is English, for logs only).

Reading
-------
* Only bodies of at most ``MAX_BODY_CHARS`` (200) characters are read; longer is ``TOO_LONG``.
* Case, spaces, Thai digits (๐-๙), full-width characters, emoji, punctuation, zero-width spaces,
  repeated letters (``รับบบ``, ``okkk``), ``เเ`` for ``แ`` and polite particles (ครับ ค่ะ คะ คับ นะ
  จ้า จ้ะ ค่า krub ka …) do not matter. Every word must be understood: one unknown word makes the
  whole reply ``Unknown(UNRECOGNISED)`` rather than a guess. Common typos are listed words; besides
  them a Thai word one edit from a command word of five or more letters, with the same first
  letter, is forgiven (``ยืนยน``, ``ไม่สะดวด``); never for stop words.
* Digit keys: a bare ``1`` = accept, ``2`` = decline, ``3`` = done (the help text says so).
  No other digit is a key. ``DIGIT_KEYS`` holds this table for the prompt catalogue.
* Two different commands in one reply (``รับ ไม่รับ``, ``2 รับ``) are ``CONFLICTING``.

Offer codes and numbers
-----------------------
An offer code is exactly three digits (after digit normalisation), e.g. ``482``.

* Accept / Decline: any bare three-digit number is the code (nothing else it could mean):
  ``1 482``, ``รับ 482``, ``482 รับ`` → ``Accept("482")``. Other numbers → ``UNEXPECTED_NUMBER``.
* Done: a bare three-digit number is a code **only if it is in ``open_codes``**, otherwise it is
  minutes. With ``open_codes={"482"}``: ``เสร็จ 482`` → ``Done("482", None)`` and
  ``เสร็จ 482 90`` → ``Done("482", 90)``; with no open codes ``เสร็จ 482`` → ``Done(None, 482)``.
  A number followed by a unit is always a duration (``เสร็จ 482 นาที`` → 482 minutes).
* A key glued to an open code (``1482``) reads as key + code, only when that code is open.

Durations (Done)
----------------
A sum of parts: ``N นาที|min|m``, ``N ชั่วโมง|ชม|h|hr``, ``ครึ่ง`` adds half a unit
(``1 ชั่วโมงครึ่ง`` = 90, ``ครึ่งชั่วโมง`` = 30), a unit alone counts one (``ชั่วโมงนึง`` = 60),
a bare number after hours is minutes (``1 ชม 30``, ``1h30``), ``1:30`` is h:mm, small Thai number
words work (``สองชั่วโมง``). A bare number alone is minutes (``เสร็จ 90``). The result must be
whole minutes in ``1..MAX_MINUTES`` (720). Refused with a reason instead of guessed:
``เสร็จ 2`` (a bare number below ``MIN_BARE_MINUTES``, 10, almost always means hours →
``DURATION_NEEDS_UNIT``) and ``1.30 ชม`` (two decimals on hours: 1.3 h or 1 h 30? → ``AMBIGUOUS``).

Pause
-----
``พัก``, ``หยุดพัก``, ``pause`` with days ``1..MAX_PAUSE_DAYS`` (90), default ``DEFAULT_PAUSE_DAYS``
(7); ``วัน|day|d``, ``สัปดาห์|อาทิตย์|week`` (7), ``เดือน|month`` (30). A stop word with a
number of days (``หยุด 3``, ``หยุด 2 อาทิตย์``) is a pause too.

Ambiguous words, decided
------------------------
* ``ยกเลิก`` (cancel: this job, or the whole service?) → ``Unknown(AMBIGUOUS)``; the reply asks
  for ``2`` or ``หยุด``. English ``cancel`` and ``end`` likewise, except as the whole message:
  then they are ``Stop``, because Twilio already opts the number out on those exact words
  (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT) and we must agree with it.
* ``หยุด`` / ``stop`` = Stop; ``หยุดพัก`` and ``หยุดก่อน`` ("stop for now") = Pause; ``ไม่`` alone
  = Decline.
* ``ไป`` alone = Accept, ``ไปได้`` Accept, ``ไม่ไป`` / ``ไปไม่ได้`` / ``ไปไม่ไหว`` Decline,
  ``ไป`` with any other word (``ไปไหน``) → Unknown.
* ``เสด็จ`` (royal "to go") is never Done, although one letter from ``เสร็จ``; ``เสร็ด``, ``เสด``
  are typos of ``เสร็จ``.
* ``ช่วย`` alone = Help, ``ช่วยได้`` = Accept, ``ช่วยไม่ได้`` = Decline.
* A particle alone (``ค่ะ``, ``ครับ``), a question (``ได้ไหม``, ``พักกี่วัน``) and emoji alone (👍) are Unknown:
  clarifying costs one SMS, a wrong acceptance costs an elder a visit.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import AbstractSet, TypeAlias

from ledger.policy import Minutes
from sms.lexicon import HOUR, KEY_KIND, MINUTE, OPT_OUT, Item, Kind, Num, Unit, Word, normalise, tokens, words

MAX_BODY_CHARS = 200
MAX_MINUTES = 720
MIN_BARE_MINUTES = 10
DEFAULT_PAUSE_DAYS = 7
MAX_PAUSE_DAYS = 90


# --- the commands -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Accept:
    code: str | None = None


@dataclass(frozen=True)
class Decline:
    code: str | None = None


@dataclass(frozen=True)
class Done:
    code: str | None = None
    minutes: Minutes | None = None


@dataclass(frozen=True)
class Balance:
    pass


@dataclass(frozen=True)
class Pause:
    days: int = DEFAULT_PAUSE_DAYS


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Help:
    pass


class Reason(StrEnum):
    """Why a reply was not understood; the edge maps each to a Thai reply."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_WORDS = "no_words"                    # only emoji, symbols or control bytes
    UNRECOGNISED = "unrecognised"            # a word we do not know, or no command at all
    AMBIGUOUS = "ambiguous"                  # ยกเลิก / cancel, or 1.30 ชม
    CONFLICTING = "conflicting"              # two different commands in one reply
    UNEXPECTED_NUMBER = "unexpected_number"  # a number that fits nowhere
    SEVERAL_CODES = "several_codes"
    MINUTES_NOT_WHOLE = "minutes_not_whole"
    MINUTES_OUT_OF_RANGE = "minutes_out_of_range"
    DURATION_NEEDS_UNIT = "duration_needs_unit"
    DAYS_OUT_OF_RANGE = "days_out_of_range"


@dataclass(frozen=True)
class Unknown:
    reason: Reason
    detail: str = ""


Command: TypeAlias = Accept | Decline | Done | Balance | Pause | Stop | Start | Help | Unknown
COMMAND_TYPES = (Accept, Decline, Done, Balance, Pause, Stop, Start, Help, Unknown)
DIGIT_KEYS = {"1": Accept, "2": Decline, "3": Done}


# --- from items to a command --------------------------------------------------------------------

@dataclass(frozen=True)
class _Part:
    unit: Unit
    amount: Fraction


def parse(body: str, open_codes: AbstractSet[str] = frozenset()) -> Command:
    """Read one SMS body; see the module docstring for the whole contract."""
    if not isinstance(body, str):
        return Unknown(Reason.EMPTY)
    if len(body) > MAX_BODY_CHARS:                # checked first: a long body is never read
        return Unknown(Reason.TOO_LONG, f"{len(body)} characters")
    if not body.strip():
        return Unknown(Reason.EMPTY)
    if all(ch in "?？¿⁇" or ch.isspace() for ch in body):
        return Help()
    text = " ".join(normalise(body).split())
    if not text:
        return Unknown(Reason.NO_WORDS)
    if text in OPT_OUT:
        return Stop()
    return _decide(words(tokens(text)), open_codes)


def _decide(items: list[Item], open_codes: AbstractSet[str]) -> Command:
    kinds: set[Kind] = set()
    rest: list[Num | Word | None] = []          # None marks where a command word stood
    for item in items:
        tag = "num" if isinstance(item, Num) else item.sense.tag if item.sense else "unknown"
        if tag in ("num", "unit", "half"):
            rest.append(item)
        elif tag == "cmd":
            kinds.add(item.sense.kind)
            rest.append(None)
        elif tag == "ambiguous":
            return Unknown(Reason.AMBIGUOUS, f"{item.text!r} may mean decline or stop")
        elif tag != "ignore":               # unknown or blocked (เสด็จ)
            return Unknown(Reason.UNRECOGNISED, f"unknown word {item.text!r}")
    if len(kinds) > 1:
        return Unknown(Reason.CONFLICTING, ", ".join(sorted(k.name for k in kinds)))
    parsed = _quantities(rest, open_codes)
    if isinstance(parsed, Unknown):
        return parsed
    parts, bare = parsed
    kind = kinds.pop() if kinds else None
    keys = [n for n in bare if n.raw in KEY_KIND]
    if kind is None and keys:
        kind = KEY_KIND[keys[0].raw]
        bare.remove(keys[0])
    elif kind is None:
        glued = bare[0].raw if len(bare) == 1 else ""
        if len(glued) != 4 or glued[0] not in KEY_KIND or glued[1:] not in open_codes:
            return Unknown(Reason.UNRECOGNISED, "no command word")
        kind, bare = KEY_KIND[glued[0]], [Num(Fraction(int(glued[1:])), glued[1:])]
    elif keys and keys[0] is rest[0]:             # "3 เสร็จ 90": the key typed first, then the word
        if KEY_KIND[keys[0].raw] is not kind:
            return Unknown(Reason.CONFLICTING, f"key {keys[0].raw} with a {kind.name} word")
        bare.remove(keys[0])
    if kind in (Kind.ACCEPT, Kind.DECLINE):     # "รับ 1": the key repeated after the word
        bare = [n for n in bare if KEY_KIND.get(n.raw) is not kind]
    return _RESOLVERS[kind](parts, bare, open_codes)


def _is_code(n: Num) -> bool:
    return len(n.raw) == 3 and n.raw.isdigit()


def _quantities(
    rest: list[Num | Word | None], open_codes: AbstractSet[str]
) -> tuple[list[_Part], list[Num]] | Unknown:
    """Group numbers, units and ครึ่ง into duration parts; bare numbers are returned apart."""
    parts: list[_Part] = []
    bare: list[Num] = []
    i, after_hours = 0, False
    while i < len(rest):
        item, nxt = rest[i], rest[i + 1] if i + 1 < len(rest) else None
        unit = nxt.sense.unit if isinstance(nxt, Word) and nxt.sense.tag == "unit" else None
        tag = item.sense.tag if isinstance(item, Word) else None
        if isinstance(item, Num) and ":" in item.raw:
            parts.append(_Part(MINUTE, item.value))
            i, after_hours = i + 1, False
            continue
        if isinstance(item, Num) and unit is not None:
            if unit is HOUR and item.decimals >= 2:
                return Unknown(Reason.AMBIGUOUS, f"{item.raw} hours: decimal or h.mm?")
            amount, i = item.value * unit.size, i + 2
            counted = True
        elif tag == "unit":
            unit, amount, i, counted = item.sense.unit, Fraction(item.sense.unit.size), i + 1, False
        elif tag == "half" and unit is not None:
            amount, i, counted = Fraction(unit.size, 2), i + 2, True
        elif isinstance(item, Num):
            if after_hours and not (_is_code(item) and item.raw in open_codes):
                parts.append(_Part(MINUTE, item.value))
            else:
                bare.append(item)
            i, after_hours = i + 1, False
            continue
        elif item is None:
            i, after_hours = i + 1, False
            continue
        else:
            return Unknown(Reason.UNEXPECTED_NUMBER, "ครึ่ง without a unit")
        if i < len(rest) and isinstance(rest[i], Word) and rest[i].sense.tag == "half":
            amount, i = amount + Fraction(unit.size, 2), i + 1
        elif not counted and i < len(rest) and isinstance(rest[i], Num) and rest[i].raw == "" \
                and rest[i].value == 1:
            i += 1                                   # ชั่วโมงนึง: the one is after the unit
        parts.append(_Part(unit, amount))
        after_hours = unit is HOUR
    return parts, bare


def _offer(kind: type[Accept] | type[Decline]):
    def resolve(parts: list[_Part], bare: list[Num], open_codes: AbstractSet[str]) -> Command:
        if parts or any(not _is_code(n) for n in bare):
            return Unknown(Reason.UNEXPECTED_NUMBER, "only a 3-digit offer code may follow")
        if len(bare) > 1:
            return Unknown(Reason.SEVERAL_CODES, " ".join(n.raw for n in bare))
        return kind(bare[0].raw if bare else None)
    return resolve


def _done(parts: list[_Part], bare: list[Num], open_codes: AbstractSet[str]) -> Command:
    codes = [n for n in bare if _is_code(n) and n.raw in open_codes]
    durations = [n for n in bare if n not in codes]
    if len(codes) > 1:
        return Unknown(Reason.SEVERAL_CODES, " ".join(n.raw for n in codes))
    if any(p.unit.days for p in parts) or len(durations) > 1 or (durations and parts):
        return Unknown(Reason.UNEXPECTED_NUMBER, "one duration, in minutes or hours")
    code = codes[0].raw if codes else None
    if not parts and not durations:
        return Done(code, None)
    minutes = sum((p.amount for p in parts), Fraction(0)) + sum((n.value for n in durations), Fraction(0))
    if minutes.denominator != 1:
        return Unknown(Reason.MINUTES_NOT_WHOLE, f"{float(minutes):g} minutes")
    if durations and minutes < MIN_BARE_MINUTES:
        return Unknown(Reason.DURATION_NEEDS_UNIT, f"{minutes}: minutes or hours?")
    if not 1 <= minutes <= MAX_MINUTES:
        return Unknown(Reason.MINUTES_OUT_OF_RANGE, f"{minutes} minutes")
    return Done(code, int(minutes))


def _pause(parts: list[_Part], bare: list[Num], open_codes: AbstractSet[str]) -> Command:
    if any(not p.unit.days for p in parts) or len(bare) > 1 or (bare and parts):
        return Unknown(Reason.UNEXPECTED_NUMBER, "one number of days")
    if not parts and not bare:
        return Pause()
    days = sum((p.amount for p in parts), Fraction(0)) + sum((n.value for n in bare), Fraction(0))
    if days.denominator != 1 or not 1 <= days <= MAX_PAUSE_DAYS:
        return Unknown(Reason.DAYS_OUT_OF_RANGE, f"{float(days):g} days")
    return Pause(int(days))


def _stop(parts: list[_Part], bare: list[Num], open_codes: AbstractSet[str]) -> Command:
    return _pause(parts, bare, open_codes) if parts or bare else Stop()


def _plain(command: Command):
    def resolve(parts: list[_Part], bare: list[Num], open_codes: AbstractSet[str]) -> Command:
        if bare or parts:
            return Unknown(Reason.UNEXPECTED_NUMBER, "this command takes no number")
        return command
    return resolve


_RESOLVERS = {
    Kind.ACCEPT: _offer(Accept),
    Kind.DECLINE: _offer(Decline),
    Kind.DONE: _done,
    Kind.BALANCE: _plain(Balance()),
    Kind.PAUSE: _pause,
    Kind.STOP: _stop,
    Kind.START: _plain(Start()),
    Kind.HELP: _plain(Help()),
}
