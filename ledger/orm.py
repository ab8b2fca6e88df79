"""Database tables of the ledger (SQLAlchemy 2.0 declarations) and the shared declarative Base."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (JSON, BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer,
                        MetaData, String, Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Moments are stored in UTC and come back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; store aware ones")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


ROLES = ("elder", "volunteer", "both", "coordinator")
GIVING_ROLES = ("volunteer", "both")          # who can be offered help to give
MEMBER_STATUSES = ("active", "paused")


class Member(Base):
    """One person of the bank. The id is the member number written on the paper register."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    village: Mapped[str] = mapped_column(String(120), default="")
    moo: Mapped[Optional[int]]
    role: Mapped[str] = mapped_column(String(16))
    birth_year: Mapped[Optional[int]]
    skills: Mapped[list[str]] = mapped_column(default=list)
    needs: Mapped[str] = mapped_column(Text, default="")
    health_notes: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[dict[str, Any]] = mapped_column(default=dict)
    speak_slowly: Mapped[bool] = mapped_column(default=False)
    consent_on: Mapped[Optional[date]]
    consent_by: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(10), default="active")
    paused_until: Mapped[Optional[date]]
    pin_hash: Mapped[Optional[str]] = mapped_column(String(200))
    joined_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("role in ('elder','volunteer','both','coordinator')", name="role"),
        CheckConstraint("status in ('active','paused')", name="status"),
        Index("ix_members_village", "village"),      # the matcher reads a village's volunteers
    )

    @property
    def gives(self) -> bool:
        return self.role in GIVING_ROLES

    @property
    def receives(self) -> bool:
        return self.role in ("elder", "both")


ACCOUNT_KINDS = ("member", "loan", "pool", "issuance")


class Account(Base):
    """A place credits live. `balance` and `held` are kept in step with postings under a row lock."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)   # member:7, loan:7, pool, issuance
    kind: Mapped[str] = mapped_column(String(10))
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("held >= 0", name="held_not_negative"),)


class Transfer(Base):
    """One immutable journal entry. Its postings sum to zero. Never edited, never deleted."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    effective_on: Mapped[date]
    created_at: Mapped[datetime]
    entered_by: Mapped[str] = mapped_column(String(120))
    on_behalf_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    reverses_id: Mapped[Optional[int]] = mapped_column(ForeignKey("transfers.id"), unique=True)

    postings: Mapped[list["Posting"]] = relationship(back_populates="transfer", order_by="Posting.id")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_transfers_effective_on", "effective_on"),
    )


class Posting(Base):
    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)

    transfer: Mapped[Transfer] = relationship(back_populates="postings")

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_postings_account_transfer", "account_id", "transfer_id"),
        Index("ix_postings_transfer", "transfer_id"),
    )


HOLD_STATES = ("pending", "posted", "voided")


class Hold(Base):
    """A two-phase transfer: credits reserved when help is booked, then posted or voided."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    payer_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    payee_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime]
    finished_at: Mapped[Optional[datetime]]
    transfer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("transfers.id"))
    entered_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("state in ('pending','posted','voided')", name="state"),
    )


class MonthClose(Base):
    __tablename__ = "month_closes"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    closed_at: Mapped[datetime]
    closed_by: Mapped[str] = mapped_column(String(120))


class BankSetting(Base):
    """Per-bank settings (the policy numbers and the bank's name), one row per key."""

    __tablename__ = "bank_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = ["Base", "Member", "Account", "Transfer", "Posting", "Hold", "MonthClose", "BankSetting",
           "ROLES", "ACCOUNT_KINDS", "HOLD_STATES"]
