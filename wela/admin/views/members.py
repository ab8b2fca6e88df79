"""Members: search, profile with balance and history, monthly statements, register, edit, pause, import."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from ledger.errors import WelaError
from ledger.members import (pause_member, register_member, resume_member, search_members, set_pin,
                            update_member)
from ledger.orm import Member
from ledger.registry import availability_text
from ledger.registry_io import ROLE_TH, export_members, import_members
from ledger.reports import member_history, statement
from ledger.service import balance
from scheduler.lifecycle import STATE_TH
from scheduler.requests import list_requests
from wela.admin.forms import ImportCommitForm, ImportForm, MemberForm, PauseForm
from wela.admin.i18n import gettext as _
from wela.admin.security import actor, current_user, requires
from wela.admin.web import change, page_args, show_error, today, wela

bp = Blueprint("members", __name__, url_prefix="/members")
_TOKEN = re.compile(r"[0-9a-f]{32}\.(csv|xlsx)")


@bp.route("")
@requires("members:view")
def index():  # noqa: ANN201
    q = request.args.get("q", "").strip()[:100]
    number, size, offset = page_args(request.args.get("page"))
    with wela().reads() as s:
        rows = search_members(s, q, limit=size + 1, offset=offset)
        balances = {m.id: balance(s, m.id) for m in rows[:size]}
    return render_template("admin/members.html", rows=rows[:size], more=len(rows) > size, q=q,
                           page=number, balances=balances, role_th=ROLE_TH)


def _load(s, member_id: int) -> Member:  # noqa: ANN001
    member = s.get(Member, member_id)
    if member is None:
        abort(404)
    return member


@bp.route("/<int:member_id>")
@requires("members:view")
def profile(member_id: int):  # noqa: ANN201
    with wela().reads() as s:
        member = _load(s, member_id)
        bal = balance(s, member.id)
        history = member_history(s, member.id, limit=30)
        reqs = list_requests(s, member_id=member.id, limit=20)
    return render_template("admin/member.html", m=member, bal=bal, history=history, reqs=reqs,
                           months=_months(member), role_th=ROLE_TH, state_th=STATE_TH,
                           availability=availability_text(member.availability or {}),
                           pause_form=PauseForm())


def _months(member: Member) -> list[tuple[int, int]]:
    """Statement months from joining to this month, newest first."""
    now = today()
    first = member.joined_at.date() if member.joined_at else now
    y, m, out = now.year, now.month, []
    while (y, m) >= (first.year, first.month) and len(out) < 120:
        out.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


@bp.route("/<int:member_id>/statement")
@requires("members:view")
def member_statement(member_id: int):  # noqa: ANN201
    raw = request.args.get("month", "")
    now = today()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    year, month = (int(match[1]), int(match[2])) if match else (now.year, now.month)
    if not (1 <= month <= 12 and 2000 <= year <= 2200):
        abort(404)
    with wela().reads() as s:
        member = _load(s, member_id)
        st = statement(s, member.id, year, month)
    return render_template("admin/statement.html", m=member, st=st, months=_months(member),
                           printed_on=now)


@bp.route("/new", methods=["GET", "POST"])
@requires("members:edit")
def new():  # noqa: ANN201
    form = MemberForm()
    status = 200
    if request.method == "GET" and request.args.get("phone"):
        form.phone.data = request.args["phone"][:30]      # a stranger who asked to join by phone
    if form.validate_on_submit():
        if not form.consent.data:
            form.consent.errors = [_("ต้องได้รับความยินยอมจากสมาชิกก่อนบันทึกข้อมูล")]
        else:
            w = wela()
            who = current_user().display_name or current_user().username
            try:
                member = change(lambda s: register_member(s, clock=w.clock, entered_by=actor(),
                                                          consent_by=who, **form.values()),
                                "member:register", lambda m: f"member:{m.id}", name=form.name.data)
            except WelaError as err:
                show_error(err, form)
            else:
                flash(_("ลงทะเบียน {name} แล้ว เป็นสมาชิกเลขที่ {n}", name=member.name, n=member.id), "success")
                return redirect(url_for("members.profile", member_id=member.id))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/member_form.html", form=form, m=None), status


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@requires("members:edit")
def edit(member_id: int):  # noqa: ANN201
    with wela().reads() as s:
        member = _load(s, member_id)
    form = MemberForm(obj=None if request.method == "POST" else _as_form(member))
    status = 200
    if form.validate_on_submit():
        values = form.values()

        def work(s):  # noqa: ANN001, ANN202
            return update_member(s, _load(s, member_id), **values)

        try:
            member = change(work, "member:edit", f"member:{member_id}",
                            fields=sorted(k for k, v in values.items() if v != _as_text(member, k)))
        except WelaError as err:
            show_error(err, form)
        else:
            flash(_("บันทึกการแก้ไขแล้ว"), "success")
            return redirect(url_for("members.profile", member_id=member_id))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/member_form.html", form=form, m=member), status


class _Obj:
    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


def _as_text(m: Member, key: str) -> str:
    from ledger.phones import display_phone

    value = {"phone": display_phone(m.phone), "moo": str(m.moo or ""),
             "birth_year": str(m.birth_year + 543) if m.birth_year else "",
             "skills": ", ".join(m.skills or []), "availability": availability_text(m.availability or {}),
             "speak_slowly": "1" if m.speak_slowly else ""}
    return value[key] if key in value else str(getattr(m, key) or "")


def _as_form(m: Member) -> _Obj:
    keys = ("name", "phone", "role", "village", "moo", "birth_year", "availability", "needs", "health_notes")
    return _Obj(**{k: _as_text(m, k) for k in keys}, skills=list(m.skills or []),
                speak_slowly=bool(m.speak_slowly), consent=True)


@bp.route("/<int:member_id>/pause", methods=["POST"])
@requires("members:edit")
def pause(member_id: int):  # noqa: ANN201
    form = PauseForm()
    if not form.validate():
        flash(_("จำนวนวันไม่ถูกต้อง ใส่ได้ 1 ถึง 365 วัน"), "error")
        return redirect(url_for("members.profile", member_id=member_id))
    until = today() + timedelta(days=form.days.data) if form.days.data else None
    change(lambda s: pause_member(s, _load(s, member_id), until=until), "member:pause",
           f"member:{member_id}", until=until)
    flash(_("พักสมาชิกแล้ว"), "success")
    return redirect(url_for("members.profile", member_id=member_id))


@bp.route("/<int:member_id>/resume", methods=["POST"])
@requires("members:edit")
def resume(member_id: int):  # noqa: ANN201
    change(lambda s: resume_member(s, _load(s, member_id)), "member:resume", f"member:{member_id}")
    flash(_("สมาชิกกลับมาใช้งานแล้ว"), "success")
    return redirect(url_for("members.profile", member_id=member_id))


@bp.route("/<int:member_id>/pin", methods=["POST"])
@requires("members:edit")
def pin(member_id: int):  # noqa: ANN201
    """The 4-digit code an elder types when calling from a neighbour's phone (never logged)."""
    code = request.form.get("pin", "")
    try:
        change(lambda s: set_pin(s, _load(s, member_id), code), "member:pin", f"member:{member_id}")
    except WelaError as err:
        show_error(err)
    else:
        flash(_("ตั้งรหัส 4 หลักแล้ว"), "success")
    return redirect(url_for("members.profile", member_id=member_id))


