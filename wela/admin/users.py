"""Staff accounts: create, change password, sign in with a rate limit. Plain use cases, no Flask."""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ledger.clock import Clock
from ledger.errors import Conflict, InvalidInput, NotFound
from wela.admin.orm import STAFF_ROLES, LoginAttempt, User

ROLE_TH = {"manager": "ผู้จัดการธนาคาร", "headman": "ผู้ใหญ่บ้าน", "auditor": "ผู้ตรวจสอบ"}
MIN_PASSWORD = 8
FAILURES_PER_USER = 5             # per username and address, within WINDOW
FAILURES_PER_ADDRESS = 20         # any usernames from one address, within WINDOW
WINDOW = timedelta(minutes=15)
_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,59}")


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong name costs as long as a wrong password."""
    return generate_password_hash("not a real password, only for timing")


def normalise_username(raw: str) -> str:
    return (raw or "").strip().lower()


def _check_password(password: str, username: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD} ตัวอักษร",
                           f"the password must have at least {MIN_PASSWORD} characters")
    if password.strip().lower() == username:
        raise InvalidInput("รหัสผ่านต้องไม่เหมือนชื่อผู้ใช้", "the password must differ from the username")


def create_user(s: Session, *, username: str, role: str, password: str, clock: Clock,
                display_name: str = "") -> User:
    name = normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise InvalidInput("ชื่อผู้ใช้ใช้ได้เฉพาะตัวอักษรอังกฤษพิมพ์เล็ก ตัวเลข และ . _ - (2–60 ตัว)",
                           "username: 2–60 of a-z, 0-9, '.', '_', '-'")
    if role not in STAFF_ROLES:
        raise InvalidInput("บทบาทต้องเป็น ผู้จัดการ ผู้ใหญ่บ้าน หรือ ผู้ตรวจสอบ",
                           f"role must be one of {', '.join(STAFF_ROLES)}")
    _check_password(password, name)
    if s.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"มีชื่อผู้ใช้ {name} แล้ว", f"user {name} already exists")
    user = User(username=name, display_name=(display_name or "").strip()[:120] or name, role=role,
                password_hash=generate_password_hash(password), active=True, created_at=clock.now())
    s.add(user)
    s.flush()
    return user


def get_user(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"ไม่พบผู้ใช้ {username}", f"no user {username}")
    return user


def list_users(s: Session) -> Sequence[User]:
    return s.scalars(select(User).order_by(User.username)).all()


def set_password(s: Session, user: User, password: str) -> None:
    _check_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    s.flush()


def set_active(s: Session, user: User, active: bool) -> None:
    user.active = active
    s.flush()


def session_stamp(user: User) -> str:
    """Changes when the password changes or the user signs out: every browser holding an older
    session cookie (a copy included) then has to sign in again."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_epoch or 0}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LoginResult:
    user: Optional[User]
    refused_th: str = ""
    refused_en: str = ""
    rate_limited: bool = False


def authenticate(s: Session, *, username: str, password: str, address: str, clock: Clock) -> LoginResult:
    """Check a sign-in and record the attempt. The caller commits, whatever the result."""
    name = normalise_username(username)[:60]
    now = clock.now()
    since = now - WINDOW
    s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=2)))
    per_user = s.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == name, LoginAttempt.address == address[:64],
        LoginAttempt.success.is_(False), LoginAttempt.at >= since)) or 0
    per_address = s.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.address == address[:64], LoginAttempt.success.is_(False),
        LoginAttempt.at >= since)) or 0
    if per_user >= FAILURES_PER_USER or per_address >= FAILURES_PER_ADDRESS:
        minutes = int(WINDOW.total_seconds() // 60)
        return LoginResult(None, f"ใส่รหัสผิดหลายครั้งเกินไป กรุณารอ {minutes} นาทีแล้วลองใหม่",
                           f"too many failed sign-ins; wait {minutes} minutes", rate_limited=True)
    user = s.scalar(select(User).where(User.username == name))
    good = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    ok = bool(user and good and user.active)
    s.add(LoginAttempt(at=now, username=name, address=address[:64], success=ok))
    if not ok:
        s.flush()
        if user and good and not user.active:
            return LoginResult(None, "บัญชีนี้ถูกปิดใช้งาน กรุณาติดต่อผู้จัดการธนาคาร",
                               "this account is disabled")
        return LoginResult(None, "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", "wrong username or password")
    user.last_login_at = now
    s.flush()
    return LoginResult(user)
