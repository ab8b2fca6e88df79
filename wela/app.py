"""The Flask app factory: wires settings, database and adapters; registers every area's blueprint."""
from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any, Mapping, Optional

from flask import Flask, current_app
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

from wela.bootstrap import Adapters, Wela, bootstrap
from wela.settings import load_settings

log = logging.getLogger("wela")
MAX_ROW_ID = 2**63 - 1


def create_app(config: Optional[Mapping[str, Any]] = None, *, adapters: Optional[Adapters] = None,
               clock: Any = None) -> Flask:
    """Build an app. `config` may hold Settings fields (lower case) and Flask keys (upper case)."""
    config = dict(config or {})
    overrides = {k: v for k, v in config.items() if k.islower()}
    flask_config = {k: v for k, v in config.items() if k.isupper()}
    settings = load_settings(overrides=overrides)
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()),
                instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key or _instance_secret(settings.instance_path),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.config.update(flask_config)
    app.url_map.converters["int"] = RowId
    app.session_interface = CookieSessions()
    app.extensions["wela"] = bootstrap(settings, clock=clock, adapters=adapters)
    app.before_request(_body_within_limit)
    _register(app)
    return app


def _body_within_limit() -> None:
    """Every route answers 413 to a body over MAX_CONTENT_LENGTH, before anything else looks at it.

    A declared size is refused at once (a view that never reads the body, or a webhook that refuses
    an unsigned request before reading it, would otherwise answer something else). A body sent
    without Content-Length (chunked) is read here, once (cached for the form parser): werkzeug stops
    at the limit but hands on what it read, cut off, without an error, and gunicorn marks every
    stream as terminated, so asking for one byte more is what raises RequestEntityTooLarge.
    """
    from flask import request
    from werkzeug.exceptions import RequestEntityTooLarge

    limit = request.max_content_length
    if limit is None:
        return
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif request.environ.get("wsgi.input_terminated"):
        request.get_data(cache=True, parse_form_data=False)
        request.stream.read(1)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that sent no
    cookie (every webhook): the same empty session, minus a key derivation per request."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
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
