"""Ledger and announcement forms. Every ledger form carries the idempotency key it was drawn with."""
from __future__ import annotations

from typing import Any

from wtforms import (BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField,
                     StringField, TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from wela.admin.forms import REQUIRED, Amount, Form, _required, options


class LedgerForm(Form, Amount):
    key = HiddenField(validators=[_required()])
    reason = StringField("หมายเหตุ", validators=[Length(max=300)])
    on = DateField("วันที่ของรายการ (เว้นว่าง = วันนี้)", validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        return self.validate_amount() and ok


class TransferForm(LedgerForm):
    payer = StringField("ผู้รับบริการ (ผู้จ่ายเวลา)", validators=[_required()])
    payee = StringField("ผู้ให้บริการ (ผู้ได้รับเวลา)", validators=[_required()])
    for_elder = BooleanField("บันทึกแทนผู้รับบริการ (ผู้สูงอายุแจ้งด้วยตนเอง)", default=True)


class DonateForm(LedgerForm):
    donor = StringField("ผู้บริจาค", validators=[_required()])
    to_member = StringField("ให้ใคร (เว้นว่าง = กองกลาง)")


class GrantForm(LedgerForm):
    member = StringField("ผู้ได้รับเวลาจากกองกลาง", validators=[_required()])


class LoanForm(LedgerForm):
    member = StringField("สมาชิก", validators=[_required()])
    action = RadioField("ทำอะไร", default="borrow",
                        choices=options([("borrow", "ยืมเวลา"), ("repay", "คืนเวลาที่ยืม")]))


class ReverseForm(Form):
    key = HiddenField(validators=[_required()])
    reason = StringField("เหตุผลที่กลับรายการ", validators=[_required(), Length(max=300)])


class CloseMonthForm(Form):
    month = SelectField("เดือนที่จะปิดบัญชี", choices=[], validators=[InputRequired(message=REQUIRED)])


class PolicyForm(Form):
    starting_minutes = IntegerField("เวลาเริ่มต้นของสมาชิกใหม่ (นาที)", validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=100_000, message="ต้องไม่ติดลบ")])
    loan_limit_minutes = IntegerField("ยืมได้สูงสุด (นาที)", validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=100_000, message="ต้องไม่ติดลบ")])
    loan_repay_percent = IntegerField("หักคืนเงินยืมจากเวลาที่ได้รับ (ร้อยละ)", validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=100, message="ใส่ได้ 0 ถึง 100")])
    balance_cap_minutes = IntegerField("เพดานเวลาสะสม (นาที)", validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=1_000_000, message="ต้องไม่ติดลบ")])


# --- announcements -------------------------------------------------------------------------

TEMPLATE_CHOICES = [("free", "เขียนข้อความเอง"), ("weekly", "สรุปการช่วยเหลือสัปดาห์นี้"),
                    ("volunteers_needed", "ขอจิตอาสาช่วยงานที่ยังรออยู่"), ("meeting", "เชิญประชุม"),
                    ("welcome", "ต้อนรับสมาชิกใหม่")]


class AnnounceForm(Form):
    template = RadioField("แบบประกาศ", default="free", choices=options(TEMPLATE_CHOICES))
    title = StringField("ชื่อประกาศ (สำหรับค้นหาภายหลัง)", validators=[Length(max=200)])
    text = TextAreaField("ข้อความประกาศ", validators=[Length(max=2000)])
    meeting_date = DateField("วันประชุม", validators=[Optional()])
    meeting_time = TimeField("เวลาประชุม", validators=[Optional()])
    place = StringField("สถานที่ประชุม", validators=[Length(max=200)])
    names = TextAreaField("ชื่อสมาชิกใหม่ (บรรทัดละชื่อ)", validators=[Length(max=1000)])
    thanks = StringField("ขอบคุณจิตอาสา (ชื่อ คั่นด้วยจุลภาค เฉพาะผู้ที่ยินดีให้เอ่ยชื่อ)",
                         validators=[Length(max=500)])
    play_on = DateField("จะเปิดเสียงตามสายวันที่", validators=[Optional()])
