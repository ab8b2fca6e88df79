"""Audio plumbing over ffmpeg: decode, join with pauses, chime, two-pass loudness, MP3, phone WAV.

Every function runs the ``ffmpeg``/``ffprobe`` programs (Debian package ``ffmpeg``); when they
are missing the error says which package to install, never a bare FileNotFoundError.
Audio in between steps is plain PCM: 16-bit signed, mono, :data:`RATE` Hz, so joining pieces
and pauses is exact arithmetic on samples.
"""

from __future__ import annotations

import array
import json
import math
import re
import shutil
import subprocess
import sys
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from prompts_th.engines import SpeechUnavailable

RATE = 44_100
"""Sample rate of the PCM that pieces are joined in, and of the finished MP3."""

_BYTES_PER_SECOND = RATE * 2  # 16-bit mono


class AudioToolMissing(SpeechUnavailable):
    """A program the audio needs is not installed."""

    code = "audio_tool_missing"


class AudioFailed(SpeechUnavailable):
    """ffmpeg ran and failed (a broken file, a full disk)."""

    code = "audio_failed"


@dataclass(frozen=True)
class Loudness:
    """An EBU R128 target: integrated loudness, true peak and loudness range."""

    integrated: float = -16.0
    true_peak: float = -1.5
    lra: float = 11.0


def tool(program: str, package: str = "ffmpeg") -> str:
    """The path of ``program``, or AudioToolMissing naming the Debian package to install."""
    path = shutil.which(program)
    if path is None:
        raise AudioToolMissing(
            f"เครื่องนี้ยังไม่ได้ติดตั้งโปรแกรม {program} ค่ะ",
            f"{program} is not installed: run `apt-get install {package}` "
            "(Debian/Ubuntu; the loudspeaker audio needs both espeak-ng and ffmpeg: "
            "`apt-get install espeak-ng ffmpeg`)",
            program=program,
            package=package,
        )
    return path


def run(
    program: str, args: list[str], *, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg/ffprobe quietly; AudioFailed with the end of its error output on failure."""
    command = [tool(program), "-hide_banner", *args]
    try:
        done = subprocess.run(
            command,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise AudioFailed(
            "ทำไฟล์เสียงไม่สำเร็จค่ะ", f"{program} took more than {timeout} s"
        ) from error
    stderr = done.stderr.decode("utf-8", "replace")
    # ffmpeg (5.1) exits 0 when writing its output file fails, e.g. on a full disk, leaving half
    # a file: its own report of the failed write counts as a failure too.
    write_failed = any(marker in stderr for marker in _WRITE_FAILED)
    if done.returncode != 0 or write_failed:
        tail = stderr.strip().splitlines()[-3:]
        disk_full = any(marker in stderr for marker in _DISK_FULL)
        raise AudioFailed(
            _DISK_FULL_TH if disk_full else "ทำไฟล์เสียงไม่สำเร็จค่ะ",
            f"{program} failed ({done.returncode}): {' / '.join(tail)}",
            disk_full=disk_full,
        )
    return done


_WRITE_FAILED = ("Error writing trailer", "Error closing file", "av_interleaved_write_frame()")
_DISK_FULL = ("No space left on device", "Disk quota exceeded")
_DISK_FULL_TH = "บันทึกไฟล์เสียงไม่ได้ค่ะ พื้นที่เก็บข้อมูลอาจเต็ม กรุณาแจ้งผู้ดูแลระบบ"


def duration(path: Path) -> float:
    """Seconds of audio in a file, as ffprobe reads its container."""
    done = run(
        "ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    )
    return float(json.loads(done.stdout)["format"]["duration"])


def decode(source: Path | bytes) -> bytes:
    """Any audio (a file, or MP3/WAV bytes) as PCM: s16le, mono, RATE Hz."""
    target = ["-ac", "1", "-ar", str(RATE), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"]
    if isinstance(source, bytes):
        return run("ffmpeg", ["-v", "error", "-i", "pipe:0", *target], stdin=source).stdout
    return run("ffmpeg", ["-v", "error", "-i", str(source), *target]).stdout


def seconds(pcm: bytes) -> float:
    """Duration of PCM made by :func:`decode`."""
    return len(pcm) / _BYTES_PER_SECOND


def silence(duration_s: float) -> bytes:
    """PCM silence of ``duration_s`` seconds."""
    return bytes(2 * round(duration_s * RATE))


def pcm_to_wav(pcm: bytes, path: Path) -> None:
    """Write PCM from :func:`decode` to ``path`` as a WAV file (a scratch file: no rename here)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)


