"""Is this webhook really from Twilio? X-Twilio-Signature checked the way Twilio computes it.

Twilio signs the full URL it called plus the sorted POST parameters with the account's Auth Token
(``twilio.request_validator.RequestValidator``). Behind a proxy or tunnel the URL Flask sees is not
the one Twilio called, so when ``WELA_PUBLIC_URL`` is set the URL is rebuilt as that public base
plus the request's path and query string. Without an Auth Token nothing can be checked, and every
request is refused: an unconfigured bank takes no webhooks rather than forged ones.
Shared by the SMS and voice webhooks.
"""
from __future__ import annotations

import hmac
import string
from typing import Any, Iterator

from twilio.request_validator import (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator,
                                      get_signature_algorithm)


# Characters werkzeug's request.url leaves as they are (no quoting, no IRI decoding): the URLs we give Twilio.
PLAIN = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,/:;=@")
# The two headers as WSGI names them: read from the environ, as request.headers would, minus its lookups.
SIGNATURE, SIGNATURE_SETTINGS = ("HTTP_" + name.upper().replace("-", "_")
                                 for name in (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER))


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
    validator = RequestValidator(token)
    try:
        if not isinstance(params, str) and hmac.compare_digest(
                validator.compute_signature(url, _Values(params), algorithm).encode(), signature.encode()):
            return True                  # the usual case, one HMAC; else the library's own port variants
        return validator.validate(url, params, signature, algorithm=algorithm)
    except (ValueError, TypeError, UnicodeError):
        return False


class _Values:
    """A form as the library reads one: its names, and every value of a name (``getall``). Werkzeug's
    MultiDict has ``getlist`` instead, which the library reaches only after an AttributeError a name."""

    __slots__ = ("form",)

    def __init__(self, form: Any) -> None:
        self.form = form

    def __iter__(self) -> Iterator[str]:
        return iter(self.form)

    def __len__(self) -> int:
        return len(self.form)

    def getall(self, name: str) -> list[str]:
        return self.form.getlist(name)
