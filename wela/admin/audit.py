"""The audit trail: every change made from the web is written here, in the same transaction."""
from __future__ import annotations

from datetime import date
from typing import Any, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.clock import Clock
from wela.admin.orm import AuditEntry

ACTION_TH = {
    "login": "เข้าสู่ระบบ", "logout": "ออกจากระบบ", "user:add": "เพิ่มผู้ใช้",
    "user:password": "เปลี่ยนรหัสผ่าน", "user:active": "เปิด/ปิดบัญชีผู้ใช้",
    "member:register": "ลงทะเบียนสมาชิก", "member:edit": "แก้ไขข้อมูลสมาชิก",
    "member:pause": "พักสมาชิก", "member:resume": "ให้สมาชิกกลับมาใช้งาน",
    "member:pin": "ตั้งรหัส 4 หลักของสมาชิก", "member:import": "นำเข้าทะเบียนสมาชิก", "member:export": "ส่งออกทะเบียนสมาชิก",
    "request:create": "บันทึกคำขอความช่วยเหลือ", "request:assign": "มอบหมายผู้ช่วย",
    "request:cancel": "ยกเลิกคำขอ", "request:resolve": "ตัดสินข้อโต้แย้ง",
    "request:confirm": "ยืนยันแทนผู้รับบริการ",
    "ledger:transfer": "จ่ายเวลาค่าบริการ", "ledger:donate": "บริจาคเวลา", "ledger:grant": "ให้เวลาจากกองกลาง",
    "ledger:borrow": "ยืมเวลา", "ledger:repay": "คืนเวลาที่ยืม", "ledger:reverse": "กลับรายการ",
    "ledger:close_month": "ปิดบัญชีประจำเดือน", "ledger:policy": "เปลี่ยนค่าตั้งของธนาคาร",
    "announcement:make": "ทำเสียงประกาศ",
    "callback:done": "บันทึกว่าโทรกลับแล้ว", "registration:settle": "บันทึกผลผู้โทรมาขอสมัคร",
}


def audit(s: Session, *, clock: Clock, username: str, action: str, target: str = "",
          **detail: Any) -> AuditEntry:
    entry = AuditEntry(at=clock.now(), username=username[:60], action=action[:60],
                       target=str(target)[:120], detail=_plain(detail))
    s.add(entry)
    s.flush()
    return entry


def _plain(value: Any) -> Any:
    """JSON-safe copy: dates as ISO text, everything unknown as its str()."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def audit_entries(s: Session, *, username: str = "", action: str = "", limit: int = 100,
                  offset: int = 0) -> tuple[Sequence[AuditEntry], int]:
    stmt = select(AuditEntry)
    count = select(func.count(AuditEntry.id))
    if username:
        stmt, count = stmt.where(AuditEntry.username == username), count.where(AuditEntry.username == username)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
        count = count.where(AuditEntry.action.startswith(action))
    rows = s.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return rows, s.scalar(count) or 0


def last_change(s: Session, target: str) -> Optional[AuditEntry]:
    return s.scalar(select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.id.desc()))
