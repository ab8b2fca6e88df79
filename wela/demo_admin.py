"""`wela demo`, admin part: the demo accounts for the web pages, printed so a new user can sign in."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from wela.admin.orm import User
from wela.admin.users import create_user, set_active, set_password
from wela.bootstrap import Wela
from wela.db import atomic

DEMO_PASSWORD = "wela-demo"
ACCOUNTS = (("admin", "manager", "คุณสมใจ ใจงาม"),
            ("headman", "headman", "ผู้ใหญ่สมศักดิ์"),
            ("auditor", "auditor", "ผู้ตรวจสอบบัญชี"))


def load(w: Wela) -> Iterator[str]:
    """Create the demo accounts, or reset them to the demo password (idempotent)."""
    def work(s):  # noqa: ANN001, ANN202
        for username, role, name in ACCOUNTS:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                create_user(s, username=username, role=role, password=DEMO_PASSWORD, clock=w.clock,
                            display_name=name)
            else:
                user.role, user.display_name = role, name
                set_password(s, user, DEMO_PASSWORD)
                set_active(s, user, True)

    atomic(w.sessions, work)
    yield ""
    yield "หน้าเว็บสำหรับผู้จัดการธนาคาร / web pages: run `wela serve`, open http://127.0.0.1:5000/"
    for username, role, name in ACCOUNTS:
        yield f"  ชื่อผู้ใช้ / username: {username:<8}  รหัสผ่าน / password: {DEMO_PASSWORD}  ({name})"
