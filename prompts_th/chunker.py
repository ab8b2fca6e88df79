"""Cut Thai text into pieces a speech service accepts (gTTS: 100 characters) without cutting words.

Thai is written without spaces between words, so a splitter that looks for spaces (as gTTS's
own does) cuts mid-word, or even between a consonant and its vowel or tone mark. Here the
cut points are, best first:

1. a sentence end: whitespace holding a line break, or whitespace after ``. ! ? …``;
2. any other whitespace (Thai puts a space between phrases);
3. a word boundary found by pythainlp's ``newmm`` tokenizer;
4. inside a word longer than the limit: a character-cluster boundary, never before a
   combining vowel or tone mark and never right after a leading vowel (เ แ โ ใ ไ).

Within the reach of one chunk the best kind of cut wins, the latest of that kind.

The contract, for ``chunks = chunk_thai(text, limit)``:

* every chunk is non-empty, has no whitespace at either end, and is at most ``limit`` long;
* ``text == w0 + chunks[0] + w1 + chunks[1] + ... + chunks[-1] + wn`` where every ``w`` is
  whitespace (possibly empty): the chunks are the text in order, only the whitespace at the
  cuts (and at both ends) is dropped; whitespace inside a chunk is kept as written;
* a combining mark is never separated from the letter it follows directly, except when that
  letter and its marks together are longer than ``limit`` (not text anyone writes).
"""

from __future__ import annotations

import re
import unicodedata

THAI_MARKS = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))
"""Thai above/below vowels and tone marks: they sit on the consonant before them."""

LEADING_VOWELS = frozenset("เแโใไ")
"""Thai vowels written before the consonant they follow in speech."""

SENTENCE_ENDS = frozenset(".!?…")

_SENTENCE, _SPACE, _WORD, _CLUSTER = 4, 3, 2, 1
_WHITESPACE = re.compile(r"\s+")


def is_mark(char: str) -> bool:
    """Whether ``char`` is a combining mark (Thai vowel/tone sign or any Unicode mark)."""
    return char in THAI_MARKS or unicodedata.category(char).startswith("M")


def chunk_thai(text: str, limit: int = 100) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters at the best boundaries."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    start, end = _skip_space(text, 0), len(text.rstrip())
    if start >= end:
        return []
    cuts = _space_cuts(text)
    word_cuts: dict[int, tuple[int, int, int]] | None = None
    chunks: list[str] = []
    while end - start > limit:
        reach = start + limit
        candidates = [c for c in cuts if start < c[0] <= reach and not is_mark(text[c[1]])]
        if not candidates:
            if word_cuts is None:
                word_cuts = _word_cuts(text)
            candidates = [word_cuts[p] for p in range(start + 1, reach + 1) if p in word_cuts]
        if not candidates:
            candidates = [
                (p, p, _CLUSTER) for p in range(start + 1, reach + 1) if _cluster_starts(text, p)
            ]
        if candidates:
            cut_end, next_start, _ = max(candidates, key=lambda cut: (cut[2], cut[0]))
        else:
            cut_end = next_start = _last_resort(text, start, reach)
        chunks.append(text[start:cut_end].rstrip())
        start = _skip_space(text, next_start)
    chunks.append(text[start:end])
    return chunks


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _space_cuts(text: str) -> list[tuple[int, int, int]]:
    """(chunk end, next chunk start, rank) for every inner run of whitespace."""
    cuts = []
    for run in _WHITESPACE.finditer(text):
        a, b = run.span()
        if a == 0 or b == len(text):
            continue
        sentence = "\n" in run.group() or text[a - 1] in SENTENCE_ENDS
        cuts.append((a, b, _SENTENCE if sentence else _SPACE))
    return cuts


def _word_cuts(text: str) -> dict[int, tuple[int, int, int]]:
    """Word boundaries from newmm that fall between two non-space characters."""
    from pythainlp.tokenize import word_tokenize  # loads a dictionary: only when needed

    cuts: dict[int, tuple[int, int, int]] = {}
    position = 0
    for token in word_tokenize(text, engine="newmm", keep_whitespace=True):
        if not text.startswith(token, position):
            break  # the tokenizer changed the text: trust no further boundary
        position += len(token)
        if 0 < position < len(text) and _cluster_starts(text, position):
            cuts[position] = (position, position, _WORD)
    return cuts


def _cluster_starts(text: str, p: int) -> bool:
    """Whether a cut at ``p`` falls between two clusters of non-space characters."""
    before, after = text[p - 1], text[p]
    return not (
        before.isspace() or after.isspace() or is_mark(after) or before in LEADING_VOWELS
    )


def _last_resort(text: str, start: int, reach: int) -> int:
    """No clean cut within reach: cut before the latest character that is not a mark."""
    for p in range(reach, start, -1):
        if not is_mark(text[p]):
            return p
    return reach
