"""The speech engine and audio cache chosen from settings (gTTS, espeak-ng when offline)."""
from __future__ import annotations

from prompts_th.cache import AudioCache
from prompts_th.engines import SpeechEngine
from wela.bootstrap import Wela


def speech_engine(w: Wela) -> SpeechEngine:
    """The adapter from the composition root, or one built from `WELA_TTS_ENGINE` on first use."""
    if w.adapters.speech_engine is None:
        from prompts_th.espeak_engine import EspeakEngine

        choice = (w.settings.tts_engine or "auto").lower()
        if choice == "espeak":
            w.adapters.speech_engine = EspeakEngine()
        else:
            from prompts_th.engines import FallbackEngine
            from prompts_th.gtts_engine import GttsEngine

            w.adapters.speech_engine = (GttsEngine() if choice == "gtts"
                                        else FallbackEngine(GttsEngine(), EspeakEngine()))
    return w.adapters.speech_engine


def audio_cache(w: Wela) -> AudioCache:
    return AudioCache(w.settings.audio_dir)
