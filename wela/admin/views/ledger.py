"""Ledger pages: the journal, payments, donations, grants, loans, reversal, month close, settings, check.

Every form goes through ledger.service (the same use cases as the CLI and the phone) inside one
transaction with its audit line, and carries the idempotency key it was drawn with: a form sent
twice pays once. Entries are never edited or deleted; a mistake is reversed.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ledger import service
from ledger.check import load_books, run_checks
from ledger.errors import WelaError
from ledger.orm import Account, Member, MonthClose, Transfer
from ledger.reports import KIND_TH
from ledger.settings import load_policy, set_policy
from wela.admin import formatting
from wela.admin.forms import options
from wela.admin.forms_money import (CloseMonthForm, DonateForm, GrantForm, LoanForm, PolicyForm,
                                    ReverseForm, TransferForm)
from wela.admin.i18n import gettext as _
from wela.admin.security import actor, requires
from wela.admin.web import (change, ledger_key, member_choices, new_key, page_args, resolve_member,
                            show_error, today, wela)

bp = Blueprint("ledger", __name__, url_prefix="/ledger")


def _journal(s, *, member_id=None, kind="", limit=50, offset=0):  # noqa: ANN001, ANN202
    src, dst = aliased(Account), aliased(Account)
    src_m, dst_m = aliased(Member), aliased(Member)
    reversal = aliased(Transfer)
    stmt = (select(Transfer, src.code, src_m.name, dst.code, dst_m.name, reversal.id)
            .join(src, src.id == Transfer.from_account_id).join(dst, dst.id == Transfer.to_account_id)
            .outerjoin(src_m, src_m.id == src.member_id).outerjoin(dst_m, dst_m.id == dst.member_id)
            .outerjoin(reversal, reversal.reverses_id == Transfer.id))
    if member_id is not None:
        stmt = stmt.where(or_(src.member_id == member_id, dst.member_id == member_id))
    if kind:
        stmt = stmt.where(Transfer.kind == kind)
    return s.execute(stmt.order_by(Transfer.id.desc()).limit(limit).offset(offset)).all()


@bp.route("")
@requires("ledger:view")
def journal():  # noqa: ANN201
    number, size, offset = page_args(request.args.get("page"))
    q = request.args.get("member", "").strip()[:100]
    kind = request.args.get("kind", "")
    kind = kind if kind in KIND_TH else ""
    member = None
    with wela().reads() as s:
        if q:
            try:
                member = resolve_member(s, q)
            except WelaError as err:
                show_error(err)
        rows = _journal(s, member_id=member.id if member else None, kind=kind, limit=size + 1, offset=offset)
        pool = service.pool_balance(s)
        total = s.scalar(select(func.count(Transfer.id))) or 0
        choices = member_choices(s)
    return render_template("admin/journal.html", rows=rows[:size], more=len(rows) > size, page=number,
                           q=q, kind=kind, kinds=KIND_TH, pool=pool, total=total, member=member,
                           choices=choices)


def _receipt_message(r: service.Receipt) -> str:
    if r.replayed:
        return _("รายการนี้บันทึกไว้แล้ว (ส่งแบบฟอร์มซ้ำ) ไม่ได้บันทึกซ้ำ")
    text = _("บันทึกรายการเลขที่ {n} แล้ว: {amount}", n=r.transfer_id, amount=formatting.duration(r.amount))
    if r.to_loan:
        text += " · " + _("หักคืนเวลาที่ยืม {amount}", amount=formatting.duration(r.to_loan))
    if r.to_pool:
        text += " · " + _("เกินเพดาน เข้ากองกลาง {amount}", amount=formatting.duration(r.to_pool))
    return text


def _money_page(form, title: str, action: str, work, template_hint: str = ""):  # noqa: ANN001, ANN202
    status = 200
    if request.method == "GET":
        form.key.data = new_key()
    elif form.validate_on_submit():
        try:
            receipt = change(work, action, lambda r: f"transfer:{r.transfer_id}",
                             more=lambda r: {"minutes": r.amount, "key": r.key})
        except WelaError as err:
            show_error(err, form)
            status = 400
        else:
            flash(_receipt_message(receipt), "success")
            return redirect(url_for("ledger.journal"))
    else:
        _lost_key(form)
        status = 400
    with wela().reads() as s:
        choices = member_choices(s)
    return render_template("admin/ledger_form.html", form=form, title=title, choices=choices,
                           hint=template_hint), status


def _lost_key(form) -> None:  # noqa: ANN001
    """A form that came back without its key (stripped by something): say so and draw a new one."""
    if form.key.errors:
        flash(_("แบบฟอร์มไม่สมบูรณ์ กรุณาตรวจแล้วกดบันทึกอีกครั้ง"), "error")
        form.key.data = new_key()


def _common(form) -> dict:  # noqa: ANN001
    return dict(minutes=form.total(), key=ledger_key(form.key.data), clock=wela().clock,
                entered_by=actor(), reason=form.reason.data or "", on=form.on.data)


@bp.route("/transfer", methods=["GET", "POST"])
@requires("ledger:write")
def transfer():  # noqa: ANN201
    form = TransferForm()

    def work(s):  # noqa: ANN001, ANN202
        payer, payee = resolve_member(s, form.payer.data), resolve_member(s, form.payee.data)
        return service.transfer(s, payer_id=payer.id, payee_id=payee.id,
                                on_behalf_of=payer.id if form.for_elder.data else None, **_common(form))

    return _money_page(form, _("จ่ายเวลาค่าบริการ"), "ledger:transfer", work,
                       _("ผู้รับบริการจ่ายเวลาให้ผู้ให้บริการ ตามเวลาที่ช่วยจริง"))


@bp.route("/donate", methods=["GET", "POST"])
@requires("ledger:write")
def donate():  # noqa: ANN201
    form = DonateForm()

    def work(s):  # noqa: ANN001, ANN202
        donor = resolve_member(s, form.donor.data)
        to = resolve_member(s, form.to_member.data).id if (form.to_member.data or "").strip() else None
        return service.donate(s, donor_id=donor.id, to_member_id=to, on_behalf_of=donor.id, **_common(form))

    return _money_page(form, _("บริจาคเวลา"), "ledger:donate", work,
                       _("ให้เวลาแก่กองกลาง หรือแก่สมาชิกที่ระบุชื่อ"))


@bp.route("/grant", methods=["GET", "POST"])
@requires("ledger:write")
def grant():  # noqa: ANN201
    form = GrantForm()

    def work(s):  # noqa: ANN001, ANN202
        member = resolve_member(s, form.member.data)
        common = _common(form)
        common.pop("on")
        return service.grant(s, member_id=member.id, on=form.on.data, **common)

    return _money_page(form, _("ให้เวลาจากกองกลาง"), "ledger:grant", work,
                       _("สำหรับผู้สูงอายุหรือผู้พิการที่เวลาไม่พอ"))


@bp.route("/loan", methods=["GET", "POST"])
@requires("ledger:write")
def loan():  # noqa: ANN201
    form = LoanForm()

    def work(s):  # noqa: ANN001, ANN202
        member = resolve_member(s, form.member.data)
        use_case = service.repay if form.action.data == "repay" else service.borrow
        return use_case(s, member_id=member.id, **_common(form))

    action = "ledger:repay" if request.form.get("action") == "repay" else "ledger:borrow"
    return _money_page(form, _("ยืมเวลา / คืนเวลา"), action, work,
                       _("ยืมได้ไม่เกินวงเงินของธนาคาร คืนได้จากเวลาที่ได้รับ"))


@bp.route("/<int:transfer_id>/reverse", methods=["GET", "POST"])
@requires("ledger:write")
def reverse(transfer_id: int):  # noqa: ANN201
    form = ReverseForm()
    with wela().reads() as s:
        row = _journal_one(s, transfer_id)
    if row is None:
        abort(404)
    status = 200
    if request.method == "GET":
        form.key.data = new_key()
    elif form.validate_on_submit():
        try:
            receipt = change(lambda s: service.reverse(s, transfer_id=transfer_id, key=ledger_key(form.key.data),
                                                       clock=wela().clock, entered_by=actor(),
                                                       reason=form.reason.data),
                             "ledger:reverse", f"transfer:{transfer_id}",
                             more=lambda r: {"reversal": r.transfer_id, "reason": form.reason.data})
        except WelaError as err:
            show_error(err, form)
            status = 400
        else:
            flash(_("กลับรายการเลขที่ {n} แล้ว (รายการใหม่เลขที่ {m})", n=transfer_id, m=receipt.transfer_id)
                  if not receipt.replayed else _receipt_message(receipt), "success")
            return redirect(url_for("ledger.journal"))
    else:
        _lost_key(form)
        status = 400
    return render_template("admin/reverse.html", form=form, row=row, kinds=KIND_TH), status


def _journal_one(s, transfer_id: int):  # noqa: ANN001, ANN202
    src, dst = aliased(Account), aliased(Account)
    src_m, dst_m = aliased(Member), aliased(Member)
    reversal = aliased(Transfer)
    return s.execute(select(Transfer, src.code, src_m.name, dst.code, dst_m.name, reversal.id)
                     .join(src, src.id == Transfer.from_account_id).join(dst, dst.id == Transfer.to_account_id)
                     .outerjoin(src_m, src_m.id == src.member_id).outerjoin(dst_m, dst_m.id == dst.member_id)
                     .outerjoin(reversal, reversal.reverses_id == Transfer.id)
                     .where(Transfer.id == transfer_id)).first()


def _past_months(n: int = 12) -> list[tuple[int, int]]:
    now = today()
    y, m, out = now.year, now.month, []
    for _i in range(n):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append((y, m))
    return out


@bp.route("/close-month", methods=["GET", "POST"])
@requires("ledger:write")
def close_month():  # noqa: ANN201
    with wela().reads() as s:
        closed = s.scalars(select(MonthClose).order_by(MonthClose.year.desc(), MonthClose.month.desc())).all()
    done = {(c.year, c.month) for c in closed}
    form = CloseMonthForm()
    form.month.choices = options((f"{y}-{m:02d}", formatting.month(y, m)) for y, m in _past_months()
                                 if (y, m) not in done)
    status = 200
    if form.validate_on_submit():
        year, month = (int(x) for x in form.month.data.split("-"))
        try:
            change(lambda s: service.close_month(s, year=year, month=month, clock=wela().clock, closed_by=actor()),
                   "ledger:close_month", f"month:{year}-{month:02d}")
        except WelaError as err:
            show_error(err, form)
            status = 400
        else:
            flash(_("ปิดบัญชีเดือน {month} แล้ว", month=formatting.month(year, month)), "success")
            return redirect(url_for("ledger.close_month"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/close_month.html", form=form, closed=closed), status


@bp.route("/settings", methods=["GET", "POST"])
@requires("ledger:view")
def settings():  # noqa: ANN201
    from wela.admin.security import can

    with wela().reads() as s:
        policy = load_policy(s)
    form = PolicyForm(obj=policy if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if not can("ledger:write"):
            abort(403)
        if form.validate_on_submit():
            values = {name: getattr(form, name).data for name in policy.names()}
            try:
                change(lambda s: set_policy(s, **values), "ledger:policy", "policy", **values)
            except WelaError as err:
                show_error(err, form)
                status = 400
            else:
                flash(_("บันทึกค่าตั้งของธนาคารแล้ว"), "success")
                return redirect(url_for("ledger.settings"))
        else:
            status = 400
    return render_template("admin/policy.html", form=form, policy=policy), status


@bp.route("/check")
@requires("ledger:view")
def check():  # noqa: ANN201
    with wela().reads() as s:
        problems = run_checks(load_books(s))
    return render_template("admin/check.html", problems=problems)
