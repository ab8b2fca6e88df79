"""A phone that follows TwiML the way Twilio does, posting signed webhooks to the app in process.

Used by ``wela call`` (a person walks the menus in a terminal) and by the whole-call tests. It
posts the form fields Twilio posts, signed with Twilio's own algorithm when an Auth Token is
set, follows ``<Gather>`` actions (an empty result when the caller stays silent),
``<Record>`` and ``<Dial>`` actions and ``<Redirect>``, and stops at ``<Hangup>``,
``<Reject>`` or the end of the document.
"""
from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from prompts_th import catalogue
from voice.audio import spoken_form

ACCOUNT_SID = "AC" + "0" * 32
MAX_REDIRECTS = 20


@dataclass(frozen=True)
class Heard:
    kind: str                  # say | play | dial
    text: str                  # the Thai sentence (for a play: the text the audio was made from)
    url: str = ""              # play: the audio URL; dial: the number
    rate: str = ""             # say: the pace Twilio's voice is asked for ("90%")


@dataclass
class Turn:
    """What the caller heard since their last action, and what the call waits for now."""

    heard: list[Heard] = field(default_factory=list)
    waits: str = "hangup"      # gather | record | dial | hangup | reject
    action: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    twiml: list[str] = field(default_factory=list)
    rest: list[ET.Element] = field(default_factory=list, repr=False)   # verbs after the waiting one

    @property
    def ended(self) -> bool:
        return self.waits in ("hangup", "reject")

    def says(self) -> str:
        return " ".join(h.text for h in self.heard)


