"""The life cycle of a help request as a table of allowed moves. Pure."""
from __future__ import annotations

from ledger.errors import Conflict

STATE_TH = {"open": "รอหาผู้ช่วย", "offered": "เสนองานแล้ว", "assigned": "มีผู้ช่วยแล้ว",
            "done": "ช่วยเสร็จแล้ว", "confirmed": "ผู้รับยืนยันแล้ว", "paid": "จ่ายเวลาแล้ว",
            "cancelled": "ยกเลิก", "expired": "หมดเวลา", "disputed": "มีข้อโต้แย้ง",
            "no_show": "ผู้ช่วยไม่มา"}

MOVES: dict[str, tuple[str, ...]] = {
    "open": ("offered", "assigned", "cancelled", "expired"),
    "offered": ("open", "offered", "assigned", "cancelled", "expired"),
    "assigned": ("done", "confirmed", "disputed", "cancelled", "no_show", "open"),
    "done": ("confirmed", "disputed"),
    "confirmed": ("paid",),
    "disputed": ("paid", "no_show", "cancelled"),
    "paid": (),
    "cancelled": (),
    "expired": (),
    "no_show": (),
}
FINISHED = tuple(state for state, moves in MOVES.items() if not moves)
ACTIVE = ("open", "offered", "assigned", "done", "confirmed", "disputed")


def can_move(state: str, to: str) -> bool:
    return to in MOVES.get(state, ())


def require_move(state: str, to: str) -> None:
    if not can_move(state, to):
        raise Conflict(f"ทำไม่ได้: คำขอนี้อยู่ในสถานะ '{STATE_TH.get(state, state)}'",
                       f"a request in state {state!r} cannot become {to!r}", state=state, to=to)
