"""Voice webhooks (Twilio): the phone menu's URLs, the fallback, and the prompt audio files.

* ``POST /voice/incoming`` — a call comes in (the number's "A call comes in" webhook).
* ``POST /voice/step?n=…&on=…`` — each menu step (Gather, Record and Dial actions, Redirects).
* ``POST /voice/outbound?order=…&attempt=…`` — a call the bank placed was answered.
* ``POST /voice/status[?order=…&attempt=…]`` — call status callbacks.
* ``GET|POST /voice/fallback`` — Twilio's Fallback URL: a fixed Thai apology, no database.
* ``GET /voice/audio/<sha256>.(wav|mp3)`` — pre-rendered prompts for ``<Play>`` (no signature:
  Twilio fetches media with a plain GET; only hex-named files of the audio folder are served).

Every webhook checks ``X-Twilio-Signature`` (wela/twilio_signature.py, honouring
WELA_PUBLIC_URL): a bad or missing one gets 403 and changes nothing. When TWILIO_AUTH_TOKEN is
empty (the offline demo) nothing can be checked, so only requests from a loopback address that
came through no proxy (no X-Forwarded-For / Forwarded header) are accepted: the in-process
simulator and a local demo work, a tunnel without a token is refused. Every other failure
becomes Thai TwiML (wela/webhook_errors.py → ``error_twiml``), never Twilio's application error.
"""
from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any, Mapping, Optional

from flask import Blueprint, Flask, Response, current_app, g, request, send_from_directory

from ledger.errors import WelaError
from ledger.phones import parse_phone
from voice import calls
from voice.audio import PromptAudio, safe_name
from voice.sqlite_lock import WriterLock
from voice.twiml import DEFAULT_VOICE, Links, Renderer, apology
from wela.twilio_signature import check_twilio_signature

log = logging.getLogger("wela.voice")
bp = Blueprint("voice", __name__, url_prefix="/voice")
AUDIO = "wela.voice.audio"
LOCK = "wela.voice.sqlite_writer"
AUDIO_MAX_AGE = 24 * 3600            # re-made in place when the real voice replaces an offline one
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")


def init_app(app: Flask) -> None:
    w = app.extensions["wela"]
    audio = app.extensions[AUDIO] = PromptAudio(w.settings.audio_dir)
    if audio.has_audio():
        audio.start_warming()          # in the background: the first callers hear <Say> meanwhile
    sqlite = w.engine.dialect.name == "sqlite"
    database = w.engine.url.database if sqlite else None
    app.extensions[LOCK] = WriterLock(Path(database + ".voice-lock")) \
        if database and database != ":memory:" else None
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


def _wela() -> Any:
    return current_app.extensions["wela"]


def trusted(req: Any, settings: Any) -> bool:
    """A webhook we may act on: a valid Twilio signature, or (no token set) loopback, unproxied."""
    if settings.twilio_auth_token:
        return check_twilio_signature(req, settings)
    if any(header in req.headers for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(req.remote_addr or "").is_loopback
    except ValueError:
        return False


def _request() -> Any:
    """The request itself, not ``flask.request``: each attribute read through the proxy is a context
    lookup, and a phone step reads a dozen."""
    return request._get_current_object()


@bp.before_request
def _guard() -> Optional[Response]:
    req = _request()
    if req.endpoint in ("voice.audio", "voice.fallback") and req.method == "GET":
        return None
    if not trusted(req, _wela().settings):
        log.warning("voice webhook refused: bad or missing signature on %s", req.path)
        return Response("", status=403, mimetype="text/plain")
    g.voice_trusted = True
    return None


def _voice(req: Any = None) -> calls.Voice:
    extensions = current_app.extensions
    w = extensions["wela"]
    base = w.settings.public_url or (req or _request()).script_root
    voice = (getattr(w.settings, "extra", None) or {}).get("twilio_voice") or DEFAULT_VOICE
    return calls.Voice(w, Renderer(Links(base), extensions.get(AUDIO), voice), extensions.get(LOCK))


def _twiml(xml: str) -> Response:
    return Response(xml, status=200, mimetype="application/xml")


def _form(req: Any = None) -> Mapping[str, str]:
    try:
        return (req or _request()).form
    except Exception:  # noqa: BLE001  (a body werkzeug cannot parse is an empty form to us)
        return {}


def _int_arg(req: Any, name: str) -> Optional[int]:
    value = req.args.get(name, "")
    return int(value) if value.isdecimal() and len(value) < 10 else None


@bp.post("/incoming")
def incoming() -> Response:
    req = _request()
    return _twiml(calls.incoming(_voice(req), _form(req)))


@bp.post("/step")
def step() -> Response:
    req = _request()
    on = req.args.get("on", "silence")
    return _twiml(calls.step(_voice(req), _form(req), _int_arg(req, "n"), on if on in calls.ON else "silence"))


@bp.post("/outbound")
def outbound() -> Response:
    req = _request()
    return _twiml(calls.outbound(_voice(req), _form(req), _int_arg(req, "order"), _int_arg(req, "attempt")))


@bp.post("/status")
def status() -> Response:
    req = _request()
    calls.status(_voice(req), _form(req), _int_arg(req, "order"), _int_arg(req, "attempt"))
    return Response("", status=204)


@bp.route("/fallback", methods=["GET", "POST"])
def fallback() -> Response:
    """Twilio's Fallback URL: the apology and the coordinator, with no database involved."""
    return _twiml(static_fallback(_voice().renderer, _wela().settings))


@bp.get("/audio/<name>")
def audio(name: str) -> Response:
    found = safe_name(name)
    folder = _wela().settings.audio_dir
    if found is None or not (folder / found[0]).is_file():
        return Response("", status=404, mimetype="text/plain")
    response = send_from_directory(folder, found[0], mimetype=found[1], max_age=AUDIO_MAX_AGE,
                                   conditional=True)
    response.cache_control.public = True
    return response


def static_fallback(renderer: Renderer, settings: Any) -> str:
    """The fixed apology TwiML (also printed by ``wela voice fallback`` for hosting elsewhere)."""
    return apology(renderer, _configured_coordinator(settings))


def _configured_coordinator(settings: Any) -> str:
    try:
        return parse_phone(settings.coordinator_phone) if settings.coordinator_phone else ""
    except WelaError:
        return ""


def error_twiml() -> str:
    """Thai TwiML for a failed voice webhook: the apology, then the coordinator or a noted callback.

    Only a request whose signature was checked may leave a note in the database; for any other
    (an unknown URL, a method not allowed) the reply is built from settings alone.
    """
    try:
        voice = _voice()
    except Exception:  # noqa: BLE001
        log.exception("voice runtime unavailable while apologising")
        voice = calls.Voice(_wela(), Renderer(Links(_wela().settings.public_url)))
    if g.get("voice_trusted"):
        return calls.apologise(voice, _form())
    return static_fallback(voice.renderer, voice.w.settings)
