"""The requests board: open / offered / assigned / done / disputed; assign by hand, resolve, cancel."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ledger.clock import as_utc
from ledger.errors import WelaError
from ledger.orm import Member
from scheduler.lifecycle import FINISHED, STATE_TH, can_move
from scheduler.offers import assign_by_hand, suggestions
from scheduler.orm import HelpRequest, Offer
from scheduler.requests import cancel_request, history, list_requests, request_help
from scheduler.visits import confirm_service, resolve_dispute
from wela.admin.forms import AssignForm, CancelForm, ConfirmForm, NewRequestForm, ResolveForm
from wela.admin.i18n import gettext as _
from wela.admin.security import actor, requires
from wela.admin.web import change, member_choices, resolve_member, scheduler_env, show_error, wela

bp = Blueprint("requests", __name__, url_prefix="/requests")
COLUMNS = ("open", "offered", "assigned", "done", "disputed")
EVENT_TH = {"created": "บันทึกคำขอ", "offered": "เสนองานให้ผู้ช่วย", "declined": "ผู้ช่วยปฏิเสธ",
            "offer_expired": "ผู้ช่วยไม่ตอบในเวลา", "assigned": "มีผู้ช่วยแล้ว", "done": "ผู้ช่วยแจ้งว่าเสร็จ",
            "confirmed": "ผู้รับบริการยืนยัน", "paid": "จ่ายเวลาแล้ว", "disputed": "มีข้อโต้แย้ง",
            "resolved": "ตัดสินข้อโต้แย้ง", "no_show": "ผู้ช่วยไม่มา", "cancelled": "ยกเลิก",
            "expired": "หมดเวลา", "escalated": "แจ้งผู้ประสานงาน", "reminded": "เตือนแล้ว",
            "confirmation_asked": "โทรถามผู้รับบริการ"}


WAYS_TH = {"web": "หน้าเว็บ", "cli": "คำสั่งในเครื่อง"}


def who(actor: str, names: dict[int, str]) -> str:
    """Who did it, as the history shows it: a name and the way, not the program's tag
    ("ivr:CA1f…" is by phone, "sms:4" member 4 by SMS, "cli:somjai:for:4" somjai at the computer
    for member 4)."""
    actor, _for, for_id = actor.partition(":for:")
    kind, _sep, rest = actor.partition(":")
    if kind == "system":
        shown = _("ระบบ")
    elif kind == "demo":
        shown = _("ข้อมูลตัวอย่าง")
    elif kind == "ivr":
        shown = _("ทางโทรศัพท์")
    elif kind in ("sms", "volunteer") and rest.isdecimal():
        name = names.get(int(rest), "")
        shown = (_("SMS · {name}", name=name) if kind == "sms" else name) if name else actor
    elif kind in WAYS_TH:
        shown = f"{_(WAYS_TH[kind])} · {rest}" if rest else _(WAYS_TH[kind])
    else:
        shown = actor
    if for_id.isdecimal() and int(for_id) in names:
        shown += " " + _("แทน {name}", name=names[int(for_id)])
    return shown


def _names(s, reqs) -> dict[int, str]:  # noqa: ANN001
    ids = {r.member_id for r in reqs} | {r.volunteer_id for r in reqs if r.volunteer_id}
    if not ids:
        return {}
    return dict(s.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())


@bp.route("")
@requires("requests:view")
def board():  # noqa: ANN201
    with wela().reads() as s:
        active = list_requests(s, states=COLUMNS + ("confirmed",), limit=1000)
        finished = list_requests(s, states=FINISHED, limit=20)
        names = _names(s, list(active) + list(finished))
    columns = {state: [r for r in active if r.state == state or (state == "done" and r.state == "confirmed")]
               for state in COLUMNS}
    for rows in columns.values():
        rows.sort(key=lambda r: (r.stuck_reason is None, r.earliest_day, r.id))
    return render_template("admin/requests.html", columns=columns, finished=finished, names=names,
                           state_th=STATE_TH)


@bp.route("/new", methods=["GET", "POST"])
@requires("requests:edit")
def new():  # noqa: ANN201
    form = NewRequestForm()
    status = 200
    if form.validate_on_submit():
        env = scheduler_env()

        def work(s):  # noqa: ANN001, ANN202
            member = resolve_member(s, form.member.data)
            return request_help(s, env, member_id=member.id, category=form.category.data,
                                when=form.when.data, on=form.on.data, part=form.part.data or None,
                                minutes=form.minutes.data, notes=form.notes.data or "", channel="web",
                                actor=actor())

        try:
            req = change(work, "request:create", lambda r: f"request:{r.id}", category=form.category.data)
        except WelaError as err:
            show_error(err, form)
            status = 400
        else:
            flash(_("บันทึกคำขอเลขที่ {n} แล้ว", n=req.id), "success")
            return redirect(url_for("requests.detail", request_id=req.id))
    elif request.method == "POST":
        status = 400
    with wela().reads() as s:
        choices = member_choices(s)
    return render_template("admin/request_new.html", form=form, choices=choices), status


def _page(request_id: int, status: int = 200, **forms):  # noqa: ANN003, ANN202
    w = wela()
    env = scheduler_env()
    with w.reads() as s:
        req = s.get(HelpRequest, request_id)
        if req is None:
            abort(404)
        events = history(s, request_id)
        offers = list(s.scalars(select(Offer).where(Offer.request_id == request_id).order_by(Offer.id)))
        names = _names(s, [req])
        names.update(dict(s.execute(select(Member.id, Member.name).where(
            Member.id.in_({o.volunteer_id for o in offers}))).all()) if offers else {})
        ideas = suggestions(s, env, request_id) if req.state in ("open", "offered") else []
        choices = member_choices(s) if req.state in ("open", "offered") else []
    happened = req.planned_start is not None and as_utc(req.planned_start) <= w.clock.now()
    return render_template(
        "admin/request.html", req=req, events=events, offers=offers, names=names, ideas=ideas,
        choices=choices, state_th=STATE_TH, event_th=EVENT_TH, who=who,
        can_cancel=can_move(req.state, "cancelled"),
        can_confirm=req.state == "done" or (req.state == "assigned" and happened),
        assign_form=forms.get("assign_form") or AssignForm(),
        cancel_form=forms.get("cancel_form") or CancelForm(),
        resolve_form=forms.get("resolve_form") or ResolveForm(),
        confirm_form=forms.get("confirm_form") or ConfirmForm()), status


@bp.route("/<int:request_id>")
@requires("requests:view")
def detail(request_id: int):  # noqa: ANN201
    return _page(request_id)


def _act(request_id: int, form, form_name: str, action: str, work, done: str, **detail):  # noqa: ANN001, ANN003, ANN202
    if not form.validate_on_submit():
        return _page(request_id, 400, **{form_name: form})
    try:
        change(work, action, f"request:{request_id}", **detail)
    except WelaError as err:
        show_error(err, form)
        return _page(request_id, 400, **{form_name: form})
    flash(done, "success")
    return redirect(url_for("requests.detail", request_id=request_id))


@bp.route("/<int:request_id>/assign", methods=["POST"])
@requires("requests:edit")
def assign(request_id: int):  # noqa: ANN201
    form = AssignForm()
    env = scheduler_env()

    def work(s):  # noqa: ANN001, ANN202
        volunteer = resolve_member(s, form.volunteer.data)
        return assign_by_hand(s, env, request_id, volunteer.id, actor=actor())

    return _act(request_id, form, "assign_form", "request:assign", work, _("มอบหมายผู้ช่วยแล้ว"),
                volunteer=form.volunteer.data)


@bp.route("/<int:request_id>/cancel", methods=["POST"])
@requires("requests:edit")
def cancel(request_id: int):  # noqa: ANN201
    form = CancelForm()
    env = scheduler_env()
    return _act(request_id, form, "cancel_form", "request:cancel",
                lambda s: cancel_request(s, env, request_id, actor=actor(), reason=form.reason.data or ""),
                _("ยกเลิกคำขอแล้ว"), reason=form.reason.data)


@bp.route("/<int:request_id>/resolve", methods=["POST"])
@requires("requests:edit")
def resolve(request_id: int):  # noqa: ANN201
    form = ResolveForm()
    env = scheduler_env()
    if form.validate_on_submit() and form.decision.data == "pay" and not form.minutes.data:
        form.minutes.errors = [_("กรุณาใส่จำนวนนาทีที่จะจ่าย")]
        return _page(request_id, 400, resolve_form=form)
    pay = form.minutes.data if form.decision.data == "pay" else None
    return _act(request_id, form, "resolve_form", "request:resolve",
                lambda s: resolve_dispute(s, env, request_id=request_id, pay_minutes=pay, actor=actor(),
                                          note=form.note.data or ""),
                _("บันทึกผลการตัดสินแล้ว"), decision=form.decision.data, minutes=pay)


@bp.route("/<int:request_id>/confirm", methods=["POST"])
@requires("requests:edit")
def confirm(request_id: int):  # noqa: ANN201
    form = ConfirmForm()
    env = scheduler_env()
    received = form.received.data == "yes"
    return _act(request_id, form, "confirm_form", "request:confirm",
                lambda s: confirm_service(s, env, request_id=request_id, received=received,
                                          actor=actor(), minutes=form.minutes.data),
                _("บันทึกคำยืนยันของผู้รับบริการแล้ว"), received=received, minutes=form.minutes.data)
