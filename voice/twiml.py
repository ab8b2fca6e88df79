"""Render the menu's ``Reply`` as TwiML with Twilio's helper library (twilio.twiml.voice_response).

Every sentence comes from the catalogue. A slot-free sentence with pre-rendered audio is a
``<Play>`` of the file the app serves; any other (one with names or numbers, a prompt not
rendered yet) is a ``<Say language="th-TH">`` in Twilio's Thai voice, at the pace the rendered prompts
were slowed to (SSML ``<prosody rate>``); a caller who asked to be spoken to slowly hears the slower
copies and pace. Prompts sit inside ``<Gather>`` so a key
interrupts them; ``actionOnEmptyResult`` posts silence to the same step, and a ``<Redirect>``
after the Gather or Record covers the cases where Twilio moves on without posting.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from twilio.twiml.voice_response import VoiceResponse

from prompts_th.audio import PHONE_RATE, SLOW_RATE
from voice.audio import PromptAudio
from voice.spec import Dial, Gather, Hangup, Record, Reject, Reply, Say, Then
from voice.words import fill

LANGUAGE = "th-TH"
#: Twilio's basic voices have no Thai; this Google voice does. Override with settings.extra["twilio_voice"].
DEFAULT_VOICE = "Google.th-TH-Standard-A"
RATE, SLOW = f"{round(PHONE_RATE * 100)}%", f"{round(SLOW_RATE * 100)}%"     # SSML <prosody rate>


@dataclass(frozen=True)
class Links:
    """Where Twilio should post next: absolute under WELA_PUBLIC_URL, else root-relative."""

    base: str = ""

    def step(self, n: int, on: str) -> str:
        return f"{self.base}/voice/step?n={n}&on={on}"

    def audio(self, name: str) -> str:
        return f"{self.base}/voice/audio/{name}"

    def outbound(self, order_id: int, attempt: int) -> str:
        return f"{self.base}/voice/outbound?order={order_id}&attempt={attempt}"

    def status(self, order_id: int, attempt: int) -> str:
        return f"{self.base}/voice/status?order={order_id}&attempt={attempt}"


@dataclass(frozen=True)
class Renderer:
    links: Links
    audio: Optional[PromptAudio] = None
    voice: str = DEFAULT_VOICE

    def render(self, reply: Reply, next_step: Optional[int], slow: bool = False) -> str:
        """TwiML for ``reply``; actions post step ``next_step`` (None: no action, e.g. an apology);
        ``slow``: for a caller who asked to be spoken to slowly."""
        return _xml(tuple(self._resolve(said, slow) for said in reply.says), reply.then, next_step, self.links,
                    self.voice, SLOW if slow else RATE)

    def _resolve(self, said: Say, slow: bool) -> tuple[str, str]:
        """(the Thai sentence, "") to say, or ("", the audio file) to play."""
        name = self.audio.find(said.key, slow) if self.audio is not None and not said.slots else None
        return ("", name) if name else (fill(said.key, said.slots), "")


@lru_cache(maxsize=2048)
def _xml(spoken: tuple[tuple[str, str], ...], then: Then, next_step: Optional[int], links: Links,
         voice: str, rate: str) -> str:
    """The TwiML document; the same reply at the same step is built once (menus repeat a lot)."""
    response = VoiceResponse()
    if isinstance(then, Reject):
        response.reject(reason="busy")
        return response.to_xml()
    if isinstance(then, Gather) and next_step is not None:
        gather = response.gather(
            input="dtmf", action=links.step(next_step, "gather"), method="POST", timeout=then.timeout,
            num_digits=then.num_digits, finish_on_key=then.finish_on_key, action_on_empty_result=True)
        _speak(gather, spoken, links, voice, rate)
        response.redirect(links.step(next_step, "silence"), method="POST")
        return response.to_xml()
    _speak(response, spoken, links, voice, rate)
    if isinstance(then, Record) and next_step is not None:
        response.record(action=links.step(next_step, "record"), method="POST", max_length=then.max_length,
                        finish_on_key=then.finish_on_key, timeout=5, play_beep=True, trim="trim-silence")
        response.redirect(links.step(next_step, "silence"), method="POST")
    elif isinstance(then, Dial):
        action = links.step(next_step, "dial") if next_step is not None else None
        dial = response.dial(action=action, method="POST" if action else None, timeout=then.timeout)
        dial.number(then.number)
        if action is None:
            response.hangup()
    else:
        response.hangup()
    return response.to_xml()


def _speak(verb, spoken: tuple[tuple[str, str], ...], links: Links, voice: str, rate: str) -> None:  # noqa: ANN001
    for text, audio in spoken:
        if audio:
            verb.play(links.audio(audio))
        else:
            verb.say(language=LANGUAGE, voice=voice).prosody(text, rate=rate)


def apology(renderer: Renderer, coordinator: str) -> str:
    """The Thai apology for a failed step: then the coordinator, or the promise of a callback."""
    if coordinator:
        reply = Reply((Say("error.generic"), Say("ivr.person.connecting")), Dial(coordinator))
    else:
        reply = Reply((Say("error.generic"), Say("ivr.person.callback")), Hangup())
    return renderer.render(reply, None)
