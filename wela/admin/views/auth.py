"""Sign in and out, the language toggle, and changing one's own password."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy.orm import Session

from ledger.errors import WelaError
from wela.admin.audit import audit
from wela.admin.forms import LoginForm, PasswordForm
from wela.admin.i18n import LANGS, current_lang, error_text
from wela.admin.i18n import gettext as _
from wela.admin.orm import User
from wela.admin.security import client_address, current_user, requires, safe_next, start_session
from wela.admin.users import authenticate, set_password
from wela.admin.web import change, wela
from wela.db import atomic

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if current_user() is not None and request.method == "GET":
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        w = wela()

        def attempt(s):  # noqa: ANN001, ANN202
            result = authenticate(s, username=form.username.data, password=form.password.data,
                                  address=client_address(), clock=w.clock)
            if result.user is not None:
                audit(s, clock=w.clock, username=result.user.username, action="login",
                      target=f"user:{result.user.id}", address=client_address())
            return result

        result = atomic(w.sessions, attempt)
        if result.user is not None:
            start_session(result.user, w.clock.now().timestamp())
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
        flash(result.refused_en if current_lang() == "en" else result.refused_th, "error")
        status = 429 if result.rate_limited else 401
    elif request.method == "POST":
        status = 400
    return render_template("admin/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    user = current_user()
    if user is not None:
        change(lambda s: _end_sessions(s, user.id), "logout", f"user:{user.id}")
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("ออกจากระบบแล้ว"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def language(code: str):  # noqa: ANN201
    if code in LANGS:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account")
def password():  # noqa: ANN201
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        from werkzeug.security import check_password_hash

        user = current_user()
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors = [_("รหัสผ่านเดิมไม่ถูกต้อง")]
            status = 400
        elif form.new.data != form.again.data:
            form.again.errors = [_("รหัสผ่านใหม่สองช่องไม่ตรงกัน")]
            status = 400
        else:
            try:
                def work(s):  # noqa: ANN001, ANN202
                    me = s.get(User, user.id)
                    set_password(s, me, form.new.data)
                    return me
                me = change(work, "user:password", f"user:{user.id}")
            except WelaError as err:
                form.new.errors = [error_text(err)]
                status = 400
            else:
                start_session(me, wela().clock.now().timestamp())
                g.user = me
                flash(_("เปลี่ยนรหัสผ่านแล้ว"), "success")
                return redirect(url_for("dashboard.index"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/password.html", form=form), status


def _end_sessions(s: Session, user_id: int) -> User:
    """Signing out ends this user's every session: a cookie copied before it no longer signs in."""
    user = s.get(User, user_id)
    user.session_epoch = (user.session_epoch or 0) + 1
    return user
