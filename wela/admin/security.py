"""Who may do what, and the guards every admin request passes: CSRF, sign-in, expiry, safe headers.

CSRF: Flask-WTF's CSRFProtect is installed for the whole app with its automatic check switched
off (``WTF_CSRF_CHECK_DEFAULT = False``); :func:`guard` calls ``csrf.protect()`` itself for every
path except the webhooks under /voice/ and /sms/, which Twilio and the Android gateway sign
instead. That holds whichever order the blueprints were registered in.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for

from wela.admin.i18n import gettext as _
from wela.admin.orm import User
from wela.admin.users import session_stamp

WEBHOOK_PREFIXES = ("/voice/", "/sms/")
ALL = frozenset({"manager", "headman", "auditor"})
MANAGER = frozenset({"manager"})
READERS = frozenset({"manager", "auditor"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard": ALL,
    "announce:view": ALL,
    "announce:make": frozenset({"manager", "headman"}),
    "members:view": READERS,
    "members:edit": MANAGER,
    "requests:view": READERS,
    "requests:edit": MANAGER,
    "ledger:view": READERS,
    "ledger:write": MANAGER,
    "audit:view": READERS,
    "trouble:view": READERS,
    "calls:handle": MANAGER,         # mark a callback rung back, a stranger registered
    "users:manage": MANAGER,
    "see:phones": MANAGER,           # phone numbers in full
    "see:health": MANAGER,           # health notes and needs
    "account": ALL,                  # one's own password
}
PUBLIC_ENDPOINTS = {"auth.login", "auth.language", "assets.static", "static"}


def current_user() -> Optional[User]:
    return g.get("user")


def can(permission: str, user: Optional[User] = None) -> bool:
    user = user or current_user()
    return bool(user and user.active and user.role in PERMISSIONS[permission])


def requires(permission: str) -> Callable:
    """Mark a view with the permission it needs; a signed-in user without it gets 403."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def actor() -> str:
    """Who entered a change, as the ledger and the scheduler record it."""
    user = current_user()
    return f"web:{user.username}" if user else "web"


def safe_next(target: Optional[str], default: str) -> str:
    """Only paths on this site: never an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def start_session(user: User, now: float) -> None:
    """A fresh session at sign-in: nothing from before survives (no session fixation)."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session.update(uid=user.id, stamp=session_stamp(user), auth_at=now, seen=now)
    if lang:
        session["lang"] = lang


def guard() -> Any:
    """Before every request: CSRF on forms, load the signed-in user, expire old sessions."""
    if request.path.startswith(WEBHOOK_PREFIXES) or request.endpoint in ("assets.static", "static"):
        return None
    app = current_app
    if app.config.get("WTF_CSRF_ENABLED", True):
        app.extensions["csrf"].protect()
    g.user = None
    w = app.extensions["wela"]
    now = w.clock.now().timestamp()
    uid = session.get("uid")
    if uid is not None:
        with w.reads() as s:
            user = s.get(User, uid)
        idle = app.config["WELA_IDLE_MINUTES"] * 60
        life = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        if (user is None or not user.active or session.get("stamp") != session_stamp(user)
                or now - float(session.get("seen", 0)) > idle
                or now - float(session.get("auth_at", 0)) > life):
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            flash(_("หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง"), "warning")
        else:
            g.user = user
            if now - float(session.get("seen", 0)) > 30:
                session["seen"] = now
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    return None


def secure_headers(response: Any) -> Any:
    if request.path.startswith(WEBHOOK_PREFIXES):
        return response
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    if g.get("user") is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