@cache
def chime() -> bytes:
    """A soft two-note bell (880 Hz then 660 Hz, 1.2 s) as PCM, made here: no file ships.

    Each note starts with a 15 ms fade-in and dies away exponentially, with a little octave
    overtone for warmth; peaks stay well below full scale so the speech stays the loud part.
    """
    level = 0.3 / 1.25  # the overtone adds up to a quarter: peaks stay under 0.3 of full scale
    samples = array.array("h")
    for frequency, length_s in ((880.0, 0.5), (660.0, 0.7)):
        n = round(length_s * RATE)
        for i in range(n):
            t = i / RATE
            envelope = min(1.0, t / 0.015) * math.exp(-5.0 * t) * min(1.0, (n - i) / (0.03 * RATE))
            phase = 2 * math.pi * frequency * t
            wave_value = math.sin(phase) + 0.25 * math.sin(2 * phase)
            samples.append(round(32767 * level * envelope * wave_value))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


@dataclass(frozen=True)
class R128:
    """An EBU R128 measurement: integrated loudness and its gate threshold (LUFS), loudness
    range (LU) and true peak (dBTP)."""

    integrated: float
    threshold: float
    lra: float
    true_peak: float


def measure(path: Path, *, before: str = "") -> R128:
    """Measure a file with ffmpeg's EBU R128 meter (``ebur128``, true peak on), after the
    filters in ``before`` if given."""
    chain = f"{before}," if before else ""
    done = run(
        "ffmpeg",
        ["-nostats", "-i", str(path), "-af", f"{chain}ebur128=peak=true:framelog=verbose",
         "-f", "null", "-"],
    )
    summary = done.stderr.decode("utf-8", "replace").rsplit("Summary:", 1)[-1]
    labels = ("I", "Threshold", "LRA", "Peak")
    found = [re.search(rf"{label}:\s*(-?[\d.]+|-inf)", summary) for label in labels]
    if not all(found):
        raise AudioFailed("วัดความดังของเสียงไม่ได้ค่ะ", f"ebur128 printed no summary for {path}")
    return R128(*(float(match.group(1)) for match in found))


def measure_loudness(path: Path) -> float:
    """Integrated loudness of a file in LUFS (EBU R128)."""
    return measure(path).integrated


#: Speech compression before loudness normalisation (threshold 0.1 = −20 dBFS, 4:1, fast
#: attack, soft knee). A loudspeaker outdoors needs the quiet syllables up; and it brings the
#: peaks of synthetic speech close enough to its loudness (peak-to-loudness ratio under
#: 14.5 dB) for loudnorm to apply one linear gain instead of its dynamic limiter, which
#: lands 0.5–1 LU under the target.
SPEECH_COMPRESSOR = "acompressor=threshold=0.1:ratio=4:attack=1:release=60:knee=4"


def normalise_to_mp3(
    wav: Path, mp3: Path, *, target: Loudness = Loudness(), quality: int = 4, compress: bool = True
) -> R128:
    """Two passes to ``target`` loudness, mono, encoded to ``mp3`` by libmp3lame (VBR ``quality``).

    Pass one measures with ffmpeg's EBU R128 meter (five times faster than a measuring
    ``loudnorm`` pass, which also runs its whole limiter); pass two is ``loudnorm`` given
    those measurements, which applies a linear gain when the true peak allows it and its
    dynamic mode otherwise. With ``compress`` both passes first run
    :data:`SPEECH_COMPRESSOR`. VBR, because libmp3lame's constant bit rates came out
    0.4 LU quieter than their input here. ``mp3`` should be a temporary path the caller
    renames into place. Returns pass one's measurement.
    """
    before = SPEECH_COMPRESSOR if compress else ""
    measured = measure(wav, before=before)
    run(
        "ffmpeg",
        ["-v", "error", "-y", "-i", str(wav), "-af", _chain(before, _loudnorm(target, measured)),
         "-ar", str(RATE), "-ac", "1", "-c:a", "libmp3lame", "-q:a", str(quality),
         "-f", "mp3", str(mp3)],
    )
    return measured


