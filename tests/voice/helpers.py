"""Post webhooks the way Twilio does: its form fields, signed with its RequestValidator algorithm."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Optional

from twilio.request_validator import RequestValidator

from prompts_th.cache import cache_key
from prompts_th.engines import FakeEngine
from tests.voice.conftest import PUBLIC, SOMSRI, TOKEN
from voice.audio import spoken_form

BANK = "+6620000000"
SID = "CA" + "a" * 32


def twilio_fields(sid: str = SID, caller: str = SOMSRI, **extra: str) -> dict[str, str]:
    """What Twilio posts for a call from `caller` to the bank's number."""
    return {"AccountSid": "AC" + "1" * 32, "ApiVersion": "2010-04-01", "CallSid": sid,
            "CallStatus": "in-progress", "Called": BANK, "CalledCountry": "TH", "Caller": caller,
            "CallerCountry": "TH", "Direction": "inbound", "From": caller, "FromCountry": "TH",
            "To": BANK, "ToCountry": "TH", **extra}


def sign(path: str, params: dict[str, str], token: str = TOKEN, base: str = PUBLIC) -> str:
    return RequestValidator(token).compute_signature(base + path, params)


def post(client, path: str, params: Optional[dict[str, str]] = None, *, token: str = TOKEN,
         base: str = PUBLIC, signature: Optional[str] = None, **kw):
    params = twilio_fields() if params is None else params
    headers = {"X-Twilio-Signature": signature if signature is not None else sign(path, params, token, base)}
    return client.post(path, data=params, headers=headers, **kw)


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype in ("application/xml", "text/xml")
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> list[str]:
    """The text of every Say, in order, wherever it sits (inside Gather too)."""
    return ["".join(el.itertext()).strip() for el in root.iter("Say")]


def write_rendered(folder, sentence: str, slow: bool = True) -> str:
    """What `wela prompts render` leaves in the audio folder for one sentence (``slow``: with the slow twin)."""
    engine = FakeEngine()
    spoken_text = spoken_form(sentence)
    key = cache_key(spoken_text, engine)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key}.mp3").write_bytes(b"ID3fake")
    (folder / f"{key}.wav").write_bytes(b"RIFFfake")
    if slow:
        (folder / f"{key}.slow.wav").write_bytes(b"RIFFslow")
    (folder / f"{key}.json").write_text(json.dumps({"key": key, "text": spoken_text, "offline": False}))
    return key
