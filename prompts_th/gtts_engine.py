"""Google Translate's Thai voice through gTTS (online only); the one module that imports gtts.

gTTS splits long text at spaces and punctuation, which cuts unspaced Thai mid-word. So the
text is cut here with :func:`prompts_th.chunker.chunk_thai` into pieces of at most 100
characters (gTTS's own per-request limit, below which it does not split), and each piece
goes to gTTS with its English-minded pre-processors and tokenizer switched off. Audio is
collected in memory (``write_to_fp`` into a ``BytesIO``), never in a file: ``gTTS.save``
leaves a 0-byte file behind when the request fails.

Note: gTTS 2.5.4 sends its requests with ``verify=False`` and silences urllib3's
InsecureRequestWarning process-wide; nothing here can change that.
"""

from __future__ import annotations

import binascii
import io
import time
from collections.abc import Callable

import requests

from prompts_th.chunker import chunk_thai
from prompts_th.engines import SpeechUnavailable

#: Characters gTTS sends in one request without splitting (gTTS.GOOGLE_TTS_MAX_CHARS).
GTTS_CHUNK_LIMIT = 100

#: Characters gTTS drops as unspeakable (a chunk of only these is skipped).
_SILENT = set(" \t\r\n?!？！.,¡()[]¿…‥،;:—。，、：\"'-")


class GttsEngine:
    """Thai speech from Google Translate via gTTS: natural voice, needs the internet.

    ``speed`` is 1.0, or 0.5 when ``slow`` (gTTS's only other pace). Each request waits at
    most ``timeout`` seconds; a failed request is retried ``retries`` times, waiting
    ``backoff_s``, then twice that, and so on. Client errors (4xx but 429) are not retried.
    """

    name = "gtts"
    offline = False

    def __init__(
        self,
        lang: str = "th",
        slow: bool = False,
        timeout: float = 10,
        retries: int = 2,
        *,
        tld: str = "com",
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.voice = lang if tld == "com" else f"{lang}@{tld}"
        self.lang = lang
        self.slow = slow
        self.speed = 0.5 if slow else 1.0
        self.timeout = timeout
        self.retries = retries
        self.tld = tld
        self.backoff_s = backoff_s
        self._sleep = sleep

    def synthesize(self, text: str) -> bytes:
        """MP3 of ``text``: one request per chunk, the pieces joined (MP3 frames concatenate)."""
        pieces = [c for c in chunk_thai(text, GTTS_CHUNK_LIMIT) if not set(c) <= _SILENT]
        if not pieces:
            raise SpeechUnavailable(
                "ไม่มีข้อความให้อ่านค่ะ", f"nothing speakable in {text!r}"
            )
        return b"".join(self._piece(piece) for piece in pieces)

    def _piece(self, piece: str) -> bytes:
        from gtts import gTTS, gTTSError  # imported on first use: nothing built at import time

        attempt = 0
        while True:
            try:
                tts = gTTS(
                    piece,
                    tld=self.tld,
                    lang=self.lang,
                    slow=self.slow,
                    lang_check=False,  # the language list check is local, but we know "th"
                    pre_processor_funcs=[],  # English abbreviation and word rules: not for Thai
                    tokenizer_func=_as_one_piece,
                    timeout=self.timeout,
                )
                buffer = io.BytesIO()
                tts.write_to_fp(buffer)
                audio = buffer.getvalue()
                if not audio:
                    raise gTTSError("no audio in the response")
                return audio
            except (gTTSError, requests.RequestException, binascii.Error) as error:
                status = getattr(getattr(error, "rsp", None), "status_code", None)
                permanent = status is not None and 400 <= status < 500 and status != 429
                if permanent or attempt >= self.retries:
                    raise SpeechUnavailable(
                        "ขออภัยค่ะ ตอนนี้ระบบเสียงพูดออนไลน์ใช้งานไม่ได้",
                        f"gTTS failed after {attempt + 1} attempt(s): {error}",
                        status=status,
                    ) from error
            self._sleep(self.backoff_s * 2**attempt)
            attempt += 1


def _as_one_piece(text: str) -> list[str]:
    """A tokenizer that does not split: the chunker already cut at Thai word boundaries."""
    return [text]
