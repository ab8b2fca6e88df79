"""Reports the handbook asks for: hours given, active members, hoarding, zero balances, loans, statements."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from ledger.orm import Account, Member, Posting, Transfer
from ledger.policy import Minutes
from ledger.service import POOL, pool_balance
from ledger.settings import load_policy

KIND_TH = {"opening": "เครดิตเริ่มต้น", "service": "ค่าบริการ", "transfer": "โอน", "donation": "บริจาค",
           "grant": "ได้รับจากกองกลาง", "loan": "ยืมเวลา", "repay": "คืนเวลาที่ยืม",
           "reversal": "กลับรายการ"}


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def _service_minutes(s: Session, start: date, end: date) -> Minutes:
    """Minutes paid for help in [start, end), net of reversals of such payments."""
    paid = s.scalar(select(func.coalesce(func.sum(Transfer.amount), 0))
                    .where(Transfer.kind == "service", Transfer.effective_on >= start,
                           Transfer.effective_on < end)) or 0
    original = aliased(Transfer)
    reversed_ = s.scalar(select(func.coalesce(func.sum(Transfer.amount), 0))
                         .join(original, original.id == Transfer.reverses_id)
                         .where(original.kind == "service", Transfer.effective_on >= start,
                                Transfer.effective_on < end)) or 0
    return int(paid) - int(reversed_)


@dataclass(frozen=True)
class MonthFigures:
    year: int
    month: int
    minutes_given: Minutes
    givers: int
    receivers: int


def month_figures(s: Session, year: int, month: int) -> MonthFigures:
    start, end = month_bounds(year, month)
    payer, payee = aliased(Account), aliased(Account)
    reversal = aliased(Transfer)
    base = (select(Transfer.id).where(Transfer.kind == "service", Transfer.effective_on >= start,
                                      Transfer.effective_on < end)
            .where(~select(reversal.id).where(reversal.reverses_id == Transfer.id).exists()))
    givers = s.scalar(select(func.count(func.distinct(payee.member_id)))
                      .join(Transfer, Transfer.to_account_id == payee.id)
                      .where(Transfer.id.in_(base))) or 0
    receivers = s.scalar(select(func.count(func.distinct(payer.member_id)))
                         .join(Transfer, Transfer.from_account_id == payer.id)
                         .where(Transfer.id.in_(base))) or 0
    return MonthFigures(year, month, _service_minutes(s, start, end), givers, receivers)


def hours_per_month(s: Session, until: date, months: int = 12) -> list[MonthFigures]:
    out = []
    y, m = until.year, until.month
    for _ in range(months):
        out.append(month_figures(s, y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(out))


@dataclass(frozen=True)
class MemberFigure:
    member_id: int
    name: str
    phone: str
    village: str
    minutes: Minutes


def _member_accounts(s: Session, kind: str, condition) -> list[MemberFigure]:  # noqa: ANN001
    rows = s.execute(select(Member.id, Member.name, Member.phone, Member.village, Account.balance)
                     .join(Account, and_(Account.member_id == Member.id, Account.kind == kind))
                     .where(condition).order_by(Account.balance.desc(), Member.id))
    return [MemberFigure(i, n, p, v, b if kind == "member" else -b) for i, n, p, v, b in rows]


def near_cap(s: Session, share: float = 0.9) -> list[MemberFigure]:
    """Possible hoarding: members at or above `share` of the balance cap."""
    cap = load_policy(s).balance_cap_minutes
    return _member_accounts(s, "member", Account.balance >= int(cap * share))


def at_zero(s: Session) -> list[MemberFigure]:
    """Members stuck with nothing left to ask for help with."""
    return _member_accounts(s, "member", and_(Account.balance - Account.held <= 0,
                                              Member.status == "active"))


def open_loans(s: Session) -> list[MemberFigure]:
    return _member_accounts(s, "loan", Account.balance < 0)


@dataclass(frozen=True)
class Summary:
    members: int
    pool: Minutes
    this_month: MonthFigures
    last_month: MonthFigures
    near_cap: list[MemberFigure]
    at_zero: list[MemberFigure]
    open_loans: list[MemberFigure]


def summary(s: Session, today: date) -> Summary:
    last = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return Summary(members=s.scalar(select(func.count(Member.id))) or 0, pool=pool_balance(s),
                   this_month=month_figures(s, today.year, today.month),
                   last_month=month_figures(s, *last), near_cap=near_cap(s), at_zero=at_zero(s),
                   open_loans=open_loans(s))


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    day: date
    kind: str
    description: str
    amount: Minutes
    running: Minutes


@dataclass(frozen=True)
class Statement:
    member_id: int
    name: str
    year: int
    month: int
    opening: Minutes
    lines: list[StatementLine]
    closing: Minutes
    held: Minutes
    loan_owed: Minutes


def statement(s: Session, member_id: int, year: int, month: int) -> Statement:
    """A member's month: opening balance, every movement with its other side, closing balance."""
    member = s.get(Member, member_id)
    if member is None:
        from ledger.errors import NotFound
        raise NotFound(f"ไม่พบสมาชิกเลขที่ {member_id}", f"no member {member_id}")
    start, end = month_bounds(year, month)
    account = s.scalar(select(Account).where(Account.code == f"member:{member_id}"))
    loan = s.scalar(select(Account).where(Account.code == f"loan:{member_id}"))
    opening = s.scalar(select(func.coalesce(func.sum(Posting.amount), 0))
                       .join(Transfer, Transfer.id == Posting.transfer_id)
                       .where(Posting.account_id == account.id, Transfer.effective_on < start)) or 0
    rows = s.execute(select(Transfer, Posting.amount)
                     .join(Posting, Posting.transfer_id == Transfer.id)
                     .where(Posting.account_id == account.id, Transfer.effective_on >= start,
                            Transfer.effective_on < end)
                     .order_by(Transfer.effective_on, Transfer.id)).all()
    names = _counterparty_names(s, [t for t, _ in rows], account.id)
    running = int(opening)
    lines = []
    for t, amount in rows:
        running += amount
        other = names.get(t.id, "")
        desc = KIND_TH.get(t.kind, t.kind) + (f" · {other}" if other else "")
        if t.reason:
            desc += f" · {t.reason}"
        lines.append(StatementLine(t.id, t.effective_on, t.kind, desc, amount, running))
    return Statement(member_id, member.name, year, month, int(opening), lines, running,
                     account.held, -(loan.balance if loan else 0))


