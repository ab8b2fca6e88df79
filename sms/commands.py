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

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum, StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import AbstractSet, TypeAlias

from ledger.policy import Minutes

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


# --- vocabulary (data) --------------------------------------------------------------------------

class _Kind(Enum):
    ACCEPT, DECLINE, DONE, BALANCE, PAUSE, STOP, START, HELP = range(8)


_KEY_KIND = {"1": _Kind.ACCEPT, "2": _Kind.DECLINE, "3": _Kind.DONE}


@dataclass(frozen=True)
class _Unit:
    days: bool          # a count of days (pause) rather than minutes (done)
    size: int           # minutes, or days


@dataclass(frozen=True)
class _Sense:
    tag: str            # cmd | ignore | unit | half | num | ambiguous | blocked
    kind: _Kind | None = None
    unit: _Unit | None = None
    value: int = 0


_MINUTE, _HOUR = _Unit(False, 1), _Unit(False, 60)
_DAY, _WEEK, _MONTH = _Unit(True, 1), _Unit(True, 7), _Unit(True, 30)

# Latin phrases join words with "_".
_COMMAND_WORDS = {
    _Kind.ACCEPT: "รับ รับบ รับงาน รับได้ ได้ ตกลง ตกลล โอเค โอเคร โอเช โอเค้ ยืนยัน ไป ไปได้ ว่าง สะดวก "
                  "ยินดี ช่วยได้ ทำได้ จัดไป ok okay okey oki okie k 0k 0kay yes y ya yeah yep yup yse ys "
                  "yea sure accept accepted agree can i_can confirm confirmed go available free",
    _Kind.DECLINE: "ไม่ ไม ม่ ไม่ได้ ไม่ได ไมได้ ม่ได้ ไม่ว่าง ม่ว่าง ไม่วาง ไม่รับ ไม่สะดวก ไม่ค่อยสะดวก "
                   "ไม่ค่อยว่าง ไม่ไป ไปไม่ได้ ไปไม่ไหว ไม่ไหว ไม่พร้อม ไม่สบาย ไม่เอา ไม่ตกลง ไม่โอเค "
                   "ไม่มีเวลา รับไม่ได้ ช่วยไม่ได้ ทำไม่ได้ ติดธุระ ติดงาน ขอผ่าน ผ่าน ปฏิเสธ no n nope nah "
                   "decline declined reject cant cannot can_not not_ok not_available unavailable not_free "
                   "busy pass",
    _Kind.DONE: "เสร็จ เสร็จแล้ว เสร็ด เสด เส็ด เสรจ เสร้จ เสร็จสิ้น เรียบร้อย ทำเสร็จ ช่วยเสร็จ จบงาน done dnoe "
                "doen finished finish fin complete completed all_done",
    _Kind.BALANCE: "ยอด ยอดเวลา เวลาคงเหลือ คงเหลือ ยอดคงเหลือ ยอดเหลือ เหลือ เวลาเหลือ เช็คยอด เชคยอด เช็กยอด "
                   "ดูยอด แต้ม ยอดแต้ม แต้มคงเหลือ แต้มเหลือ เช็คแต้ม ดูแต้ม เหลือกี่ชั่วโมง เหลือกี่แต้ม มีกี่ชั่วโมง "
                   "มีกี่แต้ม เหลือเท่าไหร่ เหลือเท่าไร ยอดเท่าไหร่ bal balance balence blance "
                   "balanace credit credits",
    _Kind.PAUSE: "พัก หยุดพัก หยุดก่อน ลาพัก pause paused break snooze",
    _Kind.STOP: "หยุด หยุดส่ง หยุดรับ เลิก เลิกรับ เลิกส่ง ไม่ต้องส่ง ไม่ต้องส่งมา ไม่รับข้อความ ลาออก stop "
                "stopall stop_all unsubscribe unsub quit optout opt_out revoke",
    _Kind.START: "เริ่ม เริ่มใหม่ เริ่มรับ เปิดรับ กลับมา สมัคร start unstop resume subscribe restart",
    _Kind.HELP: "ช่วย ช่วยด้วย วิธีใช้ ใช้ยังไง ใช้ไง คำสั่ง เมนู คู่มือ help info menu commands command",
}
_IGNORED = (  # polite particles, pronouns, greetings and other words that change nothing
    "ครับ คับ ครัช คับผม ครับผม คร้าบ ค้าบ ครัป งับ ฮะ ฮับ ค่ะ คะ ค่า ค๊ะ ค๊า ค้า นะ น่ะ น้า นะคะ นะครับ จ้า "
    "จ้ะ จ๊ะ จ๋า จ่ะ เด้อ เน้อ แล้ว เลย ก่อน งาน ขอ ก็ จะ ผม ฉัน หนู ดิฉัน เรา ป้า ลุง ยาย พี่ น้อง ขอบคุณ "
    "ขอบใจ ขอโทษ มาก สวัสดี รหัส ที่ ใช้เวลา ประมาณ รวม ทั้งหมด krub krab khrap khrub krap kub kap ka kha "
    "kaa na ja jaa ha please pls plz thanks thank thank_you thx ty sir hi hello i im my me the a it code "
    "job offer for in took about sorry now"
)
_UNITS = {
    _MINUTE: "นาที นที min mins minute minutes m",
    _HOUR: "ชั่วโมง ชม ชัวโมง h hr hrs hour hours",
    _DAY: "วัน day days d",
    _WEEK: "สัปดาห์ อาทิตย์ อาทิต week weeks wk",
    _MONTH: "เดือน month months",
}
_NUMBER_WORDS = {"หนึ่ง": 1, "นึง": 1, "เอ็ด": 1, "สอง": 2, "ยี่": 2, "สาม": 3, "สี่": 4, "ห้า": 5,
                 "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9, "สิบ": 10, "ร้อย": 100}
_AMBIGUOUS = "ยกเลิก cancel end"
_BLOCKED = "เสด็จ"  # royal word for "to go": one letter from เสร็จ, never Done
_CARRIER_OPT_OUT = "stop stopall unsubscribe cancel end quit revoke optout"


# --- normalising text ---------------------------------------------------------------------------

_NOT_THAI_LETTERS = {"\u0e2f", "\u0e46", "\u0e4f"}        # ฯ ๆ ๏ act as punctuation
_DROP = {"'", "\u2019", "\u2018", "`", "\u00ad"}           # apostrophes and soft hyphen join words
_TONE_BEFORE_VOWEL = re.compile("([\u0e48-\u0e4b])([\u0e31\u0e34-\u0e37\u0e47])")
_REPEATS = re.compile(r"([a-z\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])\1+")  # okkk, ไม่่; Thai letters: _segment_thai


def _is_thai_letter(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e4e" and ch not in _NOT_THAI_LETTERS and unicodedata.category(ch)[0] in "LM"


def _normalise(text: str) -> str:
    """Keep ASCII digits (from any script), lower-case letters and Thai letters; all else is a space."""
    text = unicodedata.normalize("NFKC", text).replace("\u0e4d\u0e32", "\u0e33")
    out: list[str] = []
    for ch in text:
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            out.append(str(digit))
        elif ch.isascii() and ch.isalpha():
            out.append(ch.lower())
        elif ch in ".:":
            out.append(ch)
        elif _is_thai_letter(ch):
            out.append(ch)
        elif ch in _DROP or (unicodedata.category(ch) in ("Cf", "Mn", "Me") and ch != "\u200b"):
            continue
        elif ch.isalpha():
            out.append(ch.lower())
        else:
            out.append(" ")
    for i, ch in enumerate(out):  # keep "1.5" and "1:30"; "o.k" → "ok"; other dots are spaces
        if ch in ".:":
            before = out[i - 1] if i else ""
            after = out[i + 1] if i + 1 < len(out) else ""
            if before.isdigit() and after.isdigit():
                continue
            out[i] = "" if ch == "." and before.isalpha() and after.isalpha() else " "
    text = "".join(out).replace("เเ", "แ")
    text = _TONE_BEFORE_VOWEL.sub(r"\2\1", text)
    return _REPEATS.sub(r"\1", text)


# --- the lexicon --------------------------------------------------------------------------------

def _build_lexicon() -> dict[str, _Sense]:
    entries: list[tuple[str, _Sense]] = []
    for kind, words in _COMMAND_WORDS.items():
        entries += [(w, _Sense("cmd", kind=kind)) for w in words.split()]
    entries += [(w, _Sense("ignore")) for w in _IGNORED.split()]
    for unit, words in _UNITS.items():
        entries += [(w, _Sense("unit", unit=unit)) for w in words.split()]
    entries += [(w, _Sense("num", value=v)) for w, v in _NUMBER_WORDS.items()]
    entries += [("ครึ่ง", _Sense("half"))]
    entries += [(w, _Sense("ambiguous")) for w in _AMBIGUOUS.split()]
    entries += [(w, _Sense("blocked")) for w in _BLOCKED.split()]
    lexicon: dict[str, _Sense] = {}
    for word, sense in entries:
        key = " ".join(_normalise(part) for part in word.split("_"))
        if lexicon.setdefault(key, sense) != sense:
            raise ValueError(f"vocabulary gives {word!r} two meanings")
    return lexicon


_LEXICON = _build_lexicon()
_LONGEST_THAI = max(len(w) for w in _LEXICON if _is_thai_letter(w[0]))
_FUZZY_TARGETS = tuple(
    (w, s) for w, s in _LEXICON.items()
    if s.tag == "cmd" and s.kind is not _Kind.STOP and _is_thai_letter(w[0]) and len(w) >= 5
)
_OPT_OUT = {_normalise(w) for w in _CARRIER_OPT_OUT.split()}
_MAX_FUZZY_RUN = 24


def _one_edit_apart(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


@lru_cache(maxsize=2048)
def _fuzzy(piece: str) -> _Sense | None:
    if len(piece) < 3:
        return None
    senses = {s for w, s in _FUZZY_TARGETS if w[0] == piece[0] and _one_edit_apart(piece, w)}
    return senses.pop() if len(senses) == 1 else None


def _segment_thai(run: str) -> list[tuple[str, _Sense | None]]:
    """Split a Thai run into lexicon words (fewest words wins); a run that will not split is one unknown."""
    for fuzzy in (False, True):
        if fuzzy and len(run) > _MAX_FUZZY_RUN:
            break
        best: list[tuple[int, list[tuple[str, _Sense]]] | None] = [None] * (len(run) + 1)
        best[0] = (0, [])
        for i in range(len(run)):
            if best[i] is None:
                continue
            cost_so_far, words = best[i]
            for j in range(i + 1, min(len(run), i + _LONGEST_THAI + 1) + 1):   # +1: a typo may add a letter
                piece = run[i:j]
                sense, cost = _LEXICON.get(piece), 1
                if sense is None and fuzzy:
                    sense, cost = _fuzzy(piece), 3
                if sense is None:
                    continue
                end = j
                while True:                      # รับบบ, ค่าาา, ไม่่: a held key repeats the last letter
                    if best[end] is None or best[end][0] > cost_so_far + cost:
                        best[end] = (cost_so_far + cost, words + [(run[i:end], sense)])
                    if end == len(run) or run[end] != run[end - 1]:
                        break
                    end += 1
        if best[len(run)] is not None:
            return list(best[len(run)][1])
    return [(run, None)]


# --- from text to items -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Num:
    value: Fraction
    raw: str            # the digits as written ("" for Thai number words)
    decimals: int = 0


@dataclass(frozen=True)
class _Word:
    text: str
    sense: _Sense | None


_TOKEN = re.compile(r"(\d+(?:[.:]\d+)*)|([a-z]+)|([\u0e01-\u0e4e]+)|(\S)")
_Item: TypeAlias = "_Num | _Word"


def _tokens(text: str) -> list[_Item]:
    items: list[_Item] = []
    for chunk in text.split():
        if chunk in _LEXICON and not _is_thai_letter(chunk[0]):   # "0k" is one word
            items.append(_Word(chunk, _LEXICON[chunk]))
            continue
        for number, latin, thai, other in _TOKEN.findall(chunk):
            if number:
                items.append(_number(number))
            elif thai and items and isinstance(items[-1], _Word) and _is_thai_letter(items[-1].text[0]):
                items[-1] = _Word(items[-1].text + thai, None)   # Thai spacing is not word spacing
            else:
                items.append(_Word(latin or thai or other, None))
    return items


def _number(raw: str) -> _Num | _Word:
    if ":" in raw:
        hours, _, minutes = raw.partition(":")
        if raw.count(":") == 1 and "." not in raw and len(minutes) == 2 and int(minutes) < 60:
            return _Num(Fraction(int(hours) * 60 + int(minutes)), raw)
        return _Word(raw, None)
    if raw.count(".") > 1:
        return _Word(raw, None)
    whole, _, decimals = raw.partition(".")
    return _Num(Fraction(raw) if decimals else Fraction(int(whole)), raw, len(decimals))


def _words(items: list[_Item]) -> list[_Item]:
    """Give every word its sense: Thai runs are segmented, Latin phrases joined, number words summed."""
    out: list[_Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, _Num):
            out.append(item)
        elif _is_thai_letter(item.text[0]):
            out += [_Word(t, s) for t, s in _segment_thai(item.text)]
        else:
            for size in (3, 2, 1):
                group = items[i:i + size]
                if len(group) < size or not all(isinstance(w, _Word) and w.text.isascii() for w in group):
                    continue
                phrase = " ".join(w.text for w in group)
                if phrase in _LEXICON or size == 1:
                    out.append(_Word(phrase, _LEXICON.get(phrase)))
                    i += size - 1
                    break
            else:
                out.append(item)
        i += 1
    return _join_number_words(out)


def _join_number_words(items: list[_Item]) -> list[_Item]:
    out: list[_Item] = []
    run: list[int] = []
    for item in items + [_Word("", None)]:
        if isinstance(item, _Word) and item.sense is not None and item.sense.tag == "num":
            run.append(item.sense.value)
            continue
        if run:
            total = current = 0
            for v in run:
                if v in (10, 100):
                    total, current = total + (current or 1) * v, 0
                else:
                    current = v
            out.append(_Num(Fraction(total + current), ""))
            run = []
        out.append(item)
    return out[:-1]


# --- from items to a command --------------------------------------------------------------------

@dataclass(frozen=True)
class _Part:
    unit: _Unit
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
    text = " ".join(_normalise(body).split())
    if not text:
        return Unknown(Reason.NO_WORDS)
    if text in _OPT_OUT:
        return Stop()
    return _decide(_words(_tokens(text)), open_codes)


def _decide(items: list[_Item], open_codes: AbstractSet[str]) -> Command:
    kinds: set[_Kind] = set()
    rest: list[_Num | _Word | None] = []          # None marks where a command word stood
    for item in items:
        tag = "num" if isinstance(item, _Num) else item.sense.tag if item.sense else "unknown"
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
    keys = [n for n in bare if n.raw in _KEY_KIND]
    if kind is None and keys:
        kind = _KEY_KIND[keys[0].raw]
        bare.remove(keys[0])
    elif kind is None:
        glued = bare[0].raw if len(bare) == 1 else ""
        if len(glued) != 4 or glued[0] not in _KEY_KIND or glued[1:] not in open_codes:
            return Unknown(Reason.UNRECOGNISED, "no command word")
        kind, bare = _KEY_KIND[glued[0]], [_Num(Fraction(int(glued[1:])), glued[1:])]
    elif keys and keys[0] is rest[0]:             # "3 เสร็จ 90": the key typed first, then the word
        if _KEY_KIND[keys[0].raw] is not kind:
            return Unknown(Reason.CONFLICTING, f"key {keys[0].raw} with a {kind.name} word")
        bare.remove(keys[0])
    if kind in (_Kind.ACCEPT, _Kind.DECLINE):     # "รับ 1": the key repeated after the word
        bare = [n for n in bare if _KEY_KIND.get(n.raw) is not kind]
    return _RESOLVERS[kind](parts, bare, open_codes)


def _is_code(n: _Num) -> bool:
    return len(n.raw) == 3 and n.raw.isdigit()


def _quantities(
    rest: list[_Num | _Word | None], open_codes: AbstractSet[str]
) -> tuple[list[_Part], list[_Num]] | Unknown:
    """Group numbers, units and ครึ่ง into duration parts; bare numbers are returned apart."""
    parts: list[_Part] = []
    bare: list[_Num] = []
    i, after_hours = 0, False
    while i < len(rest):
        item, nxt = rest[i], rest[i + 1] if i + 1 < len(rest) else None
        unit = nxt.sense.unit if isinstance(nxt, _Word) and nxt.sense.tag == "unit" else None
        tag = item.sense.tag if isinstance(item, _Word) else None
        if isinstance(item, _Num) and ":" in item.raw:
            parts.append(_Part(_MINUTE, item.value))
            i, after_hours = i + 1, False
            continue
        if isinstance(item, _Num) and unit is not None:
            if unit is _HOUR and item.decimals >= 2:
                return Unknown(Reason.AMBIGUOUS, f"{item.raw} hours: decimal or h.mm?")
            amount, i = item.value * unit.size, i + 2
            counted = True
        elif tag == "unit":
            unit, amount, i, counted = item.sense.unit, Fraction(item.sense.unit.size), i + 1, False
        elif tag == "half" and unit is not None:
            amount, i, counted = Fraction(unit.size, 2), i + 2, True
        elif isinstance(item, _Num):
            if after_hours and not (_is_code(item) and item.raw in open_codes):
                parts.append(_Part(_MINUTE, item.value))
            else:
                bare.append(item)
            i, after_hours = i + 1, False
            continue
        elif item is None:
            i, after_hours = i + 1, False
            continue
        else:
            return Unknown(Reason.UNEXPECTED_NUMBER, "ครึ่ง without a unit")
        if i < len(rest) and isinstance(rest[i], _Word) and rest[i].sense.tag == "half":
            amount, i = amount + Fraction(unit.size, 2), i + 1
        elif not counted and i < len(rest) and isinstance(rest[i], _Num) and rest[i].raw == "" \
                and rest[i].value == 1:
            i += 1                                   # ชั่วโมงนึง: the one is after the unit
        parts.append(_Part(unit, amount))
        after_hours = unit is _HOUR
    return parts, bare


def _offer(kind: type[Accept] | type[Decline]):
    def resolve(parts: list[_Part], bare: list[_Num], open_codes: AbstractSet[str]) -> Command:
        if parts or any(not _is_code(n) for n in bare):
            return Unknown(Reason.UNEXPECTED_NUMBER, "only a 3-digit offer code may follow")
        if len(bare) > 1:
            return Unknown(Reason.SEVERAL_CODES, " ".join(n.raw for n in bare))
        return kind(bare[0].raw if bare else None)
    return resolve


def _done(parts: list[_Part], bare: list[_Num], open_codes: AbstractSet[str]) -> Command:
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


def _pause(parts: list[_Part], bare: list[_Num], open_codes: AbstractSet[str]) -> Command:
    if any(not p.unit.days for p in parts) or len(bare) > 1 or (bare and parts):
        return Unknown(Reason.UNEXPECTED_NUMBER, "one number of days")
    if not parts and not bare:
        return Pause()
    days = sum((p.amount for p in parts), Fraction(0)) + sum((n.value for n in bare), Fraction(0))
    if days.denominator != 1 or not 1 <= days <= MAX_PAUSE_DAYS:
        return Unknown(Reason.DAYS_OUT_OF_RANGE, f"{float(days):g} days")
    return Pause(int(days))


def _stop(parts: list[_Part], bare: list[_Num], open_codes: AbstractSet[str]) -> Command:
    return _pause(parts, bare, open_codes) if parts or bare else Stop()


def _plain(command: Command):
    def resolve(parts: list[_Part], bare: list[_Num], open_codes: AbstractSet[str]) -> Command:
        if bare or parts:
            return Unknown(Reason.UNEXPECTED_NUMBER, "this command takes no number")
        return command
    return resolve


_RESOLVERS = {
    _Kind.ACCEPT: _offer(Accept),
    _Kind.DECLINE: _offer(Decline),
    _Kind.DONE: _done,
    _Kind.BALANCE: _plain(Balance()),
    _Kind.PAUSE: _pause,
    _Kind.STOP: _stop,
    _Kind.START: _plain(Start()),
    _Kind.HELP: _plain(Help()),
}
