"""Import the paper-era member register from CSV or Excel (dry run first), export it back."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.clock import Clock
from ledger.errors import InvalidInput
from ledger.members import register_member
from ledger.orm import Member
from ledger.phones import display_phone
from ledger.registry import COLUMN_TH, COLUMNS, REQUIRED, availability_text, clean_member

MAX_ROWS = 20_000
EXPORT_COLUMNS = ("number", "name", "phone", "village", "moo", "role", "birth_year", "skills",
                  "needs", "health_notes", "availability", "speak_slowly", "consent_on",
                  "consent_by", "status")
ROLE_TH = {"elder": "ผู้สูงอายุ", "volunteer": "จิตอาสา", "both": "ทั้งสองอย่าง",
           "coordinator": "ผู้ประสานงาน"}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    th: str
    en: str

    def __str__(self) -> str:
        col = COLUMN_TH.get(self.column, self.column)
        return f"แถว {self.line} ช่อง {col}: {self.th} / line {self.line}, {self.column}: {self.en}"


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True

    @property
    def clean(self) -> bool:
        return not self.errors


def read_rows(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header → our column names, and (line number, values) per non-empty row."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        raw_rows = _xlsx_rows(data)
    elif suffix == ".csv":
        raw_rows = _csv_rows(data)
    else:
        raise InvalidInput("รองรับเฉพาะไฟล์ .csv หรือ .xlsx", f"only .csv or .xlsx files, not {suffix or filename!r}")
    try:
        header = next(raw_rows)
    except StopIteration:
        raise InvalidInput("ไฟล์ว่างเปล่า", "the file is empty") from None
    mapping = _map_header(header)
    rows = []
    for line, values in enumerate(raw_rows, start=2):
        if line - 1 > MAX_ROWS:
            raise InvalidInput(f"ไฟล์มีมากกว่า {MAX_ROWS} แถว", f"more than {MAX_ROWS} rows")
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {mapping[i]: v for i, v in enumerate(values) if i in mapping}
        rows.append((line, row))
    return [mapping[i] for i in sorted(mapping)], rows


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "cp874"):          # cp874: Thai Windows Excel's own CSV
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput("อ่านไฟล์ CSV ไม่ได้ (ไม่ใช่ UTF-8 หรือ TIS-620)", "cannot decode the CSV file")
    if "\x00" in text:
        raise InvalidInput("ไฟล์นี้ไม่ใช่ตาราง CSV", "this is not a CSV file")
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as exc:                         # e.g. an unclosed quote over 128 kB
        raise InvalidInput("อ่านไฟล์ CSV ไม่ได้ (รูปแบบไฟล์เสีย)", f"not a readable CSV file: {exc}") from None


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    rows: list[list[Any]] = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS + 1:          # enough for read_rows to refuse the file
                    break
        finally:
            book.close()
    except Exception:  # noqa: BLE001  a damaged workbook fails in many ways inside openpyxl
        raise InvalidInput("เปิดไฟล์ Excel ไม่ได้ (ไฟล์เสียหรือไม่ใช่ .xlsx)", "not a readable .xlsx file") from None
    yield from rows


def _map_header(header: Sequence[Any]) -> dict[int, str]:
    known = {alias.lower(): col for col, aliases in COLUMNS.items() for alias in aliases}
    mapping: dict[int, str] = {}
    for i, cell in enumerate(header):
        name = str(cell or "").strip().lower()
        if name in ("number", "เลขที่", "เลขสมาชิก", "ลำดับ"):
            continue
        if name in known:
            mapping[i] = known[name]
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        th = ", ".join(COLUMN_TH[c] for c in missing)
        raise InvalidInput(f"ไฟล์ขาดคอลัมน์: {th}", f"missing columns: {', '.join(missing)}",
                           missing=missing)
    return mapping


def check_rows(s: Session, rows: Iterable[tuple[int, dict[str, Any]]]) -> tuple[list, list[RowError]]:
    """Validate every row, and phones against each other and the register. Nothing is written."""
    errors: list[RowError] = []
    good = []
    seen: dict[str, int] = {}
    for line, row in rows:
        clean = clean_member(row)
        errors.extend(RowError(line, e.column, e.th, e.en) for e in clean.errors)
        phone = clean.values.get("phone")
        if phone:
            if phone in seen:
                errors.append(RowError(line, "phone", f"เบอร์ซ้ำกับแถว {seen[phone]}",
                                       f"same phone as line {seen[phone]}"))
            elif s.scalar(select(Member.id).where(Member.phone == phone)) is not None:
                errors.append(RowError(line, "phone", "เบอร์นี้มีในทะเบียนแล้ว", "phone already registered"))
            seen.setdefault(phone, line)
        if not clean.errors:
            good.append(row)
    return good, errors


def import_members(s: Session, data: bytes, filename: str, *, clock: Clock, entered_by: str,
                   dry_run: bool = True) -> ImportReport:
    """Dry run by default. Writes only when the whole file is clean, all rows in one transaction."""
    _, rows = read_rows(data, filename)
    good, errors = check_rows(s, rows)
    report = ImportReport(rows=len(rows), errors=errors, dry_run=dry_run)
    if dry_run or errors:
        return report
    for row in good:
        register_member(s, clock=clock, entered_by=entered_by, **row)
    report.imported = len(good)
    return report


def export_rows(members: Iterable[Member], *, with_sensitive: bool = True) -> Iterator[list[Any]]:
    yield [COLUMN_TH.get(c, "เลขที่") if c != "number" else "เลขที่" for c in EXPORT_COLUMNS]
    for m in members:
        yield [m.id, m.name, display_phone(m.phone), m.village, m.moo or "", ROLE_TH[m.role],
               m.birth_year + 543 if m.birth_year else "", ", ".join(m.skills or []),
               m.needs if with_sensitive else "", m.health_notes if with_sensitive else "",
               availability_text(m.availability or {}), "ใช่" if m.speak_slowly else "",
               f"{m.consent_on.day}/{m.consent_on.month}/{m.consent_on.year + 543}" if m.consent_on else "",
               m.consent_by, "พัก" if m.status == "paused" else "ปกติ"]


def export_members(members: Iterable[Member], fmt: str, *, with_sensitive: bool = True) -> bytes:
    """The register as .csv (UTF-8 with BOM, so Thai Excel opens it right) or .xlsx."""
    rows = export_rows(members, with_sensitive=with_sensitive)
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "สมาชิก"
        for row in rows:
            sheet.append(row)
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    raise InvalidInput("รูปแบบไฟล์ต้องเป็น csv หรือ xlsx", f"format must be csv or xlsx, not {fmt!r}")
