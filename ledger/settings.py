"""Per-bank settings stored in the database: the policy numbers and the bank's own details."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.errors import InvalidInput
from ledger.orm import BankSetting
from ledger.policy import Policy

_CACHE = "wela.policy"
_POLICY = select(BankSetting.__table__.c.key, BankSetting.__table__.c.value).where(
    BankSetting.__table__.c.key.in_(Policy.names()))


def load_policy(s: Session) -> Policy:
    """The bank's policy: stored values over the defaults. Cached for the session's life."""
    cached = s.info.get(_CACHE)
    if cached is not None:
        return cached
    s.flush()                                          # a setting changed in this session counts
    stored = {k: int(v) for k, v in s.connection().execute(_POLICY)}   # Core: read on every payment
    policy = Policy(**stored)
    s.info[_CACHE] = policy
    return policy


def set_policy(s: Session, **values: object) -> Policy:
    """Change policy numbers; the whole new policy is validated before anything is stored."""
    unknown = set(values) - set(Policy.names())
    if unknown:
        raise InvalidInput(f"ไม่รู้จักค่าตั้ง: {', '.join(sorted(unknown))}",
                           f"unknown policy settings: {', '.join(sorted(unknown))}")
    try:
        policy = load_policy(s).with_values(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidInput("ค่าตั้งไม่ถูกต้อง", f"invalid policy: {exc}") from None
    for key, value in values.items():
        s.merge(BankSetting(key=key, value=str(value)))
    s.flush()
    s.info[_CACHE] = policy
    return policy


_SETTING = select(BankSetting.__table__.c.value).where(BankSetting.__table__.c.key == bindparam("key"))


def get_setting(s: Session, key: str, default: str = "") -> str:
    s.flush()                                          # a setting put in this session counts
    value = s.connection().execute(_SETTING, {"key": key}).scalar()
    return default if value is None else value


def put_setting(s: Session, key: str, value: str) -> None:
    s.merge(BankSetting(key=key, value=value))
    s.flush()
