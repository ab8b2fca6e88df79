"""Staff accounts (managers only) and the audit trail (managers and auditors)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ledger.errors import WelaError
from wela.admin.audit import ACTION_TH, audit_entries
from wela.admin.forms import UserForm
from wela.admin.i18n import error_text
from wela.admin.i18n import gettext as _
from wela.admin.orm import User
from wela.admin.security import current_user, requires
from wela.admin.users import ROLE_TH, create_user, list_users, set_active, set_password
from wela.admin.web import change, page_args, wela

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/users", methods=["GET", "POST"])
@requires("users:manage")
def users():  # noqa: ANN201
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        w = wela()
        try:
            user = change(lambda s: create_user(s, username=form.username.data, role=form.role.data,
                                                password=form.password.data, clock=w.clock,
                                                display_name=form.display_name.data),
                          "user:add", lambda u: f"user:{u.id}", role=form.role.data,
                          account=form.username.data)
        except WelaError as err:
            flash(error_text(err), "error")
            status = 400
        else:
            flash(_("เพิ่มผู้ใช้ {name} แล้ว", name=user.username), "success")
            return redirect(url_for("staff.users"))
    elif request.method == "POST":
        status = 400
    with wela().reads() as s:
        rows = list_users(s)
    return render_template("admin/users.html", form=form, users=rows, role_th=ROLE_TH), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("users:manage")
def toggle_active(user_id: int):  # noqa: ANN201
    if user_id == current_user().id:
        flash(_("ปิดบัญชีของตัวเองไม่ได้"), "error")
        return redirect(url_for("staff.users"))
    active = request.form.get("active") == "1"

    def work(s):  # noqa: ANN001, ANN202
        user = s.get(User, user_id)
        if user is None:
            abort(404)
        set_active(s, user, active)
        return user

    user = change(work, "user:active", f"user:{user_id}", active=active)
    flash(_("เปิดใช้บัญชี {name} แล้ว", name=user.username) if active
          else _("ปิดบัญชี {name} แล้ว", name=user.username), "success")
    return redirect(url_for("staff.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("users:manage")
def reset_password(user_id: int):  # noqa: ANN201
    """A new password for someone who forgot theirs; their open sessions end."""
    password = request.form.get("password", "")

    def work(s):  # noqa: ANN001, ANN202
        user = s.get(User, user_id)
        if user is None:
            abort(404)
        set_password(s, user, password)
        return user

    try:
        user = change(work, "user:password", f"user:{user_id}")
    except WelaError as err:
        flash(error_text(err), "error")
    else:
        flash(_("ตั้งรหัสผ่านใหม่ให้ {name} แล้ว", name=user.username), "success")
    return redirect(url_for("staff.users"))


@bp.route("/audit")
@requires("audit:view")
def audit_trail():  # noqa: ANN201
    number, size, offset = page_args(request.args.get("page"))
    who = request.args.get("user", "").strip()[:60]
    what = request.args.get("action", "").strip()[:60]
    with wela().reads() as s:
        rows, total = audit_entries(s, username=who, action=what, limit=size, offset=offset)
        names = [u.username for u in list_users(s)]
    return render_template("admin/audit.html", rows=rows, total=total, page=number, size=size,
                           who=who, what=what, names=names, action_th=ACTION_TH)