def _loudnorm(target: Loudness, measured: R128) -> str:
    """Pass two of :func:`normalise_to_mp3` and :func:`to_phone_wav`: loudnorm told what pass one measured."""
    return (
        f"loudnorm=I={target.integrated}:TP={target.true_peak}:LRA={target.lra}"
        f":measured_I={measured.integrated}:measured_TP={measured.true_peak}"
        f":measured_LRA={measured.lra}:measured_thresh={measured.threshold}:linear=true"
    )


def _chain(*filters: str) -> str:
    return ",".join(f for f in filters if f)


def encode_mp3(wav: bytes, *, bitrate: str = "48k") -> bytes:
    """WAV bytes (as espeak-ng writes them) to mono MP3 bytes, constant bit rate."""
    return run(
        "ffmpeg",
        ["-v", "error", "-f", "wav", "-i", "pipe:0", "-ac", "1", "-c:a", "libmp3lame",
         "-b:a", bitrate, "-f", "mp3", "pipe:1"],
        stdin=wav,
    ).stdout


#: Phone prompts: ITU-T G.115/G.169 put speech on the line at −19 dBm0 (RFC 7874 §4: about
#: −22 LUFS); ours are 2 LU louder, inside the ±6 dB allowed, for callers who hear poorly, and
#: compressed so quiet syllables come up. Measured in the band a phone line carries, so a prompt
#: by gTTS and one by the offline voice sound alike loud. True peak 3 dB under μ-law's full scale.
PHONE_LOUDNESS = Loudness(integrated=-20.0, true_peak=-3.0, lra=7.0)
PHONE_BAND = "highpass=f=300,lowpass=f=3400"
#: The pace of everything said on the phone, against the voice's own: a tenth slower, as one speaks
#: to an elder (พูดช้าๆ ชัดๆ); a fifth slower for a member who asked the bank to speak slowly
#: (``speak_slowly``). Rendered prompts are slowed to each (the pitch kept); Twilio's voice is told
#: it in SSML (voice.twiml), so a played prompt and a said name keep one pace.
PHONE_RATE, SLOW_RATE = 0.9, 0.8
_SILENT_LUFS = -60.0                # quieter than this is no speech: converted, never amplified


def phone_mark(rate: float) -> str:
    """Written into each phone WAV (its INFO comment): a copy made before prompts were levelled, or
    at another level or pace, lacks it and is made again."""
    return f"wela phone prompt {PHONE_LOUDNESS.integrated:g} LUFS {rate:g}x"


def to_phone_wav(source: Path, target: Path, rate: float = PHONE_RATE) -> None:
    """8 kHz mono μ-law WAV at :data:`PHONE_LOUDNESS` and pace ``rate``, what a phone line carries
    (Twilio <Play>). Two passes as in :func:`normalise_to_mp3`. ``target``: a temporary path the
    caller renames.
    """
    paced = _chain(f"atempo={rate:g}", PHONE_BAND)
    before = _chain(paced, SPEECH_COMPRESSOR)
    measured = measure(source, before=before)
    level = _loudnorm(PHONE_LOUDNESS, measured) if measured.integrated > _SILENT_LUFS else ""
    run(
        "ffmpeg",
        ["-v", "error", "-y", "-i", str(source), "-af", _chain(before, level) if level else paced,
         "-ar", "8000", "-ac", "1", "-acodec", "pcm_mulaw", "-metadata", f"comment={phone_mark(rate)}",
         "-f", "wav", str(target)],
    )


def is_phone_ready(wav: Path, rate: float = PHONE_RATE) -> bool:
    """Whether ``wav`` is a phone copy made at the present level and pace ``rate`` (its mark in its header)."""
    try:
        with open(wav, "rb") as file:
            return phone_mark(rate).encode() in file.read(1024)
    except OSError:
        return False
