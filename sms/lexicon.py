"""The SMS parser's vocabulary: command words, typos, units and numbers, and turning text into items.

Pure data and pure functions; ``sms.commands`` reads the items into one command.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from functools import lru_cache
from typing import TypeAlias

# --- vocabulary (data) --------------------------------------------------------------------------

class Kind(Enum):
    ACCEPT, DECLINE, DONE, BALANCE, PAUSE, STOP, START, HELP = range(8)


KEY_KIND = {"1": Kind.ACCEPT, "2": Kind.DECLINE, "3": Kind.DONE}


@dataclass(frozen=True)
class Unit:
    days: bool          # a count of days (pause) rather than minutes (done)
    size: int           # minutes, or days


@dataclass(frozen=True)
class _Sense:
    tag: str            # cmd | ignore | unit | half | num | ambiguous | blocked
    kind: Kind | None = None
    unit: Unit | None = None
    value: int = 0


MINUTE, HOUR = Unit(False, 1), Unit(False, 60)
_DAY, _WEEK, _MONTH = Unit(True, 1), Unit(True, 7), Unit(True, 30)

# Latin phrases join words with "_".
_COMMAND_WORDS = {
    Kind.ACCEPT: "รับ รับบ รับงาน รับได้ ได้ ตกลง ตกลล โอเค โอเคร โอเช โอเค้ ยืนยัน ไป ไปได้ ว่าง สะดวก "
                  "ยินดี ช่วยได้ ทำได้ จัดไป ok okay okey oki okie k 0k 0kay yes y ya yeah yep yup yse ys "
                  "yea sure accept accepted agree can i_can confirm confirmed go available free",
    Kind.DECLINE: "ไม่ ไม ม่ ไม่ได้ ไม่ได ไมได้ ม่ได้ ไม่ว่าง ม่ว่าง ไม่วาง ไม่รับ ไม่สะดวก ไม่ค่อยสะดวก "
                   "ไม่ค่อยว่าง ไม่ไป ไปไม่ได้ ไปไม่ไหว ไม่ไหว ไม่พร้อม ไม่สบาย ไม่เอา ไม่ตกลง ไม่โอเค "
                   "ไม่มีเวลา รับไม่ได้ ช่วยไม่ได้ ทำไม่ได้ ติดธุระ ติดงาน ขอผ่าน ผ่าน ปฏิเสธ no n nope nah "
                   "decline declined reject cant cannot can_not not_ok not_available unavailable not_free "
                   "busy pass",
    Kind.DONE: "เสร็จ เสร็จแล้ว เสร็ด เสด เส็ด เสรจ เสร้จ เสร็จสิ้น เรียบร้อย ทำเสร็จ ช่วยเสร็จ จบงาน done dnoe "
                "doen finished finish fin complete completed all_done",
    Kind.BALANCE: "ยอด ยอดเวลา เวลาคงเหลือ คงเหลือ ยอดคงเหลือ ยอดเหลือ เหลือ เวลาเหลือ เช็คยอด เชคยอด เช็กยอด "
                   "ดูยอด แต้ม ยอดแต้ม แต้มคงเหลือ แต้มเหลือ เช็คแต้ม ดูแต้ม เหลือกี่ชั่วโมง เหลือกี่แต้ม มีกี่ชั่วโมง "
                   "มีกี่แต้ม เหลือเท่าไหร่ เหลือเท่าไร ยอดเท่าไหร่ bal balance balence blance "
                   "balanace credit credits",
    Kind.PAUSE: "พัก หยุดพัก หยุดก่อน ลาพัก pause paused break snooze",
    Kind.STOP: "หยุด หยุดส่ง หยุดรับ เลิก เลิกรับ เลิกส่ง ไม่ต้องส่ง ไม่ต้องส่งมา ไม่รับข้อความ ลาออก stop "
                "stopall stop_all unsubscribe unsub quit optout opt_out revoke",
    Kind.START: "เริ่ม เริ่มใหม่ เริ่มรับ เปิดรับ กลับมา สมัคร start unstop resume subscribe restart",
    Kind.HELP: "ช่วย ช่วยด้วย วิธีใช้ ใช้ยังไง ใช้ไง คำสั่ง เมนู คู่มือ help info menu commands command",
}
_IGNORED = (  # polite particles, pronouns, greetings and other words that change nothing
    "ครับ คับ ครัช คับผม ครับผม คร้าบ ค้าบ ครัป งับ ฮะ ฮับ ค่ะ คะ ค่า ค๊ะ ค๊า ค้า นะ น่ะ น้า นะคะ นะครับ จ้า "
    "จ้ะ จ๊ะ จ๋า จ่ะ เด้อ เน้อ แล้ว เลย ก่อน งาน ขอ ก็ จะ ผม ฉัน หนู ดิฉัน เรา ป้า ลุง ยาย พี่ น้อง ขอบคุณ "
    "ขอบใจ ขอโทษ มาก สวัสดี รหัส ที่ ใช้เวลา ประมาณ รวม ทั้งหมด krub krab khrap khrub krap kub kap ka kha "
    "kaa na ja jaa ha please pls plz thanks thank thank_you thx ty sir hi hello i im my me the a it code "
    "job offer for in took about sorry now"
)
_UNITS = {
    MINUTE: "นาที นที min mins minute minutes m",
    HOUR: "ชั่วโมง ชม ชัวโมง h hr hrs hour hours",
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


def normalise(text: str) -> str:
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
        key = " ".join(normalise(part) for part in word.split("_"))
        if lexicon.setdefault(key, sense) != sense:
            raise ValueError(f"vocabulary gives {word!r} two meanings")
    return lexicon


_LEXICON = _build_lexicon()
_LONGEST_THAI = max(len(w) for w in _LEXICON if _is_thai_letter(w[0]))
_FUZZY_TARGETS = tuple(
    (w, s) for w, s in _LEXICON.items()
    if s.tag == "cmd" and s.kind is not Kind.STOP and _is_thai_letter(w[0]) and len(w) >= 5
)
OPT_OUT = {normalise(w) for w in _CARRIER_OPT_OUT.split()}
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
class Num:
    value: Fraction
    raw: str            # the digits as written ("" for Thai number words)
    decimals: int = 0


@dataclass(frozen=True)
class Word:
    text: str
    sense: _Sense | None


_TOKEN = re.compile(r"(\d+(?:[.:]\d+)*)|([a-z]+)|([\u0e01-\u0e4e]+)|(\S)")
Item: TypeAlias = "Num | Word"


def tokens(text: str) -> list[Item]:
    items: list[Item] = []
    for chunk in text.split():
        if chunk in _LEXICON and not _is_thai_letter(chunk[0]):   # "0k" is one word
            items.append(Word(chunk, _LEXICON[chunk]))
            continue
        for number, latin, thai, other in _TOKEN.findall(chunk):
            if number:
                items.append(_number(number))
            elif thai and items and isinstance(items[-1], Word) and _is_thai_letter(items[-1].text[0]):
                items[-1] = Word(items[-1].text + thai, None)   # Thai spacing is not word spacing
            else:
                items.append(Word(latin or thai or other, None))
    return items


def _number(raw: str) -> Num | Word:
    if ":" in raw:
        hours, _, minutes = raw.partition(":")
        if raw.count(":") == 1 and "." not in raw and len(minutes) == 2 and int(minutes) < 60:
            return Num(Fraction(int(hours) * 60 + int(minutes)), raw)
        return Word(raw, None)
    if raw.count(".") > 1:
        return Word(raw, None)
    whole, _, decimals = raw.partition(".")
    return Num(Fraction(raw) if decimals else Fraction(int(whole)), raw, len(decimals))


def words(items: list[Item]) -> list[Item]:
    """Give every word its sense: Thai runs are segmented, Latin phrases joined, number words summed."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, Num):
            out.append(item)
        elif _is_thai_letter(item.text[0]):
            out += [Word(t, s) for t, s in _segment_thai(item.text)]
        else:
            for size in (3, 2, 1):
                group = items[i:i + size]
                if len(group) < size or not all(isinstance(w, Word) and w.text.isascii() for w in group):
                    continue
                phrase = " ".join(w.text for w in group)
                if phrase in _LEXICON or size == 1:
                    out.append(Word(phrase, _LEXICON.get(phrase)))
                    i += size - 1
                    break
            else:
                out.append(item)
        i += 1
    return _join_number_words(out)


def _join_number_words(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    run: list[int] = []
    for item in items + [Word("", None)]:
        if isinstance(item, Word) and item.sense is not None and item.sense.tag == "num":
            run.append(item.sense.value)
            continue
        if run:
            total = current = 0
            for v in run:
                if v in (10, 100):
                    total, current = total + (current or 1) * v, 0
                else:
                    current = v
            out.append(Num(Fraction(total + current), ""))
            run = []
        out.append(item)
    return out[:-1]
