"""SMS sent and received and the call log, for troubleshooting (read only); and settling what waits for a
person: a callback rung back, a stranger who asked to join by phone."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ledger.errors import WelaError
from voice.people import close_callback, settle_registration
from voice.stats import NODE_LABELS, TASK_LABELS
from wela.admin import troubleshooting
from wela.admin.i18n import gettext as _
from wela.admin.security import actor, requires
from wela.admin.web import change, page_args, show_error, wela

bp = Blueprint("trouble", __name__, url_prefix="/trouble")
SMS_STATUS_TH = {"queued": "รอส่ง", "sending": "กำลังส่ง", "sent": "ส่งแล้ว", "delivered": "ถึงผู้รับแล้ว",
                 "undelivered": "ส่งไม่ถึง", "failed": "ส่งไม่สำเร็จ"}
CALL_STATUS_TH = {"queued": "รอโทร", "calling": "กำลังโทร", "in-progress": "กำลังคุย", "completed": "จบแล้ว",
                  "busy": "สายไม่ว่าง", "no-answer": "ไม่มีคนรับ", "failed": "โทรไม่สำเร็จ",
                  "canceled": "ยกเลิก"}
# What each text, call and callback was for, in the coordinator's words (the codes are the programs').
SMS_PURPOSE_TH = {"offer": "เสนองาน", "assigned": "แจ้งนัด", "reminder": "เตือนนัด", "paid": "แจ้งได้รับเวลา",
                  "cancelled": "แจ้งยกเลิก", "alert": "แจ้งเจ้าหน้าที่", "reply": "ตอบข้อความ",
                  "stop": "ยืนยันการหยุดรับ SMS", "manual": "ส่งเอง"}
# How the bank read a text (sms.commands' classes, as sms.inbound stores them).
SMS_COMMAND_TH = {"Accept": "รับงาน", "Decline": "ไม่รับงาน", "Done": "แจ้งว่าช่วยเสร็จ", "Balance": "ถามเวลาคงเหลือ",
                  "Pause": "ขอพัก", "Stop": "ขอหยุดรับ SMS", "Start": "ขอรับ SMS อีกครั้ง", "Help": "ขอดูคำสั่ง",
                  "Unknown": "อ่านไม่ออก"}
CALL_TASK_TH = {task: th for task, (th, _en) in TASK_LABELS.items()}
CALL_NODE_TH = {node: th for node, (th, _en) in NODE_LABELS.items()}
CALL_PURPOSE_TH = {"callback": "โทรกลับสายที่วางไป", "reminder": "เตือนนัด",
                   "confirm": "ถามว่าได้รับความช่วยเหลือหรือยัง"}
CALLBACK_REASON_TH = {"error": "ระบบขัดข้องระหว่างสาย", "no_coordinator": "ยังไม่ได้ตั้งเบอร์เจ้าหน้าที่",
                      "no_answer": "เจ้าหน้าที่ไม่รับสาย", "ask_failed": "บันทึกคำขอไม่สำเร็จ",
                      "confirm_failed": "บันทึกการยืนยันไม่สำเร็จ", "callback_failed": "ระบบโทรกลับไม่ติด"}


@bp.route("/sms")
@requires("trouble:view")
def sms_outbox():  # noqa: ANN201
    number, size, offset = page_args(request.args.get("page"))
    status = request.args.get("status", "")
    if status not in ("", "problem", *SMS_STATUS_TH):
        status = ""
    phone = request.args.get("phone", "")[:30]
    with wela().reads() as s:
        page = troubleshooting.sms_outbox(s, status=status, phone=phone, limit=size, offset=offset)
    return render_template("admin/sms_outbox.html", page=page, number=number, size=size,
                           status=status, phone=phone, status_th=SMS_STATUS_TH, purpose_th=SMS_PURPOSE_TH)


@bp.route("/sms/in")
@requires("trouble:view")
def sms_inbox():  # noqa: ANN201
    number, size, offset = page_args(request.args.get("page"))
    phone = request.args.get("phone", "")[:30]
    with wela().reads() as s:
        page = troubleshooting.sms_inbox(s, phone=phone, limit=size, offset=offset)
    return render_template("admin/sms_inbox.html", page=page, number=number, size=size, phone=phone,
                           command_th=SMS_COMMAND_TH)


@bp.route("/calls")
@requires("trouble:view")
def calls():  # noqa: ANN201
    number, size, offset = page_args(request.args.get("page"))
    only_person = request.args.get("person") == "1"
    phone = request.args.get("phone", "")[:30]
    with wela().reads() as s:
        page = troubleshooting.call_log(s, only_person=only_person, phone=phone, limit=size, offset=offset)
        callbacks = troubleshooting.open_callbacks(s)
        registrations = troubleshooting.open_registrations(s)
        orders = troubleshooting.call_orders(s)
    return render_template("admin/calls.html", page=page, callbacks=callbacks, registrations=registrations,
                           orders=orders, number=number, size=size, only_person=only_person, phone=phone,
                           status_th=CALL_STATUS_TH, task_th=CALL_TASK_TH, node_th=CALL_NODE_TH,
                           purpose_th=CALL_PURPOSE_TH, reason_th=CALLBACK_REASON_TH)


@bp.route("/callbacks/<int:callback_id>/done", methods=["POST"])
@requires("calls:handle")
def callback_done(callback_id: int):  # noqa: ANN201
    """The coordinator rang the caller back."""
    try:
        change(lambda s: close_callback(s, callback_id, by=actor(), now=wela().clock.now()), "callback:done",
               f"callback:{callback_id}")
        flash(_("บันทึกว่าโทรกลับแล้ว"), "success")
    except WelaError as err:
        show_error(err)
    return redirect(url_for("trouble.calls"))


@bp.route("/registrations/<int:registration_id>/<outcome>", methods=["POST"])
@requires("calls:handle")
def registration_settled(registration_id: int, outcome: str):  # noqa: ANN201
    """The stranger who left their name by phone: registered as a member, or not."""
    try:
        change(lambda s: settle_registration(s, registration_id, outcome), "registration:settle",
               f"registration:{registration_id}", outcome=outcome)
        flash(_("บันทึกแล้ว"), "success")
    except WelaError as err:
        show_error(err)
    return redirect(url_for("trouble.calls"))
