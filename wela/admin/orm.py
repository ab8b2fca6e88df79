"""Tables of the admin web: staff accounts, login attempts (rate limit), the audit trail, announcements."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.orm import Base

STAFF_ROLES = ("manager", "headman", "auditor")


class User(Base):
    """A person who runs the bank from the web pages (not a member of the bank as such)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[Optional[datetime]]
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # +1 at sign-out

    __table_args__ = (CheckConstraint("role in ('manager','headman','auditor')", name="role"),)


class LoginAttempt(Base):
    """One try at signing in; failures per username and address drive the rate limit."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_login_attempts_user_at", "username", "address", "at"),
                      Index("ix_login_attempts_address_at", "address", "at"))


class AuditEntry(Base):
    """Who changed what, when. Written in the same transaction as the change; never edited."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_log_at", "at"),)


class Announcement(Base):
    """A loudspeaker announcement (เสียงตามสาย): its text, what was spoken and the MP3 made of it."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(40), default="free")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    spoken_text: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(200), default="")
    engine: Mapped[str] = mapped_column(String(60), default="")
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_ms: Mapped[Optional[int]]
    play_at: Mapped[Optional[datetime]]       # when the headman means to play it
    made_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_announcements_created", "created_at"),)


__all__ = ["User", "LoginAttempt", "AuditEntry", "Announcement", "STAFF_ROLES"]
