"""SMS Gateway for Android (a phone with a Thai SIM) as an SMS gateway, through its REST API.

Sends with ``android_sms_gateway.APIClient.send`` (``POST {base_url}/messages``), giving the
message our own id (``ref``): the gateway keeps it, its status webhooks (``sms:sent``,
``sms:delivered``, ``sms:failed``) name it, and ``find`` asks for it (``GET /messages/{id}``) before
a doubtful send is repeated. ``ANDROID_SMS_GATEWAY_URL`` is the API base the client appends
``/messages`` to: the cloud (``https://api.sms-gate.app/3rdparty/v1``), a private server, or the
app's local server (``http://<phone>:8080``; its docs show ``POST /message``, so check the app
version on the bank's phone serves ``/messages`` before relying on local mode).
"""
from __future__ import annotations

from typing import AbstractSet, Any, Optional

import requests
from android_sms_gateway import APIClient, Message, ProcessState, TextMessage
from android_sms_gateway.errors import APIError, NotFoundError
from android_sms_gateway.http import RequestsHttpClient

from ledger.errors import InvalidInput
from sms.gateways.base import DELIVERED, FAILED, SENT, GatewayError, SendResult
from wela.provider_errors import may_have_arrived

STATUS = {ProcessState.Pending: SENT, ProcessState.Processed: SENT, ProcessState.Sent: SENT,
          ProcessState.Delivered: DELIVERED, ProcessState.Failed: FAILED,
          ProcessState.Cancelling: FAILED, ProcessState.Cancelled: FAILED}
# Webhook events about our own texts, in our words.
EVENT_STATUS = {"sms:sent": SENT, "sms:delivered": DELIVERED, "sms:failed": FAILED}
PERMANENT_HTTP = {400, 422}     # the text itself is refused; 401/403/404 are settings to fix


class _TimeoutSession(requests.Session):
    """A requests session that never waits forever (the package's client sets no timeout)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


class AndroidGateway:
    name = "android"

    def __init__(self, base_url: str, login: str, password: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.login = login
        self.password = password
        self.timeout = timeout

    def send(self, to: str, body: str, *, ref: str) -> SendResult:
        message = Message(phone_numbers=[to], text_message=TextMessage(text=body), id=ref,
                          with_delivery_report=True)
        state = self._call(lambda api: api.send(message))
        return SendResult(provider_id=state.id or ref, status=STATUS.get(state.state, SENT))

    def find(self, to: str, body: str, *, ref: str, exclude: AbstractSet[str] = frozenset()
             ) -> Optional[SendResult]:
        try:
            state = self._call(lambda api: api.get_state(ref), not_found_is_none=True)
        except _NotThere:
            return None
        return SendResult(provider_id=state.id or ref, status=STATUS.get(state.state, SENT))

    def _call(self, fn: Any, *, not_found_is_none: bool = False) -> Any:
        session = _TimeoutSession(self.timeout)
        api = APIClient(self.login or None, self.password, base_url=self.base_url,
                        http=RequestsHttpClient(session=session))
        try:
            return fn(api)
        except NotFoundError as exc:
            if not_found_is_none:
                raise _NotThere() from None
            raise GatewayError(f"Android gateway 404 (is the URL right?): {exc}"[:500]) from None
        except APIError as exc:
            raise GatewayError(f"Android gateway {exc.status_code}: {exc}"[:500],
                               permanent=exc.status_code in PERMANENT_HTTP) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise GatewayError(f"Android gateway unreachable: {type(exc).__name__}",
                               in_doubt=may_have_arrived(exc)) from None
        except requests.RequestException as exc:
            raise GatewayError(f"Android gateway error: {type(exc).__name__}: {exc}"[:500],
                               in_doubt=may_have_arrived(exc)) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise GatewayError(f"Android gateway error: {type(exc).__name__}: {exc}"[:500]) from None
        finally:
            session.close()


class _NotThere(Exception):
    pass


def from_settings(settings: Any) -> AndroidGateway:
    if not settings.android_gateway_url or not settings.android_gateway_password:
        raise InvalidInput("ยังตั้งค่าเครื่องส่ง SMS (Android) ไม่ครบ",
                           "the Android gateway needs ANDROID_SMS_GATEWAY_URL and "
                           "ANDROID_SMS_GATEWAY_PASSWORD (and _USER for basic auth)")
    return AndroidGateway(settings.android_gateway_url, settings.android_gateway_user,
                          settings.android_gateway_password)
