"""espeak-ng, the offline Thai voice: LOW QUALITY (robotic), a stand-in while gTTS is unreachable.

Runs ``espeak-ng -v th --stdout`` with the text on standard input, then turns its WAV into
MP3 with ffmpeg. Needs the Debian packages ``espeak-ng`` and ``ffmpeg``; when either is
missing, SpeechUnavailable says which to install. Audio it makes is marked ``offline`` in
the cache metadata, and the cache re-makes it with gTTS once the network is back.
"""

from __future__ import annotations

import subprocess

from prompts_th import audio
from prompts_th.engines import SpeechUnavailable

#: espeak-ng's normal pace in words per minute; ``speed`` scales it.
NORMAL_WPM = 175


class EspeakEngine:
    """Offline Thai speech by espeak-ng: always available, LOW QUALITY (``offline = True``).

    ``speed`` is relative to espeak-ng's normal 175 words per minute (0.9 = a little slower,
    easier for elders). ``timeout`` bounds each espeak-ng run in seconds.
    """

    name = "espeak-ng"
    offline = True
    quality = "low: robotic offline voice (espeak-ng), a stand-in until gTTS is reachable"

    def __init__(self, voice: str = "th", speed: float = 1.0, *, timeout: float = 60) -> None:
        self.voice = voice
        self.speed = speed
        self.timeout = timeout

    @property
    def words_per_minute(self) -> int:
        return max(80, min(450, round(NORMAL_WPM * self.speed)))

    def synthesize(self, text: str) -> bytes:
        """MP3 of ``text`` in espeak-ng's voice."""
        return audio.encode_mp3(self.wav(text))

    def wav(self, text: str) -> bytes:
        """espeak-ng's own output: a 22 050 Hz mono WAV (its header sizes unset, as piped)."""
        if not text.strip():
            raise SpeechUnavailable("ไม่มีข้อความให้อ่านค่ะ", "nothing to speak: the text is empty")
        program = audio.tool("espeak-ng", package="espeak-ng")
        rate = str(self.words_per_minute)
        command = [program, "-v", self.voice, "-s", rate, "--stdout", "--stdin"]
        try:
            done = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise SpeechUnavailable(
                "ระบบเสียงพูดสำรองทำงานช้าเกินไปค่ะ", f"espeak-ng took more than {self.timeout} s"
            ) from error
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            message = done.stderr.decode("utf-8", "replace").strip() or "no audio"
            raise SpeechUnavailable(
                "ระบบเสียงพูดสำรองใช้งานไม่ได้ค่ะ",
                f"espeak-ng -v {self.voice} failed ({done.returncode}): {message}",
            )
        return done.stdout
