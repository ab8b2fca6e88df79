"""Twilio's Programmable Messaging as an SMS gateway: the only module that imports ``twilio.rest``.

Texts are created with the REST Messages API (``client.messages.create``); Twilio then posts
status callbacks to ``WELA_PUBLIC_URL/sms/status?ref=<our ref>`` (the ref lets a callback that
outruns our own record of the send still find its row). ``WELA_TWILIO_API_BASE`` points the
client's ``api`` domain elsewhere: only tests use it, with a local fake of the REST API.

Note: Twilio does not offer two-way SMS on Thai numbers; a Thai bank uses the Android SIM gateway.
"""
from __future__ import annotations

from typing import AbstractSet, Any, Optional
from urllib.parse import quote

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ledger.errors import InvalidInput
from sms.gateways.base import DELIVERED, FAILED, SENT, UNDELIVERED, GatewayError, SendResult
from wela.provider_errors import may_have_arrived

# Twilio's message statuses in our words. Everything before "delivered" is "sent" for us: the
# text is in the provider's hands.
STATUS = {"accepted": SENT, "scheduled": SENT, "queued": SENT, "sending": SENT, "sent": SENT,
          "receiving": SENT, "received": SENT, "delivered": DELIVERED, "read": DELIVERED,
          "undelivered": UNDELIVERED, "failed": FAILED, "canceled": FAILED}
# Not worth retrying: the text itself is refused (bad number, unsubscribed recipient, …).
# 401/403/404 mean wrong settings: the text waits until they are fixed.
PERMANENT_HTTP = {400, 422}


def our_status(twilio_status: str) -> Optional[str]:
    return STATUS.get((twilio_status or "").strip().lower())


class TwilioGateway:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, *, status_callback: str = "",
                 api_base: str = "", timeout: float = 10.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.status_callback = status_callback
        self.api_base = api_base
        self.timeout = timeout
        self._client: Optional[Client] = None

    def client(self) -> Client:
        if self._client is None:
            client = Client(self.account_sid, self.auth_token,
                            http_client=TwilioHttpClient(timeout=self.timeout))
            if self.api_base:
                client.api.base_url = self.api_base.rstrip("/")
            self._client = client
        return self._client

    def send(self, to: str, body: str, *, ref: str) -> SendResult:
        callback = f"{self.status_callback}?ref={quote(ref)}" if self.status_callback else None
        message = self._call(lambda: self.client().messages.create(
            to=to, from_=self.from_number, body=body, status_callback=callback))
        return SendResult(provider_id=message.sid, status=our_status(message.status) or SENT)

    def find(self, to: str, body: str, *, ref: str, exclude: AbstractSet[str] = frozenset()
             ) -> Optional[SendResult]:
        recent = self._call(lambda: self.client().messages.list(to=to, from_=self.from_number, limit=50))
        for message in recent:
            if message.body == body and message.sid not in exclude:
                return SendResult(provider_id=message.sid, status=our_status(message.status) or SENT)
        return None

    def _call(self, fn: Any) -> Any:
        try:
            return fn()
        except TwilioRestException as exc:
            raise GatewayError(f"Twilio {exc.status} (code {exc.code}): {exc.msg}"[:500],
                               permanent=exc.status in PERMANENT_HTTP) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            # Unless the connection was never made, the request may have reached Twilio.
            raise GatewayError(f"Twilio unreachable: {type(exc).__name__}",
                               in_doubt=may_have_arrived(exc)) from None
        except requests.RequestException as exc:
            raise GatewayError(f"Twilio error: {type(exc).__name__}: {exc}"[:500],
                               in_doubt=may_have_arrived(exc)) from None
        except (TwilioException, ValueError) as exc:
            raise GatewayError(f"Twilio error: {type(exc).__name__}: {exc}"[:500]) from None


def from_settings(settings: Any) -> TwilioGateway:
    missing = [env for env, value in (("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
                                      ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
                                      ("TWILIO_FROM_NUMBER", settings.twilio_from_number)) if not value]
    if missing:
        raise InvalidInput("ยังตั้งค่า Twilio ไม่ครบ", f"the Twilio gateway needs {', '.join(missing)}")
    public = (settings.public_url or "").rstrip("/")
    return TwilioGateway(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number,
                         status_callback=f"{public}/sms/status" if public else "",
                         api_base=settings.twilio_api_base)