class Phone:
    """One call between ``caller`` and the bank's number, through a Flask test client."""

    def __init__(self, client: Any, settings: Any, caller: str, *, bank: str = "",
                 sid: Optional[str] = None, direction: str = "inbound") -> None:
        self.client = client
        self.settings = settings
        self.caller = caller
        self.bank = bank or settings.twilio_from_number or "+6620000000"
        self.sid = sid or "CA" + uuid.uuid4().hex
        self.direction = direction
        self.turn = Turn()

    # ── what a person does ──
    def call(self) -> Turn:
        return self._follow(self.post("/voice/incoming", CallStatus="ringing"))

    def answer(self, path: str) -> Turn:
        """Answer a call the bank placed (``/voice/outbound?order=…``)."""
        return self._follow(self.post(path, CallStatus="in-progress"))

    def press(self, digits: Optional[str]) -> Turn:
        """Keys for the waiting <Gather> (None or "": silence until the timeout)."""
        turn = self.turn
        if turn.waits != "gather":
            raise RuntimeError(f"the call waits for {turn.waits}, not keys")
        if not digits:
            if turn.attrs.get("actionOnEmptyResult") == "true":
                return self._follow(self.post(turn.action))
            return self._follow_rest()
        return self._follow(self.post(turn.action, Digits=digits))

    def speak(self, recording_url: Optional[str], finish: str = "#") -> Turn:
        """Answer the waiting <Record>: a recording (its URL), or silence (None)."""
        turn = self.turn
        if turn.waits != "record":
            raise RuntimeError(f"the call waits for {turn.waits}, not a recording")
        if not recording_url:
            return self._follow_rest()             # Twilio skips the action when nothing was said
        return self._follow(self.post(turn.action, RecordingUrl=recording_url, RecordingDuration="4",
                                      Digits=finish))

    def dial_ends(self, status: str = "no-answer") -> Turn:
        """How the waiting <Dial> ended: completed, busy, no-answer, failed."""
        if self.turn.waits != "dial":
            raise RuntimeError(f"the call waits for {self.turn.waits}, not a dial")
        if not self.turn.action:
            return self._follow_rest()
        return self._follow(self.post(self.turn.action, DialCallStatus=status))

    def hang_up(self, status: str = "completed", duration: int = 30, path: str = "/voice/status") -> int:
        response = self.post(path, CallStatus=status, CallDuration=str(duration))
        return response.status_code

    # ── the wire ──
    def post(self, path: str, **fields: str) -> Any:
        params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid,
                  "CallStatus": "in-progress", "Direction": self.direction,
                  "From": self.caller if self.direction == "inbound" else self.bank,
                  "To": self.bank if self.direction == "inbound" else self.caller,
                  "Called": self.bank, "Caller": self.caller, **fields}
        local = _local(path)
        headers = {}
        token = self.settings.twilio_auth_token
        if token:
            url = (self.settings.public_url or "http://localhost") + local
            headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
        return self.client.post(local, data=params, headers=headers)

    def _follow(self, response: Any, turn: Optional[Turn] = None) -> Turn:
        turn = turn or Turn()
        for _ in range(MAX_REDIRECTS):
            body = response.get_data(as_text=True)
            turn.twiml.append(body)
            if response.status_code != 200 or not body.strip():
                turn.waits = "hangup"
                break
            verbs = list(ET.fromstring(body))
            redirect = self._run(verbs, turn)
            if redirect is None:
                break
            response = self.post(redirect)
        self.turn = turn
        return turn

    def _follow_rest(self) -> Turn:
        """Twilio goes on with the verbs after the one that waited (e.g. the <Redirect>)."""
        turn = Turn()
        redirect = self._run(self.turn.rest, turn)
        if redirect is None:
            self.turn = turn
            return turn
        return self._follow(self.post(redirect), turn)

    def _run(self, verbs: list[ET.Element], turn: Turn) -> Optional[str]:
        """Play verbs until one waits (then Turn says what for) or redirects (its URL returned)."""
        for i, verb in enumerate(verbs):
            if verb.tag in ("Say", "Play"):
                turn.heard.append(self._heard(verb))
            elif verb.tag in ("Gather", "Record", "Dial"):
                turn.heard += [self._heard(child) for child in verb if child.tag in ("Say", "Play")]
                if verb.tag == "Dial":
                    number = "".join(verb.itertext()).strip()
                    turn.heard.append(Heard("dial", number, number))
                turn.waits, turn.action = verb.tag.lower(), verb.get("action", "")
                turn.attrs = dict(verb.attrib)
                turn.rest = verbs[i + 1:]
                return None
            elif verb.tag == "Redirect":
                return (verb.text or "").strip()
            elif verb.tag in ("Hangup", "Reject"):
                turn.waits = verb.tag.lower()
                return None
        turn.waits = "hangup"
        return None

    def _heard(self, verb: ET.Element) -> Heard:
        if verb.tag == "Say":
            prosody = verb.find("prosody")                           # the text sits in <prosody>
            rate = prosody.get("rate", "") if prosody is not None else ""
            return Heard("say", "".join(verb.itertext()).strip(), rate=rate)
        url = (verb.text or "").strip()
        return Heard("play", audio_text(self.settings.audio_dir, url), url)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def audio_text(folder: Path, url: str) -> str:
    """The sentence an audio file was made from (the cache's .json beside it)."""
    name = Path(urlsplit(url).path).name
    try:
        meta = json.loads((Path(folder) / name).with_suffix(".json").read_text("utf-8"))
        return str(meta.get("text", ""))
    except (OSError, ValueError):
        return ""


def english_of(thai: str) -> str:
    """The English of a Thai sentence the menu said (slot values stay as spoken); "" if unknown."""
    for key in catalogue.keys():
        prompt = catalogue.shipped().prompt(key)
        if not prompt.slots:
            if thai in (prompt.th, spoken_form(prompt.th)):
                return prompt.en
            continue
        found = _template(prompt.th).fullmatch(thai)
        if found:
            return prompt.en.format_map(found.groupdict())
    return ""


def _template(sentence: str) -> re.Pattern[str]:
    pattern, last = "", 0
    for match in re.finditer(r"\{([a-z_][a-z0-9_]*)\}", sentence):
        pattern += re.escape(sentence[last:match.start()]) + f"(?P<{match.group(1)}>.+?)"
        last = match.end()
    return re.compile(pattern + re.escape(sentence[last:]))
