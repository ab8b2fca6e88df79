"""The admin web pages for the bank manager, the village headman and the auditor.

``init_app(app)`` installs CSRF protection, the sign-in guard and one blueprint per area:
auth, dashboard, members, requests, ledger, announcements, troubleshooting (SMS and calls)
and staff (accounts and the audit trail). Views translate forms into the same use cases the
CLI and the phone channels call; nothing here holds a bank rule.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any


def init_app(app: Any) -> None:
    from flask import Blueprint
    from flask_wtf.csrf import CSRFError, CSRFProtect

    from wela.admin import formatting, i18n, security
    from wela.admin.views import (announcements, auth, dashboard, ledger, members, requests, staff,
                                  trouble)

    app.config.setdefault("WELA_IDLE_MINUTES", 60)
    app.config.setdefault("WELA_SESSION_HOURS", 8)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["WELA_SESSION_HOURS"])
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", app.config["WELA_SESSION_HOURS"] * 3600)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False          # security.guard checks, minus webhooks
    settings = app.extensions["wela"].settings
    if settings.public_url.startswith("https://"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)

    CSRFProtect().init_app(app)
    app.before_request(security.guard)
    app.after_request(security.secure_headers)

    @app.errorhandler(CSRFError)
    def _csrf_failed(err: CSRFError):  # noqa: ANN202
        from flask import render_template

        th = "แบบฟอร์มนี้หมดอายุหรือไม่สมบูรณ์ ยังไม่ได้บันทึกอะไร กรุณากลับไปโหลดหน้าใหม่แล้วลองอีกครั้ง"
        en = "This form expired or is incomplete; nothing was saved. Go back, reload the page and try again."
        return render_template("error.html", status=400, th=th, en=en), 400

    app.register_blueprint(Blueprint("assets", __name__, static_folder="static", template_folder="templates",
                                     static_url_path="/assets"))
    for module in (auth, dashboard, members, requests, ledger, announcements, trouble, staff):
        app.register_blueprint(module.bp)

    app.jinja_env.globals.update(_=i18n.gettext, can=security.can, lang=i18n.current_lang,
                                 current_user=security.current_user, month_name=formatting.month,
                                 show_phone=lambda e164: formatting.phone(e164, security.can("see:phones")))
    app.jinja_env.filters.update(formatting.FILTERS)
