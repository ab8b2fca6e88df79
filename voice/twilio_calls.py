"""Twilio's Programmable Voice as the bank's Dialer: the only module that imports ``twilio.rest`` for calls.

A call is created with the REST Calls API (``client.calls.create``): Twilio rings the member and,
when answered, fetches the menu from ``url`` (``/voice/outbound?order=…&attempt=…``); status
callbacks go to ``/voice/status`` with the same order and attempt, so a late callback for an
earlier attempt is recognised. ``WELA_TWILIO_API_BASE`` points the client's ``api`` domain at a
local fake of the REST API: only tests use it.
"""
from __future__ import annotations

from typing import Any, Optional

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from voice.outbound import DialFailed, Placed
from wela.provider_errors import may_have_arrived

#: Not worth retrying: the call itself is refused (a bad number). 401/403/404 are wrong settings.
PERMANENT_HTTP = {400, 422}
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
RING_SECONDS = 30


class TwilioDialer:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, *, api_base: str = "",
                 timeout: float = 10.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
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

    def dial(self, *, to: str, url: str, status_callback: str) -> Placed:
        call = self._call(lambda: self.client().calls.create(
            to=to, from_=self.from_number, url=url, method="POST", status_callback=status_callback,
            status_callback_method="POST", status_callback_event=STATUS_EVENTS, timeout=RING_SECONDS))
        return Placed(sid=call.sid, status="calling")

    def _call(self, fn: Any) -> Any:
        try:
            return fn()
        except TwilioRestException as exc:
            raise DialFailed(f"Twilio {exc.status} (code {exc.code}): {exc.msg}"[:500],
                             permanent=exc.status in PERMANENT_HTTP) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            # Unless the connection was never made, the call may be ringing: its callback settles it.
            raise DialFailed(f"Twilio unreachable: {type(exc).__name__}",
                             in_doubt=may_have_arrived(exc)) from None
        except requests.RequestException as exc:
            raise DialFailed(f"Twilio error: {type(exc).__name__}: {exc}"[:500],
                             in_doubt=may_have_arrived(exc)) from None
        except (TwilioException, ValueError) as exc:
            raise DialFailed(f"Twilio error: {type(exc).__name__}: {exc}"[:500]) from None
