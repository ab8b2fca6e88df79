"""Web forms (Flask-WTF): every field labelled in Thai, every error message in Thai first.

The forms check shape only (a number is a number, a required box is filled); the bank's rules
(phones, caps, loans, closed months) are checked by the use cases, whose errors the views put
back on the page.
"""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, PasswordField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from wela.admin.i18n import current_lang

try:                                   # WTForms ≥ 3.3 wants choices as SelectChoice objects
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover
    def SelectChoice(value: str, label: str) -> tuple[str, str]:  # type: ignore[no-redef]  # noqa: N802
        return (value, label)

REQUIRED = "กรุณากรอกช่องนี้"
_BUILTIN_TH = {
    "Not a valid integer value.": "กรุณาใส่ตัวเลขจำนวนเต็ม",
    "Not a valid date value.": "วันที่ไม่ถูกต้อง",
    "Not a valid time value.": "เวลาไม่ถูกต้อง",
    "Not a valid choice.": "กรุณาเลือกจากรายการ",
    "This field is required.": REQUIRED,
    "Invalid Choice: could not coerce.": "กรุณาเลือกจากรายการ",
    "Field cannot be longer than %(max)d character.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "Field cannot be longer than %(max)d characters.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "Field must be at least %(min)d character long.": "ต้องยาวอย่างน้อย %(min)d ตัวอักษร",
    "Field must be at least %(min)d characters long.": "ต้องยาวอย่างน้อย %(min)d ตัวอักษร",
}


