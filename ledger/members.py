"""Member use cases: register, find by phone or number, edit, pause and resume, set a PIN."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import date
from typing import Any, Optional, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ledger.clock import Clock, local_date
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.orm import Member
from ledger.phones import looks_like_phone, parse_phone
from ledger.registry import clean_member
from ledger.service import open_account

EDITABLE = ("name", "phone", "village", "moo", "role", "birth_year", "skills", "needs",
            "health_notes", "availability", "speak_slowly", "consent_on", "consent_by")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _first_error(fields: dict[str, Any]) -> dict[str, Any]:
    clean = clean_member(fields)
    if clean.errors:
        e = clean.errors[0]
        more_th = f" (และอีก {len(clean.errors) - 1} ข้อ)" if len(clean.errors) > 1 else ""
        more_en = f" (and {len(clean.errors) - 1} more)" if len(clean.errors) > 1 else ""
        raise InvalidInput(e.th + more_th, f"{e.column}: {e.en}{more_en}",
                           errors=[(x.column, x.th, x.en) for x in clean.errors])
    return clean.values


def register_member(s: Session, *, clock: Clock, entered_by: str, **fields: Any) -> Member:
    """Register a member from raw fields (as typed or imported) and open their account."""
    values = _first_error({k: v for k, v in fields.items() if v is not None})
    if s.scalar(select(Member.id).where(Member.phone == values["phone"])) is not None:
        raise Conflict(f"เบอร์ {fields.get('phone')} มีในทะเบียนแล้ว",
                       f"phone {values['phone']} is already registered")
    member = Member(joined_at=clock.now(), **values)
    if member.consent_on is None and member.consent_by:
        member.consent_on = local_date(clock.now())
    s.add(member)
    s.flush()
    open_account(s, member, clock=clock, entered_by=entered_by)
    return member


def update_member(s: Session, member: Member, **fields: Any) -> Member:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput("แก้ไขช่องนี้ไม่ได้", f"cannot edit: {', '.join(sorted(unknown))}")
    current = {k: getattr(member, k) for k in ("name", "phone", "role")}
    merged = {**current, **fields}
    values = _first_error({k: v for k, v in merged.items() if v is not None})
    if values["phone"] != member.phone and s.scalar(
            select(Member.id).where(Member.phone == values["phone"], Member.id != member.id)):
        raise Conflict(f"เบอร์ {fields.get('phone')} เป็นของสมาชิกคนอื่นแล้ว",
                       f"phone {values['phone']} belongs to another member")
    for key in fields:
        setattr(member, key, values.get(key, getattr(member, key)))
    s.flush()
    return member


def find_member(s: Session, ref: str | int) -> Member:
    """A member by number (`12`, `M12`) or by phone in any Thai format (`081-234-5678`, `+6681…`)."""
    text = str(ref).strip().translate(_THAI_DIGITS)
    m = re.fullmatch(r"[mM#]?(\d{1,7})", text)
    if m and not looks_like_phone(text):
        member = s.get(Member, int(m[1]))
        if member is None:
            raise NotFound(f"ไม่พบสมาชิกเลขที่ {m[1]}", f"no member number {m[1]}")
        return member
    phone = parse_phone(text)
    member = s.scalar(select(Member).where(Member.phone == phone))
    if member is None:
        raise NotFound(f"ไม่พบสมาชิกเบอร์ {ref}", f"no member with phone {phone}")
    return member


def member_by_phone(s: Session, phone: str) -> Optional[Member]:
    """The member calling or texting from `phone`, or None for a stranger (never raises)."""
    try:
        e164 = parse_phone(phone)
    except InvalidInput:
        return None
    return s.scalar(select(Member).where(Member.phone == e164))


def search_members(s: Session, query: str = "", *, limit: int = 200, offset: int = 0) -> Sequence[Member]:
    """Search by name, member number or phone in any format."""
    stmt = select(Member).order_by(Member.id)
    q = query.strip().translate(_THAI_DIGITS)
    if q:
        conditions = [Member.name.contains(q), Member.village.contains(q)]
        if re.fullmatch(r"[mM#]?\d{1,7}", q):
            conditions.append(Member.id == int(q.lstrip("mM#")))
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3:
            tail = digits[1:] if digits.startswith("0") else digits
            conditions.append(Member.phone.contains(tail))
        stmt = stmt.where(or_(*conditions))
    return s.scalars(stmt.limit(limit).offset(offset)).all()


def count_members(s: Session) -> int:
    return s.scalar(select(func.count(Member.id))) or 0


def pause_member(s: Session, member: Member, *, until: Optional[date] = None) -> Member:
    member.status, member.paused_until = "paused", until
    s.flush()
    return member


def resume_member(s: Session, member: Member) -> Member:
    member.status, member.paused_until = "active", None
    s.flush()
    return member


def is_active(member: Member, today: date) -> bool:
    """Paused members come back by themselves when their pause ends."""
    if member.status == "active":
        return True
    return member.paused_until is not None and member.paused_until < today


def set_pin(s: Session, member: Member, pin: str) -> None:
    """A 4-digit PIN so an elder can use the bank from a neighbour's phone."""
    pin = pin.strip().translate(_THAI_DIGITS)
    if not re.fullmatch(r"\d{4}", pin):
        raise InvalidInput("รหัสต้องเป็นตัวเลข 4 หลัก", "the PIN must be 4 digits")
    salt = os.urandom(16)
    member.pin_hash = f"pbkdf2:{salt.hex()}:{_pin_digest(pin, salt)}"
    s.flush()


def check_pin(member: Member, pin: str) -> bool:
    if not member.pin_hash or member.pin_hash.count(":") != 2:
        return False
    _, salt, digest = member.pin_hash.split(":")
    given = _pin_digest(pin.strip().translate(_THAI_DIGITS), bytes.fromhex(salt))
    return hmac.compare_digest(given, digest)


def _pin_digest(pin: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 100_000).hex()