def _counterparty_names(s: Session, transfers: list[Transfer], account_id: int) -> dict[int, str]:
    other_ids = {t.id: (t.from_account_id if t.to_account_id == account_id else t.to_account_id)
                 for t in transfers}
    if not other_ids:
        return {}
    names = dict(s.execute(select(Account.id, func.coalesce(Member.name, Account.code))
                           .outerjoin(Member, and_(Member.id == Account.member_id, Account.kind == "member"))
                           .where(Account.id.in_(set(other_ids.values())))).all())
    # a loan or its repayment moves credits between the member and their own loan account:
    # there is no other person to name
    labels = {POOL: "กองกลาง", "issuance": "ธนาคาร",
              **{code: "" for code in names.values() if code.startswith("loan:")}}
    return {tid: labels.get(names.get(aid, ""), names.get(aid, "")) for tid, aid in other_ids.items()}


def member_history(s: Session, member_id: int, limit: int = 50) -> list[StatementLine]:
    """The latest movements of a member, newest first (profile pages, SMS 'ยอด')."""
    account_id = s.scalar(select(Account.id).where(Account.code == f"member:{member_id}"))
    if account_id is None:
        return []
    rows = s.execute(select(Transfer, Posting.amount).join(Posting, Posting.transfer_id == Transfer.id)
                     .where(Posting.account_id == account_id)
                     .order_by(Transfer.id.desc()).limit(limit)).all()
    names = _counterparty_names(s, [t for t, _ in rows], account_id)
    return [StatementLine(t.id, t.effective_on, t.kind,
                          KIND_TH.get(t.kind, t.kind) + (f" · {names[t.id]}" if names.get(t.id) else ""),
                          amount, 0) for t, amount in rows]


def find_transfer(s: Session, transfer_id: int) -> Optional[Transfer]:
    return s.get(Transfer, transfer_id)
