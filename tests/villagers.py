"""The small village most tests share: ยายสมศรี asks, สมชาย and มาลี help, ผู้ใหญ่สมศักดิ์ coordinates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ledger.members import register_member, set_pin
from wela.db import atomic


@dataclass
class Village:
    somsri: int
    somchai: int
    malee: int
    headman: int


def add_village(sessions, clock, *, somsri_pin: Optional[str] = None) -> Village:  # noqa: ANN001
    """Register the four villagers of บ้านหนองบัว (each with the starting credits)."""
    def work(s):  # noqa: ANN001, ANN202
        def add(**fields):  # noqa: ANN202
            return register_member(s, clock=clock, entered_by="test", village="บ้านหนองบัว", **fields)
        somsri = add(name="ยายสมศรี ใจดี", phone="081-234-5678", role="elder", moo="5")
        if somsri_pin:
            set_pin(s, somsri, somsri_pin)
        return Village(
            somsri=somsri.id,
            somchai=add(name="สมชาย รักษ์ดี", phone="089-111-2233", role="volunteer", moo="5",
                        skills="clinic, errand", availability="ทุกวัน เช้า บ่าย").id,
            malee=add(name="มาลี ศรีสุข", phone="089-111-4455", role="both", moo="4",
                      skills="errand, visit", availability="ทุกวัน บ่าย เย็น").id,
            headman=add(name="ผู้ใหญ่สมศักดิ์ นำชัย", phone="086-000-1111", role="coordinator", moo="5").id,
        )
    return atomic(sessions, work)
