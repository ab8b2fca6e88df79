"""The Flask app factory: wires settings, database and adapters; registers every area's blueprint."""
from __future__ import annotations

import io
import logging
import secrets
import weakref
from pathlib import Path
from types import FunctionType
from typing import Any, Callable, Mapping, Optional
from urllib.parse import unquote

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" decoding error handler)
from flask import Flask, current_app, request
from flask import Request as FlaskRequest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from wela.bootstrap import Adapters, Wela, bootstrap
from wela.settings import load_settings

log = logging.getLogger("wela")
MAX_ROW_ID = 2**63 - 1
URL_QUOTE = "werkzeug.url_quote"         # werkzeug's handler for bytes in a %-escape that are no UTF-8


def create_app(config: Optional[Mapping[str, Any]] = None, *, adapters: Optional[Adapters] = None,
               clock: Any = None) -> Flask:
    """Build an app. `config` may hold Settings fields (lower case) and Flask keys (upper case)."""
    config = dict(config or {})
    overrides = {k: v for k, v in config.items() if k.islower()}
    flask_config = {k: v for k, v in config.items() if k.isupper()}
    settings = load_settings(overrides=overrides)
    app = App(__name__, instance_path=str(settings.instance_path.resolve()),
              instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key or _instance_secret(settings.instance_path),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.config.update(flask_config)
    app.request_class = Request
    app.url_map.converters["int"] = RowId
    app.session_interface = CookieSessions()
    app.extensions["wela"] = bootstrap(settings, clock=clock, adapters=adapters)
    app.before_request(_body_within_limit)
    _register(app)
    return app


class App(Flask):
    """Flask, asking once per function whether a view or hook is ``async def``: Flask asks on every
    request, for the view and every hook (``inspect.iscoroutinefunction``, a thirtieth of a phone
    step). Only plain functions are remembered, weakly, so a hook made for one request is forgotten."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if func in self._plain:
            return func
        sync = super().ensure_sync(func)
        if sync is func and type(func) is FunctionType:
            self._plain.add(func)
        return sync


def _body_within_limit() -> None:
    """Every route answers 413 to a body over MAX_CONTENT_LENGTH, before anything else looks at it.

    A declared size is refused at once (a view that never reads the body, or a webhook that refuses
    an unsigned request before reading it, would otherwise answer something else). A body sent
    without Content-Length (chunked) is read here, once (cached for the form parser): werkzeug stops
    at the limit but hands on what it read, cut off, without an error, and gunicorn marks every
    stream as terminated, so asking for one byte more is what raises RequestEntityTooLarge.
    """
    req = request._get_current_object()           # not the proxy: a context lookup per attribute read
    limit = req.max_content_length
    if limit is None:
        return
    length = req.content_length
    if length is not None:
        if length > limit:
            raise RequestEntityTooLarge()
    elif req.environ.get("wsgi.input_terminated"):
        req.get_data(cache=True, parse_form_data=False)
        req.stream.read(1)


class Request(FlaskRequest):
    """Flask's request, reading a url-encoded body (every Twilio webhook, every admin form) the short way.

    For each form werkzeug builds a parser, parses the content type again and reads the body
    through a limited stream: a sixth of a phone step's time. A url-encoded body of declared length
    within the limit is read here in one call and parsed as werkzeug parses it (the same decoding,
    the same handling of bad bytes, an undecodable body an empty form, a short one a disconnect).
    Everything else (multipart, chunked, too large, debug mode's helpful errors) goes werkzeug's way.
    """

    @cached_property
    def args(self) -> Any:
        """The query string's parameters, as werkzeug reads them (``form_pairs``)."""
        return self.parameter_storage_class(form_pairs(self.query_string.decode()))

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        length, limit = self.content_length, self.max_content_length
        if (self.mimetype != "application/x-www-form-urlencoded" or length is None or "stream" in self.__dict__
                or (limit is not None and length > limit) or current_app.debug):
            super()._load_form_data()
            return
        body = getattr(self, "_cached_data", None)
        if body is None:
            body = self.environ["wsgi.input"].read(length)
            if len(body) != length:
                raise ClientDisconnected()
        try:
            form = self.parameter_storage_class(form_pairs(body.decode()))
        except ValueError:                     # werkzeug's parser is silent about a body it cannot decode
            form = self.parameter_storage_class()
        d = self.__dict__
        d["stream"], d["form"], d["files"] = io.BytesIO(b""), form, self.parameter_storage_class()


def form_pairs(query: str) -> list[tuple[str, str]]:
    """``parse_qsl(query, keep_blank_values=True, errors=URL_QUOTE)``, as werkzeug calls it,
    without unquoting what has nothing to unquote (most of a webhook's names and values)."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "+" in part:
            name, value = name.replace("+", " "), value.replace("+", " ")
        if "%" in part:
            name, value = unquote(name, errors=URL_QUOTE), unquote(value, errors=URL_QUOTE)
        pairs.append((name, value))
    return pairs


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that sent no
    cookie (every webhook): the same empty session, minus a key derivation per request."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or self.get_cookie_name(app) not in request.cookies):
            return self.session_class()
        return super().open_session(app, request)


class RowId(IntegerConverter):
    """``<int:…>`` in URLs: a database id, so at most 2**63 − 1. A longer number is no page (404),
    not an integer the database driver cannot bind (SQLite raised OverflowError: a 500)."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: Optional[int] = None,  # noqa: A002
                 max: Optional[int] = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ROW_ID if max is None else max, signed=signed)


def _register(app: Flask) -> None:
    import voice.web
    import sms.web
    import wela.admin
    from wela import errors

    errors.init_app(app)
    for area in (voice.web, sms.web, wela.admin):
        area.init_app(app)


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in the instance folder, made on first start."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def wela() -> Wela:
    """The composition root's container for the current app (views and CLI commands)."""
    return current_app.extensions["wela"]