def _uploads() -> Path:
    folder = Path(wela().settings.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@bp.route("/import", methods=["GET", "POST"])
@requires("members:edit")
def import_file():  # noqa: ANN201
    form = ImportForm()
    report, token, status = None, None, 200
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or ""
        data = upload.read()
        w = wela()
        try:
            with w.reads() as s:
                report = import_members(s, data, name, clock=w.clock, entered_by=actor(), dry_run=True)
        except WelaError as err:
            show_error(err, form)
            status = 400
        else:
            if report.clean:
                token = f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
                (_uploads() / token).write_bytes(data)
            else:
                status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/import.html", form=form, report=report, token=token,
                           commit_form=ImportCommitForm(token=token)), status


@bp.route("/import/commit", methods=["POST"])
@requires("members:edit")
def import_commit():  # noqa: ANN201
    form = ImportCommitForm()
    token = form.token.data or ""
    path = _uploads() / token
    if not form.validate() or not _TOKEN.fullmatch(token) or not path.is_file():
        flash(_("ไม่พบไฟล์ที่ตรวจไว้ กรุณาเลือกไฟล์ใหม่อีกครั้ง"), "error")
        return redirect(url_for("members.import_file"))
    w = wela()
    data = path.read_bytes()
    try:
        report = change(lambda s: import_members(s, data, token, clock=w.clock, entered_by=actor(),
                                                 dry_run=False),
                        "member:import", "members", more=lambda r: {"imported": r.imported})
    except WelaError as err:
        show_error(err)
        return redirect(url_for("members.import_file"))
    if not report.clean:
        return render_template("admin/import.html", form=ImportForm(), report=report, token=None,
                               commit_form=ImportCommitForm()), 400
    path.unlink(missing_ok=True)
    flash(_("นำเข้าสมาชิก {n} คนแล้ว", n=report.imported), "success")
    return redirect(url_for("members.index"))


@bp.route("/export.<fmt>")
@requires("members:edit")
def export(fmt: str):  # noqa: ANN201
    if fmt not in ("csv", "xlsx"):
        abort(404)
    with wela().reads() as s:
        data = export_members(search_members(s, limit=10**9), fmt)
    change(lambda s: None, "member:export", "members", format=fmt)
    mime = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mime,
                    headers={"Content-Disposition": f"attachment; filename=members-{today().isoformat()}.{fmt}"})