class _Translations:
    """WTForms' own messages in Thai (English pages keep WTForms' English)."""

    def gettext(self, string: str) -> str:
        return string if current_lang() == "en" else _BUILTIN_TH.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _Translations:
            return _Translations()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def options(pairs: Any) -> list:
    """Choices for a select, radio or checkbox list from (value, Thai label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _required() -> DataRequired:
    return DataRequired(message=REQUIRED)


class Amount:
    """Hours and minutes, as people say them; never negative, together more than zero."""

    hours = IntegerField("ชั่วโมง", default=1, validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=999, message="ชั่วโมงต้องไม่ติดลบ")])
    minutes = IntegerField("นาที", default=0, validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=59, message="นาทีต้องอยู่ระหว่าง 0 ถึง 59")])

    def total(self) -> int:
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)

    def validate_amount(self) -> bool:
        if self.hours.errors or self.minutes.errors:
            return False
        if self.total() <= 0:
            self.minutes.errors = list(self.minutes.errors) + ["จำนวนเวลาต้องมากกว่าศูนย์"]
            return False
        return True


# --- auth and staff ------------------------------------------------------------------------

class LoginForm(Form):
    username = StringField("ชื่อผู้ใช้", validators=[_required(), Length(max=60)])
    password = PasswordField("รหัสผ่าน", validators=[_required(), Length(max=200)])


class PasswordForm(Form):
    current = PasswordField("รหัสผ่านเดิม", validators=[_required()])
    new = PasswordField("รหัสผ่านใหม่ (อย่างน้อย 8 ตัว)", validators=[_required(), Length(max=200)])
    again = PasswordField("พิมพ์รหัสผ่านใหม่อีกครั้ง", validators=[_required()])


class UserForm(Form):
    username = StringField("ชื่อผู้ใช้ (อังกฤษพิมพ์เล็ก)", validators=[_required(), Length(max=60)])
    display_name = StringField("ชื่อที่แสดง", validators=[Length(max=120)])
    role = SelectField("บทบาท", choices=options([("manager", "ผู้จัดการธนาคาร"), ("headman", "ผู้ใหญ่บ้าน"),
                                         ("auditor", "ผู้ตรวจสอบ")]))
    password = PasswordField("รหัสผ่าน (อย่างน้อย 8 ตัว)", validators=[_required(), Length(max=200)])


# --- members -------------------------------------------------------------------------------

ROLE_CHOICES = [("elder", "ผู้สูงอายุ (ผู้รับบริการ)"), ("volunteer", "จิตอาสา (ผู้ให้บริการ)"),
                ("both", "ทั้งให้และรับ"), ("coordinator", "ผู้ประสานงาน")]
SKILL_CHOICES = [("clinic", "พาไปหาหมอ"), ("errand", "ซื้อของ ทำธุระ"), ("home", "งานบ้าน ซ่อมแซม"),
                 ("visit", "เยี่ยมเยียน เป็นเพื่อนคุย"), ("other", "อื่น ๆ")]


class MemberForm(Form):
    name = StringField("ชื่อ-นามสกุล", validators=[_required(), Length(max=120)])
    phone = StringField("เบอร์โทรศัพท์", validators=[_required(), Length(max=30)])
    role = SelectField("บทบาท", choices=options(ROLE_CHOICES))
    village = StringField("หมู่บ้าน", validators=[Length(max=120)])
    moo = StringField("หมู่ที่", validators=[Length(max=10)])
    birth_year = StringField("ปีเกิด (พ.ศ.)", validators=[Length(max=10)])
    skills = MultiCheckboxField("ช่วยอะไรได้บ้าง", choices=options(SKILL_CHOICES))
    availability = StringField("วันเวลาที่ว่าง", validators=[Length(max=200)])
    needs = TextAreaField("ความต้องการ", validators=[Length(max=2000)])
    health_notes = TextAreaField("ข้อมูลสุขภาพ", validators=[Length(max=2000)])
    speak_slowly = BooleanField("ให้ระบบโทรศัพท์พูดช้า ๆ")
    consent = BooleanField("สมาชิกยินยอมให้ธนาคารเก็บข้อมูลนี้แล้ว")

    def values(self) -> dict[str, str]:
        """The fields as the member use cases read them (text, like a paper register)."""
        return {"name": self.name.data or "", "phone": self.phone.data or "",
                "role": self.role.data or "", "village": self.village.data or "",
                "moo": self.moo.data or "", "birth_year": self.birth_year.data or "",
                "skills": ", ".join(self.skills.data or []), "availability": self.availability.data or "",
                "needs": self.needs.data or "", "health_notes": self.health_notes.data or "",
                "speak_slowly": "1" if self.speak_slowly.data else ""}


class PauseForm(Form):
    days = IntegerField("พักกี่วัน (เว้นว่าง = จนกว่าจะกลับมา)", validators=[
        Optional(), NumberRange(min=1, max=365, message="ใส่ได้ 1 ถึง 365 วัน")])


class ImportForm(Form):
    file = FileField("ไฟล์ทะเบียนสมาชิก (.xlsx หรือ .csv ไม่เกิน 10 MB)",
                     validators=[FileRequired(message="กรุณาเลือกไฟล์")])


class ImportCommitForm(Form):
    token = HiddenField(validators=[_required()])


# --- help requests -----------------------------------------------------------------------

CATEGORY_CHOICES = [("clinic", "พาไปหาหมอ"), ("errand", "ซื้อของ ทำธุระ"), ("home", "งานบ้าน ซ่อมแซม"),
                    ("visit", "เยี่ยมเยียน"), ("other", "อื่น ๆ")]
PART_CHOICES = [("", "ช่วงไหนก็ได้"), ("morning", "เช้า"), ("afternoon", "บ่าย"), ("evening", "เย็น")]


class NewRequestForm(Form):
    member = StringField("ผู้ขอความช่วยเหลือ (เลขสมาชิก ชื่อ หรือเบอร์)", validators=[_required()])
    category = SelectField("ต้องการความช่วยเหลือเรื่อง", choices=options(CATEGORY_CHOICES))
    when = RadioField("เมื่อไร", default="this_week", choices=options([
        ("today", "วันนี้"), ("tomorrow", "พรุ่งนี้"), ("this_week", "ภายในสัปดาห์นี้"), ("date", "ระบุวันที่")]))
    on = DateField("วันที่", validators=[Optional()])
    part = SelectField("ช่วงเวลา", choices=options(PART_CHOICES), default="")
    minutes = IntegerField("ใช้เวลาประมาณ (นาที)", default=60, validators=[
        InputRequired(message=REQUIRED), NumberRange(min=15, max=480, message="ใส่ได้ 15 ถึง 480 นาที")])
    notes = TextAreaField("รายละเอียด", validators=[Length(max=1000)])


class AssignForm(Form):
    volunteer = StringField("ผู้ช่วย (เลขสมาชิก ชื่อ หรือเบอร์)", validators=[_required()])


class CancelForm(Form):
    reason = StringField("เหตุผลที่ยกเลิก", validators=[Length(max=300)])


class ResolveForm(Form):
    decision = RadioField("ผลการตัดสิน", choices=options([("pay", "ได้ช่วยจริง จ่ายเวลาให้ผู้ช่วย"),
                                                   ("no_show", "ไม่ได้ช่วย ไม่ต้องจ่าย")]),
                          validators=[InputRequired(message="กรุณาเลือกผลการตัดสิน")])
    minutes = IntegerField("จ่ายกี่นาที", validators=[
        Optional(), NumberRange(min=1, max=720, message="ใส่ได้ 1 ถึง 720 นาที")])
    note = StringField("บันทึก", validators=[Length(max=300)])


class ConfirmForm(Form):
    received = RadioField("ผู้รับบริการบอกว่า", choices=options([("yes", "ได้รับความช่วยเหลือแล้ว"),
                                                          ("no", "ไม่ได้รับความช่วยเหลือ")]),
                          validators=[InputRequired(message="กรุณาเลือก")])
    minutes = IntegerField("ใช้เวลาจริง (นาที ถ้าไม่ตรงกับที่ขอ)", validators=[
        Optional(), NumberRange(min=1, max=720, message="ใส่ได้ 1 ถึง 720 นาที")])
