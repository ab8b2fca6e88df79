"""SMS webhooks: Twilio's incoming texts and status callbacks, and the Android SIM gateway's webhook.

* ``POST /sms/incoming`` and ``POST /sms/status`` (Twilio): ``X-Twilio-Signature`` is checked with
  ``TWILIO_AUTH_TOKEN`` against ``WELA_PUBLIC_URL`` (wela/twilio_signature.py); a bad signature gets
  403 and nothing changes. The reply goes back as TwiML ``<Message>``.
* ``POST /sms/android`` (SMS Gateway for Android): the body is signed by the app with its signing
  key: ``X-Signature`` = hex HMAC-SHA256 over the raw body followed by ``X-Timestamp`` (Unix
  seconds), checked against ``ANDROID_SMS_GATEWAY_WEBHOOK_SECRET``, the timestamp within five
  minutes. Events: ``sms:received`` (and batches), ``sms:sent``, ``sms:delivered``, ``sms:failed``.
  The reply goes through the outbox and the gateway's REST API.

Every answer is built here, never by an error page: no stack trace reaches a webhook. Texts the
handling queued for the sender (the reply, a booking) are sent right after the response.
CSRF: the admin pages' CSRF check skips ``/sms/`` (wela/admin/security.py); should CSRFProtect
check by default, ``init_app`` exempts this blueprint when CSRFProtect is installed before it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime
from typing import Any, Optional

from flask import Blueprint, Flask, Response, current_app, request

from prompts_th import catalogue
from sms.delivery import record_status
from sms.inbound import receive
from sms.outbox import flush
from wela.db import atomic
from wela.twilio_signature import check_twilio_signature

log = logging.getLogger("wela.sms")
bp = Blueprint("sms", __name__, url_prefix="/sms")
SIGNATURE_WINDOW_SECONDS = 300


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


def _wela() -> Any:
    return current_app.extensions["wela"]


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def twiml(reply: Optional[str]) -> Response:
    from twilio.twiml.messaging_response import MessagingResponse

    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), mimetype="text/xml")


def _send_after(response: Response, phone: str) -> Response:
    """Send what the handling queued for this number once the webhook has its answer."""
    w = _wela()

    def send() -> None:
        try:
            flush(w, phone=phone)
        except Exception:  # noqa: BLE001  (the runner sends it later; the row is kept)
            log.exception("sending the texts for %s after the webhook failed", phone)

    if phone:
        response.call_on_close(send)
    return response


# --- Twilio -----------------------------------------------------------------------------------

@bp.post("/incoming")
def twilio_incoming() -> Response:
    w = _wela()
    if not check_twilio_signature(request, w.settings):
        return _plain(403, "forbidden")
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    if not sid:
        return _plain(400, "MessageSid is required")
    try:
        received = receive(w, provider="twilio", provider_id=sid, from_phone=request.form.get("From", ""),
                           body=request.form.get("Body", ""), reply_via="twiml")
    except Exception:  # noqa: BLE001  (the database is down: Twilio will see an apology, not a trace)
        log.exception("Twilio SMS %s could not be stored", sid)
        return twiml(catalogue.text(catalogue.GENERIC_ERROR))
    return _send_after(twiml(received.reply), received.phone)


@bp.post("/status")
def twilio_status() -> Response:
    from sms.gateways.twilio_gateway import our_status

    w = _wela()
    if not check_twilio_signature(request, w.settings):
        return _plain(403, "forbidden")
    form = request.form
    status = our_status(form.get("MessageStatus") or form.get("SmsStatus") or "")
    error = form.get("ErrorCode", "")
    try:
        atomic(w.sessions, lambda s: record_status(
            s, provider="twilio", provider_id=form.get("MessageSid", ""), ref=request.args.get("ref", ""),
            status=status, now=w.clock.now(), error=f"Twilio error {error}" if error else ""))
    except Exception:  # noqa: BLE001  (Twilio retries nothing here; the next callback catches up)
        log.exception("Twilio status callback failed")
        return _plain(500, "error")
    return Response(status=204)


# --- SMS Gateway for Android --------------------------------------------------------------------

def android_signature_ok(secret: str, raw_body: bytes, timestamp: str, signature: str,
                         now: datetime) -> bool:
    """The app's webhook signature: hex HMAC-SHA256(secret, body + timestamp), timestamp recent."""
    if not secret or not signature or not timestamp:
        return False
    try:
        moment = int(timestamp.strip())
    except ValueError:
        return False
    if abs(now.timestamp() - moment) > SIGNATURE_WINDOW_SECONDS:
        return False
    expected = hmac.new(secret.encode(), raw_body + timestamp.strip().encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


@bp.post("/android")
def android_webhook() -> Response:
    from sms.gateways.android_gateway import EVENT_STATUS

    w = _wela()
    raw = request.get_data(cache=True)
    if not android_signature_ok(w.settings.android_webhook_secret, raw, request.headers.get("X-Timestamp", ""),
                                request.headers.get("X-Signature", ""), w.clock.now()):
        return _plain(403, "forbidden")
    try:
        event = json.loads(raw)
        kind, payload = str(event.get("event", "")), event.get("payload") or {}
        if not isinstance(payload, dict):
            raise ValueError("payload is not an object")
    except (ValueError, AttributeError):
        return _plain(400, "a JSON event is expected")
    try:
        if kind == "sms:received":
            messages = [(str(event.get("id") or payload.get("messageId", "")), payload)]
        elif kind == "sms:batch:received":
            messages = [(f"{event.get('id', '')}:{i}", m) for i, m in enumerate(payload.get("messages") or [])]
        elif kind in EVENT_STATUS:
            atomic(w.sessions, lambda s: record_status(
                s, provider="android", provider_id=str(payload.get("messageId", "")),
                ref=str(payload.get("messageId", "")), status=EVENT_STATUS[kind], now=w.clock.now(),
                error=str(payload.get("reason") or "")))
            return _ok()
        else:
            return _ok()                        # system:ping, mms:… : nothing for the bank
        phones = set()
        for message_id, message in messages:
            if not message_id or not isinstance(message, dict):
                continue
            received = receive(w, provider="android", provider_id=message_id,
                               from_phone=str(message.get("phoneNumber") or message.get("sender") or ""),
                               body=message.get("message", ""), reply_via="outbox")
            phones.add(received.phone)
    except Exception:  # noqa: BLE001  (the app retries with backoff; nothing is lost)
        log.exception("Android gateway webhook failed")
        return _plain(500, "error")
    response = _ok()
    for phone in phones:
        _send_after(response, phone)
    return response


def _ok() -> Response:
    return Response('{"ok": true}', mimetype="application/json")
