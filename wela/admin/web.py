"""What every admin view shares: the container, one transaction with its audit line, member lookup."""
from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any, Callable, Optional, TypeVar

from flask import current_app, flash
from sqlalchemy.orm import Session

from ledger.clock import local_date
from ledger.errors import InvalidInput, NotFound, WelaError
from ledger.members import find_member, search_members
from ledger.orm import Member
from ledger.phones import looks_like_phone
from wela.admin.audit import audit
from wela.admin.i18n import error_text
from wela.admin.security import current_user
from wela.bootstrap import Wela
from wela.db import atomic

T = TypeVar("T")
KEY = re.compile(r"[0-9a-f]{32}")
_LEADING_NUMBER = re.compile(r"\s*[#mM]?(\d{1,7})(?:\s+\S.*)?")


def wela() -> Wela:
    return current_app.extensions["wela"]


def today() -> date:
    return local_date(wela().clock.now())


def change(work: Callable[[Session], T], action: str, target: Callable[[T], str] | str = "",
           more: Optional[Callable[[T], dict[str, Any]]] = None, **detail: Any) -> T:
    """Run `work` in one transaction and write the audit line in that same transaction.

    `target` and `more` may be functions of the result (the new member's number, a receipt).
    """
    w = wela()
    user = current_user()

    def unit(s: Session) -> T:
        result = work(s)
        if getattr(result, "replayed", False):
            return result                # a double-submitted form: recorded once already
        label = target(result) if callable(target) else target
        extra = more(result) if more else {}
        audit(s, clock=w.clock, username=user.username if user else "?", action=action,
              target=label, **detail, **extra)
        return result

    return atomic(w.sessions, unit)


def new_key() -> str:
    """The idempotency key a ledger form carries from the moment it is drawn."""
    return uuid.uuid4().hex


def ledger_key(raw: str) -> str:
    if not KEY.fullmatch(raw or ""):
        raise InvalidInput("แบบฟอร์มไม่สมบูรณ์ กรุณาโหลดหน้าใหม่", "the form's key is missing or malformed")
    return f"web:{raw}"


def resolve_member(s: Session, text: str) -> Member:
    """A member from what a person types: number, "12 ยายสมศรี" (from the list), phone, or a unique name."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput("กรุณาระบุสมาชิก", "a member is required")
    if looks_like_phone(raw):
        return find_member(s, raw)
    m = _LEADING_NUMBER.fullmatch(raw)
    if m:
        return find_member(s, m[1])
    found = [x for x in search_members(s, raw, limit=20) if raw in x.name]   # names only, never digits
    exact = [x for x in found if x.name.strip() == raw]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]
    if found:
        raise InvalidInput(f"มีสมาชิกที่ตรงกับ '{raw}' หลายคน กรุณาใส่เลขสมาชิก",
                           f"several members match {raw!r}; use the member number")
    raise NotFound(f"ไม่พบสมาชิก '{raw}'", f"no member {raw!r}")


def member_choices(s: Session, limit: int = 3000) -> list[str]:
    """Suggestions for member fields (an HTML datalist): "12 ยายสมศรี ใจดี"."""
    return [f"{m.id} {m.name}" for m in search_members(s, limit=limit)]


def show_error(err: WelaError, form: Any = None) -> None:
    """Put a domain error on the form's fields (when it names them) or at the top of the page."""
    placed = False
    if form is not None:
        for column, th, en in err.details.get("errors", []):
            field = getattr(form, column, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors) + [en if _en() else th]
                placed = True
    if not placed:
        flash(error_text(err), "error")


def _en() -> bool:
    from wela.admin.i18n import current_lang

    return current_lang() == "en"


def scheduler_env():  # noqa: ANN201
    """The scheduler's Env (a test may hand one in as adapters.extra["scheduler_env"])."""
    from wela.wiring import scheduler_env as build

    return build(wela())


MAX_PAGE = 1_000_000      # beyond any real list; a larger ?page= would overflow SQLite's OFFSET (a 500)


def page_args(page: Optional[str], size: int = 50) -> tuple[int, int, int]:
    try:
        number = min(max(1, int(page or 1)), MAX_PAGE)
    except ValueError:
        number = 1
    return number, size, (number - 1) * size
