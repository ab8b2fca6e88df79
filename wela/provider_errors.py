"""Did a request to a provider (Twilio, the Android SMS gateway) that failed perhaps reach it anyway?

A send or a dial whose answer was lost may still have been carried out: the request left, and the
connection broke or timed out before the answer came back. Such a failure is *in doubt*: the outbox
looks the text up before it sends again, and a call waits for its status callback (or its lease),
so a member is not texted or rung twice because an answer went missing. Only a failure before the
request could leave is sure: the connection was never made (refused, no route, the name not found,
a connect timeout). Shared by the SMS gateways and the Twilio dialer, which all speak ``requests``.
"""
from __future__ import annotations

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError


def may_have_arrived(exc: requests.RequestException) -> bool:
    """True unless ``exc`` says the request never left this machine."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        # "Failed to establish a new connection" (refused, unreachable, the name not found) comes
        # as MaxRetryError(reason=NewConnectionError); a connection that broke after the request
        # was written ("Connection aborted", a reset) as ProtocolError.
        return not (isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError))
    # A read timeout, or an answer cut off on its way back; anything else (a bad URL, …) is
    # refused by the client library before anything is sent.
    return isinstance(exc, (requests.Timeout, requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ContentDecodingError))
