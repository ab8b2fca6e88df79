"""Is this webhook really from Twilio? X-Twilio-Signature checked the way Twilio computes it.

Twilio signs the full URL it called plus the sorted POST parameters with the account's Auth Token
(``twilio.request_validator.RequestValidator``). Behind a proxy or tunnel the URL Flask sees is not
the one Twilio called, so when ``WELA_PUBLIC_URL`` is set the URL is rebuilt as that public base
plus the request's path and query string. Without an Auth Token nothing can be checked, and every
request is refused: an unconfigured bank takes no webhooks rather than forged ones.
Shared by the SMS and voice webhooks.
"""
from __future__ import annotations

import base64
import hmac
import string
from typing import Any

from twilio.request_validator import (HMAC_SHA1, HMAC_SHA256, SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER,
                                      RequestValidator, get_signature_algorithm)


# Characters werkzeug's request.url leaves as they are (no quoting, no IRI decoding): the URLs we give Twilio.
PLAIN = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,/:;=@")
# The two headers as WSGI names them: read from the environ, as request.headers would, minus its lookups.
SIGNATURE, SIGNATURE_SETTINGS = ("HTTP_" + name.upper().replace("-", "_")
                                 for name in (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER))
DIGESTS = {HMAC_SHA1: "sha1", HMAC_SHA256: "sha256"}


def public_request_url(request: Any, public_url: str) -> str:
    """The URL the caller used: ``public_url`` + path and query when set, else what Flask saw."""
    if not public_url:
        return _request_url(request)
    full_path = request.full_path
    if full_path.endswith("?"):          # Werkzeug adds "?" to full_path when there is no query
        full_path = full_path[:-1]
    return public_url.rstrip("/") + full_path


def _request_url(request: Any) -> str:
    """``request.url``, built directly when every part is plain (werkzeug quotes, then decodes, each time)."""
    root, path, query = request.root_path, request.path, request.query_string.decode("latin-1")
    host = request.host
    if PLAIN.issuperset(root) and PLAIN.issuperset(path) and PLAIN.issuperset(query) \
            and host.isascii() and "xn--" not in host:
        url = f"{request.scheme}://{host}{root.rstrip('/')}/{path.lstrip('/')}"
        return f"{url}?{query}" if query else url
    return request.url


def check_twilio_signature(request: Any, settings: Any) -> bool:
    """True when the request carries a valid Twilio signature for this bank's Auth Token."""
    token = getattr(settings, "twilio_auth_token", "")
    signature = request.environ.get(SIGNATURE, "")
    if not token or not signature:
        return False
    url = public_request_url(request, getattr(settings, "public_url", ""))
    if request.mimetype == "application/json":
        params: Any = request.get_data(as_text=True)      # signed with bodySHA256 in the query
    else:
        params = request.form
    algorithm = get_signature_algorithm(request.environ.get(SIGNATURE_SETTINGS, ""))
    try:
        if not isinstance(params, str) and hmac.compare_digest(
                form_signature(token, url, params, algorithm).encode(), signature.encode()):
            return True                  # the usual case, one HMAC; else the library's own port variants
        return RequestValidator(token).validate(url, params, signature, algorithm=algorithm)
    except (ValueError, TypeError, UnicodeError):
        return False


def form_signature(token: str, url: str, form: Any, algorithm: str = HMAC_SHA1) -> str:
    """``RequestValidator(token).compute_signature(url, form, algorithm)`` for a werkzeug MultiDict, made
    in one pass: the library builds the signed text a name at a time, most of a webhook's signature
    check (tests hold the two equal for any form). An algorithm the library does not know is a ValueError,
    as there."""
    digest = DIGESTS.get((algorithm or HMAC_SHA1).upper())
    if digest is None:
        raise ValueError(f"Unsupported webhook signature algorithm: {algorithm}")
    signed = url + "".join(name + value for name, values in sorted(form.lists()) for value in sorted(set(values)))
    # hmac.new, not hmac.digest: the one-shot call lets go of the GIL, and in a threaded server another
    # request's thread takes it: 0.3 ms waiting to get it back, against 3 µs computing (measured).
    return base64.b64encode(hmac.new(token.encode("utf-8"), signed.encode("utf-8"), digest).digest()).decode()
