"""Errors under the webhook paths answered the way Twilio needs: TwiML with status 200, or 403.

``wela.errors`` hands every error under ``/voice/`` or ``/sms/`` here. A caller must never hear
Twilio's "application error": for ``/voice/`` the answer is the Thai apology, then the
coordinator (a ``<Dial>``) or the promise of a callback (voice.web.error_twiml). For ``/sms/`` it
is an empty ``<Response/>``: the texter gets nothing rather than a stack trace. A refused
signature stays a 403; a body over the size limit (MAX_CONTENT_LENGTH) gets 413 with the Thai
message, as on the admin pages: it cannot be a provider's webhook.
"""
from __future__ import annotations

import logging

from flask import Response, request

log = logging.getLogger("wela")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def webhook_error_reply(status: int, th: str) -> Response:
    """The reply for an error with HTTP ``status`` (``th`` is the Thai message of the error page)."""
    if status == 403:
        return Response("", status=403, mimetype="text/plain")
    if status == 413:        # no provider posts this much, and its signature cannot even be read
        return Response(th, status=413, mimetype="text/plain")
    if request.path.startswith("/voice/audio/"):
        return Response("", status=404 if status < 500 else status, mimetype="text/plain")
    if request.path.startswith("/voice/"):
        try:
            from voice.web import error_twiml

            return Response(error_twiml(), status=200, mimetype="application/xml")
        except Exception:  # noqa: BLE001  (the apology itself failed: still answer in TwiML)
            log.exception("the voice apology failed on %s", request.path)
            return Response(EMPTY_TWIML, status=200, mimetype="application/xml")
    return Response(EMPTY_TWIML, status=200, mimetype="application/xml")
