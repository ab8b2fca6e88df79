"""`wela demo`: create or refresh a demo village (idempotent), so the service runs end to end."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from ledger.members import register_member, update_member
from ledger.orm import Member
from ledger.phones import display_phone, parse_phone
from wela.bootstrap import Wela
from wela.db import atomic
from wela.demo_admin import load as load_admin
from wela.demo_requests import load as load_requests

VILLAGE = "บ้านหนองบัว"

MEMBERS = [
    dict(name="ยายสมศรี ใจดี", phone="081-234-5678", role="elder", moo="5", birth_year="2484",
         needs="พาไปอนามัยทุกเดือน", health_notes="ความดันสูง สายตาไม่ดี", speak_slowly="1",
         consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="ตาบุญมี มีสุข", phone="081-555-0101", role="elder", moo="5", birth_year="2480",
         needs="ซื้อของ ซ่อมหลังคา", health_notes="เดินไม่สะดวก", speak_slowly="1",
         consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="ยายคำ แก้วมา", phone="081-555-0102", role="elder", moo="4", birth_year="2488",
         needs="อยู่คนเดียว อยากมีเพื่อนคุย", consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="สมชาย รักษ์ดี", phone="089-111-2233", role="volunteer", moo="5", birth_year="2520",
         skills="clinic, errand", availability="ทุกวัน เช้า บ่าย", consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="มาลี ศรีสุข", phone="089-111-4455", role="both", moo="5", birth_year="2515",
         skills="errand, visit, home", availability="ทุกวัน บ่าย เย็น", consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="น้องฝน ใจงาม", phone="089-111-6677", role="volunteer", moo="4", birth_year="2550",
         skills="visit, errand", availability="ส-อา เช้า บ่าย", consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="ประยูร ช่างซ่อม", phone="089-111-8899", role="volunteer", moo="4", birth_year="2505",
         skills="home", availability="จ-ส เช้า", consent_by="ผู้ใหญ่สมศักดิ์"),
    dict(name="ผู้ใหญ่สมศักดิ์ นำชัย", phone="086-000-1111", role="coordinator", moo="5",
         birth_year="2510", consent_by="ผู้ใหญ่สมศักดิ์"),
]


def load_demo(w: Wela) -> Iterator[str]:
    """Register (or refresh) the demo members, then their requests and the staff accounts."""
    yield f"หมู่บ้านตัวอย่าง / demo village: {VILLAGE}"
    for fields in MEMBERS:
        member = atomic(w.sessions, lambda s, f=fields: _upsert(s, w, f))
        yield f"  #{member.id:<3} {member.name:<24} {display_phone(member.phone)}  {member.role}"
    yield from load_requests(w)
    yield from load_admin(w)


def _upsert(s, w: Wela, fields: dict) -> Member:  # noqa: ANN001
    fields = {**fields, "village": VILLAGE}
    member = s.scalar(select(Member).where(Member.phone == parse_phone(fields["phone"])))
    if member is None:
        return register_member(s, clock=w.clock, entered_by="demo", **fields)
    changes = {k: v for k, v in fields.items() if k not in ("phone",)}
    return update_member(s, member, **changes)
