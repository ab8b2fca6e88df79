"""The member register as villages keep it: Thai-headed CSV and Excel files in, the same files out."""
import csv
import io
import os
import re
from datetime import date, datetime

import pytest
from hypothesis import given, strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from ledger import service
from ledger.errors import InvalidInput
from ledger.members import register_member
from ledger.orm import Member
from ledger.phones import display_phone, parse_phone
from ledger.registry import (PARTS, WEEKDAYS, availability_text, clean_member, parse_availability,
                             parse_birth_year, parse_bool, parse_day, parse_moo, parse_role,
                             parse_skills, parse_status)
from ledger.registry_io import export_members, import_members, read_rows
from tests.databases import drop_postgres, fresh_postgres, migrated_sqlite
from wela.db import atomic, make_engine, make_sessions

THAI = range(0x0E00, 0x0E80)


def has_thai(text: str) -> bool:
    return any(ord(ch) in THAI for ch in text)


def english(text: str) -> bool:
    """English words around whatever Thai value the message quotes."""
    return re.match(r"[a-z_]+ ", text) is not None


# --- phones, in every way Thai people write them ------------------------------------------------

@pytest.mark.parametrize("written", ["081-234-5678", "0812345678", "081 234 5678", "+66812345678",
                                     "+66 81 234 5678", "66812345678", "๐๘๑-๒๓๔-๕๖๗๘", "๐๘๑๒๓๔๕๖๗๘",
                                     " 081-234-5678 "])
def test_somsri_phone_is_the_same_number_however_it_is_written(written):
    assert parse_phone(written) == "+66812345678"


def test_a_landline_in_the_village_office_is_a_phone_too():
    assert parse_phone("02-123-4567") == "+6621234567"
    assert display_phone("+6621234567") == "02-123-4567"


@pytest.mark.parametrize("bad", ["", "   ", "12345", "081-23", "abc", "0812345678901234", "๐๘๑"])
def test_a_malformed_phone_is_refused_in_thai_and_english(bad):
    with pytest.raises(InvalidInput) as err:
        parse_phone(bad)
    assert "เบอร์โทรศัพท์" in err.value.th
    assert "phone" in err.value.en


def test_phones_are_shown_the_way_thai_people_write_them():
    assert display_phone("+66812345678") == "081-234-5678"
    assert display_phone(parse_phone("๐๘๙-๑๑๑-๒๒๓๓")) == "089-111-2233"


# --- availability, roles, skills, years, dates -------------------------------------------------

WEEKDAYS_MORNING = {d: ["morning"] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.mark.parametrize("written, meaning", [
    ("จ-ศ เช้า", WEEKDAYS_MORNING),
    ("จ.-ศ. เช้า", WEEKDAYS_MORNING),
    ("จันทร์-ศุกร์ เช้า", WEEKDAYS_MORNING),
    ("Mon-Fri morning", WEEKDAYS_MORNING),
    ("จ-ศ เช้า, ส บ่าย", {**WEEKDAYS_MORNING, "sat": ["afternoon"]}),
    ("จ เช้า, บ่าย, ส เย็น", {"mon": ["morning", "afternoon"], "sat": ["evening"]}),
    ("mon:morning,afternoon; sat:evening", {"mon": ["morning", "afternoon"], "sat": ["evening"]}),
    ("ส-อา เช้า บ่าย", {"sat": ["morning", "afternoon"], "sun": ["morning", "afternoon"]}),
    ("ศ-จ เย็น", {d: ["evening"] for d in ("fri", "sat", "sun", "mon")}),
    ("พฤ ทั้งวัน", {"thu": list(PARTS)}),
    ("อา", {"sun": list(PARTS)}),
    ("ทุกวัน บ่าย เย็น", {d: ["afternoon", "evening"] for d in WEEKDAYS}),
    ("จ บ่าย\nจ เช้า", {"mon": ["morning", "afternoon"]}),
    ("", {}),
])
def test_free_time_is_read_as_volunteers_write_it(written, meaning):
    assert parse_availability(written) == meaning


@pytest.mark.parametrize("bad, word", [("x เช้า", "x"), ("จ กลางคืน", "กลางคืน"), ("someday", "someday")])
def test_free_time_that_cannot_be_read_names_the_word(bad, word):
    with pytest.raises(InvalidInput) as err:
        parse_availability(bad)
    assert word in err.value.th and word in err.value.en


@given(st.dictionaries(st.sampled_from(WEEKDAYS),
                       st.lists(st.sampled_from(PARTS), min_size=1, max_size=3, unique=True)))
def test_free_time_written_back_reads_the_same(availability):
    canonical = {d: [p for p in PARTS if p in parts] for d, parts in availability.items()}
    assert parse_availability(availability_text(canonical)) == canonical


@pytest.mark.parametrize("written, role", [
    ("ผู้สูงอายุ", "elder"), ("ผู้รับบริการ", "elder"), ("elder", "elder"), ("Elder", "elder"),
    ("จิตอาสา", "volunteer"), ("ผู้ให้บริการ", "volunteer"), ("อสม.", "volunteer"), ("อสม", "volunteer"),
    ("ทั้งสองอย่าง", "both"), ("ให้และรับ", "both"), ("BOTH", "both"),
    ("ผู้ประสานงาน", "coordinator"), ("ผู้จัดการธนาคาร", "coordinator"), (" coordinator ", "coordinator"),
])
def test_roles_in_thai_and_english(written, role):
    assert parse_role(written) == role


def test_an_unknown_role_lists_the_words_that_work():
    with pytest.raises(InvalidInput) as err:
        parse_role("หัวหน้า")
    assert "ผู้สูงอายุ" in err.value.th and "elder" in err.value.en


@pytest.mark.parametrize("written, skills", [
    ("พาไปหาหมอ, ซื้อของ", ["clinic", "errand"]),
    ("clinic;errand", ["clinic", "errand"]),
    ("งานบ้าน/เยี่ยม", ["home", "visit"]),
    ("ขับรถ, รับส่ง", ["clinic"]),
    ("อื่น ๆ", ["other"]),
    ("", []),
])
def test_skills_in_thai_and_english(written, skills):
    assert parse_skills(written) == skills


def test_an_unknown_skill_is_named():
    with pytest.raises(InvalidInput) as err:
        parse_skills("ซื้อของ, ดำนา")
    assert "ดำนา" in err.value.th


@pytest.mark.parametrize("written, year", [("2484", 1941), ("๒๔๘๔", 1941), ("1941", 1941),
                                           ("2484.0", 1941), ("2550", 2007), ("", None)])
def test_birth_years_in_the_buddhist_or_common_era(written, year):
    assert parse_birth_year(written) == year


@pytest.mark.parametrize("bad", ["84", "พ.ศ.", "3000", "1800", "2484a"])
def test_impossible_birth_years_are_refused(bad):
    with pytest.raises(InvalidInput) as err:
        parse_birth_year(bad)
    assert "ปีเกิด" in err.value.th and "birth year" in err.value.en


@pytest.mark.parametrize("written, day", [
    ("21/11/2569", date(2026, 11, 21)), ("๒๑/๑๑/๒๕๖๙", date(2026, 11, 21)),
    ("21.11.2569", date(2026, 11, 21)), ("21/11/2026", date(2026, 11, 21)),
    ("2026-11-21", date(2026, 11, 21)), (datetime(2026, 11, 21, 0, 0), date(2026, 11, 21)),
    (date(2026, 11, 21), date(2026, 11, 21)), ("", None),
])
def test_dates_from_a_register(written, day):
    assert parse_day(written) == day


@pytest.mark.parametrize("bad", ["31/02/2569", "yesterday", "21/13/2569", "2569"])
def test_a_bad_date_says_how_to_write_one(bad):
    with pytest.raises(InvalidInput) as err:
        parse_day(bad)
    assert "21/11/2569" in err.value.th


def test_small_fields_moo_yes_no_and_status():
    assert [parse_moo(x) for x in ("5", "หมู่ 5", "หมู่ที่ ๕", "ม.5", "5.0", "")] == [5, 5, 5, 5, 5, None]
    assert [parse_bool(x) for x in ("ใช่", "✓", "1", "", "ไม่", "no")] == [True, True, True, False, False, False]
    assert [parse_status(x) for x in ("ปกติ", "", "พัก", "paused")] == ["active", "active", "paused", "paused"]
    for parse, bad in ((parse_moo, "ห้า"), (parse_bool, "บางที"), (parse_status, "ตาย")):
        with pytest.raises(InvalidInput):
            parse(bad)


def test_cleaning_a_member_reports_every_problem_at_once():
    clean = clean_member({"name": " ", "phone": "081-23", "role": "หัวหน้า", "birth_year": "84",
                          "consent_on": "31/02/2569", "skills": "ดำนา"})
    assert sorted(e.column for e in clean.errors) == ["birth_year", "consent_on", "name", "phone", "role", "skills"]
    assert all(has_thai(e.th) and english(e.en) for e in clean.errors)


def test_a_date_cell_in_a_text_column_is_read_as_text_not_a_crash():
    clean = clean_member({"name": "มาลี", "phone": "089-111-4455", "role": "both",
                          "village": datetime(2026, 1, 1), "consent_on": datetime(2026, 11, 1)})
    assert clean.errors == []
    assert clean.values["consent_on"] == date(2026, 11, 1)


# --- files as villages write them ---------------------------------------------------------------

HEADINGS = ["ลำดับ", "ชื่อ", "โทรศัพท์", "หมู่บ้าน", "หมู่", "บทบาท", "ปีเกิด", "ทักษะ", "เวลาว่าง",
            "ความต้องการ", "ข้อมูลสุขภาพ", "พูดช้า", "วันที่ยินยอม", "ผู้บันทึก"]
VILLAGERS = [
    [1, "ยายสมศรี ใจดี", "081-234-5678", "บ้านหนองบัว", "5", "ผู้สูงอายุ", "2484", "", "",
     "พาไปอนามัยทุกเดือน", "ความดันสูง", "ใช่", "1/11/2569", "ผู้ใหญ่สมศักดิ์"],
    [2, "สมชาย รักษ์ดี", "0891112233", "บ้านหนองบัว", "หมู่ 5", "จิตอาสา", "2520", "พาไปหาหมอ, ซื้อของ",
     "จ-ศ เช้า", "", "", "", "", ""],
    [3, "มาลี ศรีสุข", "+66891114455", "บ้านหนองบัว", "4", "ทั้งสองอย่าง", "1972", "เยี่ยม, งานบ้าน",
     "จ-ศ เช้า, ส บ่าย", "", "", "", "", ""],
    [4, "ตาบุญมี มีสุข", "๐๘๑-๕๕๕-๐๑๐๑", "บ้านหนองบัว", "๕", "ผู้รับบริการ", "๒๔๘๐", "", "", "ซื้อของ",
     "เดินไม่สะดวก", "ใช่", "", ""],
]


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "ทะเบียนสมาชิก"
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def do_import(db, clock, path, dry_run=True):
    return atomic(db.sessions, lambda s: import_members(s, path.read_bytes(), path.name, clock=clock,
                                                        entered_by="test", dry_run=dry_run))


def members_in(db) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count(Member.id)))


def by_phone(db, phone) -> Member:
    with db.sessions() as s:
        return s.scalar(select(Member).where(Member.phone == phone))


def test_a_clean_csv_register_is_checked_first_then_imported_all_in_one_go(db, clock, tmp_path):
    path = write(tmp_path, "ทะเบียน.csv", csv_bytes([HEADINGS, *VILLAGERS]))
    report = do_import(db, clock, path)
    assert (report.rows, report.imported, report.errors, report.dry_run) == (4, 0, [], True)
    assert members_in(db) == 0

    report = do_import(db, clock, path, dry_run=False)
    assert (report.rows, report.imported, report.clean) == (4, 4, True)
    assert members_in(db) == 4
    somsri = by_phone(db, "+66812345678")
    assert (somsri.name, somsri.role, somsri.birth_year, somsri.moo) == ("ยายสมศรี ใจดี", "elder", 1941, 5)
    assert (somsri.speak_slowly, somsri.consent_on, somsri.consent_by) == (True, date(2026, 11, 1), "ผู้ใหญ่สมศักดิ์")
    assert somsri.needs == "พาไปอนามัยทุกเดือน" and somsri.health_notes == "ความดันสูง"
    somchai = by_phone(db, "+66891112233")
    assert (somchai.role, somchai.skills, somchai.moo) == ("volunteer", ["clinic", "errand"], 5)
    assert somchai.availability == WEEKDAYS_MORNING
    malee = by_phone(db, "+66891114455")
    assert malee.availability == {**WEEKDAYS_MORNING, "sat": ["afternoon"]}
    assert (malee.role, malee.birth_year) == ("both", 1972)
    boonmee = by_phone(db, "+66815550101")
    assert (boonmee.birth_year, boonmee.moo) == (1937, 5)
    with db.sessions() as s:
        assert service.balance(s, somsri.id).balance == 120    # everyone starts with two hours


def test_an_excel_register_with_numbers_and_dates_in_real_cells_imports(db, clock, tmp_path):
    rows = [["ชื่อ", "โทรศัพท์", "หมู่บ้าน", "หมู่", "บทบาท", "ปีเกิด", "ทักษะ", "เวลาว่าง", "วันที่ยินยอม"],
            ["ยายสมศรี", 812345678, "บ้านหนองบัว", 5, "ผู้สูงอายุ", 2484, None, None, datetime(2026, 11, 1)],
            ["สมชาย", "089-111-2233", "บ้านหนองบัว", 5, "จิตอาสา", 2520.0, "ขับรถ", "ส-อา เช้า", None],
            [None, None, None, None, None, None, None, None, None],
            ["มาลี", "089-111-4455", "บ้านดอน", None, "both", None, "visit", "ทุกวัน", "2/11/2569"]]
    path = write(tmp_path, "members.xlsx", xlsx_bytes(rows))
    assert do_import(db, clock, path).errors == []
    report = do_import(db, clock, path, dry_run=False)
    assert report.imported == 3 and members_in(db) == 3
    somsri = by_phone(db, "+66812345678")
    assert (somsri.moo, somsri.birth_year, somsri.consent_on) == (5, 1941, date(2026, 11, 1))
    assert by_phone(db, "+66891112233").availability == {"sat": ["morning"], "sun": ["morning"]}
    malee = by_phone(db, "+66891114455")
    assert (malee.moo, malee.birth_year, malee.consent_on) == (None, None, date(2026, 11, 2))


def test_a_thai_windows_csv_in_tis_620_imports(db, clock, tmp_path):
    path = write(tmp_path, "excel-thai.csv", csv_bytes([HEADINGS, *VILLAGERS[:2]], encoding="cp874"))
    report = do_import(db, clock, path, dry_run=False)
    assert report.imported == 2
    assert by_phone(db, "+66812345678").name == "ยายสมศรี ใจดี"


BAD_ROWS = [
    ["ชื่อ", "โทรศัพท์", "หมู่บ้าน", "บทบาท", "ปีเกิด", "วันที่ยินยอม"],
    ["ยายสมศรี", "081-234-5678", "บ้านหนองบัว", "ผู้สูงอายุ", "2484", "1/11/2569"],   # 2: fine
    ["สมชาย", "089-111-22", "บ้านหนองบัว", "จิตอาสา", "", ""],                        # 3: malformed phone
    ["", "089-111-4455", "บ้านหนองบัว", "ทั้งสองอย่าง", "", ""],                      # 4: missing name
    ["มาลี", "089-111-6677", "บ้านหนองบัว", "หัวหน้า", "", ""],                        # 5: unknown role
    ["ยายสมศรี (ซ้ำ)", "0812345678", "บ้านหนองบัว", "ผู้สูงอายุ", "", ""],              # 6: same phone as line 2
    ["ผู้ใหญ่สมศักดิ์", "086-000-1111", "บ้านหนองบัว", "ผู้ประสานงาน", "", ""],         # 7: already registered
    ["ตาบุญมี", "081-555-0101", "บ้านหนองบัว", "ผู้สูงอายุ", "๘๔", ""],                # 8: bad birth year
    ["ยายคำ", "081-555-0102", "บ้านหนองบัว", "ผู้สูงอายุ", "", "31/02/2569"],           # 9: bad date
]
EXPECTED = [(3, "phone"), (4, "name"), (5, "role"), (6, "phone"), (7, "phone"), (8, "birth_year"),
            (9, "consent_on")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_dry_run_reports_every_bad_row_and_nothing_is_imported_until_the_file_is_clean(db, clock, tmp_path, fmt):
    atomic(db.sessions, lambda s: register_member(s, clock=clock, entered_by="test", name="ผู้ใหญ่สมศักดิ์",
                                                  phone="086-000-1111", role="coordinator"))
    data = csv_bytes(BAD_ROWS) if fmt == "csv" else xlsx_bytes(BAD_ROWS)
    path = write(tmp_path, f"ทะเบียน.{fmt}", data)

    report = do_import(db, clock, path)
    assert report.rows == 8 and not report.clean
    assert [(e.line, e.column) for e in report.errors] == EXPECTED
    for e in report.errors:
        assert has_thai(e.th) and english(e.en)
        assert f"แถว {e.line}" in str(e) and f"line {e.line}" in str(e)
    reasons = {(e.line, e.column): (e.th, e.en) for e in report.errors}
    assert "เบอร์โทรศัพท์ไม่ถูกต้อง" in reasons[3, "phone"][0]
    assert reasons[4, "name"] == ("ต้องกรอกชื่อ", "name is required")
    assert "หัวหน้า" in reasons[5, "role"][0] and "unknown role" in reasons[5, "role"][1]
    assert reasons[6, "phone"] == ("เบอร์ซ้ำกับแถว 2", "same phone as line 2")
    assert reasons[7, "phone"] == ("เบอร์นี้มีในทะเบียนแล้ว", "phone already registered")
    assert "ปีเกิด" in reasons[8, "birth_year"][0]
    assert "วันที่ไม่ถูกต้อง" in reasons[9, "consent_on"][0]

    report = do_import(db, clock, path, dry_run=False)
    assert report.imported == 0 and len(report.errors) == len(EXPECTED)
    assert members_in(db) == 1

    fixed = [BAD_ROWS[0], BAD_ROWS[1], BAD_ROWS[7][:3] + ["ผู้สูงอายุ", "2480", ""]]
    fixed_path = write(tmp_path, f"แก้แล้ว.{fmt}", csv_bytes(fixed) if fmt == "csv" else xlsx_bytes(fixed))
    assert do_import(db, clock, fixed_path, dry_run=False).imported == 2
    assert members_in(db) == 3


MISSING = [
    (["ชื่อ", "หมู่บ้าน", "บทบาท"], "โทรศัพท์", "phone"),
    (["หมู่บ้าน", "ปีเกิด"], "ชื่อ, โทรศัพท์, บทบาท", "name, phone, role"),
    (["name", "phone"], "บทบาท", "role"),
]


@pytest.mark.parametrize("header, missing_th, missing_en", MISSING)
def test_a_register_without_the_required_columns_names_them_in_thai(header, missing_th, missing_en):
    with pytest.raises(InvalidInput) as err:
        read_rows(csv_bytes([header, ["x"] * len(header)]), "ขาดคอลัมน์.csv")
    assert err.value.th == f"ไฟล์ขาดคอลัมน์: {missing_th}"
    assert err.value.en == f"missing columns: {missing_en}"


def _zip_that_is_not_a_workbook() -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "สวัสดี")
    return buf.getvalue()


def _workbook_with_a_damaged_sheet() -> bytes:
    import zipfile
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADINGS, *VILLAGERS])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for item in good.infolist():
            data = good.read(item.filename)
            z.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    return buf.getvalue()


NOT_SPREADSHEETS = [
    pytest.param("ทะเบียน.xlsx", os.urandom(2048), "Excel", id="random bytes named .xlsx"),
    pytest.param("ทะเบียน.xlsx", b"", "Excel", id="empty .xlsx"),
    pytest.param("ทะเบียน.xlsx", _zip_that_is_not_a_workbook(), "Excel", id="a zip that is no workbook"),
    pytest.param("ทะเบียน.xlsx", _workbook_with_a_damaged_sheet(), "Excel", id="a damaged sheet"),
    pytest.param("ทะเบียน.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", ".csv หรือ .xlsx", id="a pdf"),
    pytest.param("ทะเบียน", "ชื่อ,โทรศัพท์,บทบาท\n".encode(), ".csv หรือ .xlsx", id="no extension"),
    pytest.param("ทะเบียน.csv", b"%PDF-1.4\n\x00\x01\x02obj<<>>\x00", "CSV", id="binary with NULs as .csv"),
    pytest.param("ทะเบียน.csv", bytes(range(256)) * 8, "CSV", id="bytes in no Thai encoding as .csv"),
    pytest.param("ทะเบียน.csv", ('ชื่อ,โทรศัพท์,บทบาท\n"' + "ก" * 200_000).encode(), "CSV", id="unclosed quote"),
    pytest.param("ทะเบียน.csv", b"", "ว่าง", id="empty .csv"),
]


@pytest.mark.parametrize("name, data, th", NOT_SPREADSHEETS)
def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_error(name, data, th):
    with pytest.raises(InvalidInput) as err:
        read_rows(data, name)
    assert th in err.value.th and has_thai(err.value.th) and english(err.value.en)


def test_importing_a_broken_or_incomplete_file_writes_nothing(db, clock, tmp_path):
    bad = [(p.values[0], p.values[1]) for p in NOT_SPREADSHEETS]
    bad += [(f"ขาด{i}.csv", csv_bytes([header, ["x"] * len(header)])) for i, (header, *_) in enumerate(MISSING)]
    for i, (name, data) in enumerate(bad):
        path = write(tmp_path, f"{i}-{name}", data)
        for dry_run in (True, False):
            with pytest.raises(InvalidInput):
                do_import(db, clock, path, dry_run=dry_run)
    assert members_in(db) == 0


def test_reading_skips_blank_rows_and_the_number_column_but_keeps_file_line_numbers():
    header, rows = read_rows(csv_bytes([HEADINGS, VILLAGERS[0], [""] * 14, ["", "  "], VILLAGERS[1]]), "a.csv")
    assert "name" in header and "number" not in header
    assert [line for line, _ in rows] == [2, 5]


# --- export, and importing the export into a fresh bank --------------------------------------------

@pytest.fixture
def fresh_bank(db, tmp_path):
    """An empty bank on the same kind of database as `db`."""
    if db.backend == "sqlite":
        folder = tmp_path / "fresh"
        folder.mkdir()
        url = migrated_sqlite(folder)
    else:
        url = fresh_postgres()
    engine = make_engine(url)
    yield type(db)(url, engine, make_sessions(engine))
    engine.dispose()
    if db.backend != "sqlite":
        drop_postgres(url)


FIELDS = ("name", "phone", "village", "moo", "role", "birth_year", "skills", "needs", "health_notes",
          "availability", "speak_slowly", "consent_on", "consent_by", "status")


def register_snapshot(db) -> list[tuple]:
    with db.sessions() as s:
        return [tuple(getattr(m, f) for f in FIELDS) for m in s.scalars(select(Member).order_by(Member.phone))]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_exported_register_imports_into_a_fresh_bank_unchanged(db, fresh_bank, clock, tmp_path, fmt):
    def fill(s):
        register_member(s, clock=clock, entered_by="t", name="ยายสมศรี ใจดี", phone="081-234-5678",
                        role="elder", village="บ้านหนองบัว", moo="5", birth_year="2484",
                        needs="พาไปอนามัย", health_notes="ความดันสูง, สายตาไม่ดี", speak_slowly="ใช่",
                        consent_on="1/11/2569", consent_by="ผู้ใหญ่สมศักดิ์")
        register_member(s, clock=clock, entered_by="t", name="สมชาย รักษ์ดี", phone="089-111-2233",
                        role="volunteer", village="บ้านหนองบัว", skills="clinic, errand",
                        availability="จ-ศ เช้า บ่าย; ส เย็น")
        register_member(s, clock=clock, entered_by="t", name='มาลี "ครูมาลี" ศรีสุข', phone="+66891114455",
                        role="both", village="บ้านดอน", moo="4", birth_year="1972",
                        skills="visit, home", availability="ทุกวัน", status="พัก")
        register_member(s, clock=clock, entered_by="t", name="ผู้ใหญ่สมศักดิ์", phone="086-000-1111",
                        role="coordinator")
    atomic(db.sessions, fill)
    with db.sessions() as s:
        data = export_members(s.scalars(select(Member).order_by(Member.id)).all(), fmt)
    if fmt == "csv":
        assert data.startswith("\ufeff".encode())       # so Thai Excel opens it in UTF-8
    path = write(tmp_path, f"export.{fmt}", data)

    report = do_import(fresh_bank, clock, path, dry_run=False)
    assert (report.errors, report.imported) == ([], 4)
    assert register_snapshot(fresh_bank) == register_snapshot(db)
    # the export keeps the Buddhist Era and the Thai words a village expects
    _, rows = read_rows(data, path.name)
    assert rows[0][1]["birth_year"] in ("2484", 2484)
    assert rows[0][1]["role"] == "ผู้สูงอายุ"


def test_an_export_without_sensitive_fields_leaves_needs_and_health_out(db, clock):
    atomic(db.sessions, lambda s: register_member(s, clock=clock, entered_by="t", name="ยายสมศรี",
                                                  phone="081-234-5678", role="elder", needs="พาไปอนามัย",
                                                  health_notes="ความดันสูง"))
    with db.sessions() as s:
        text = export_members(s.scalars(select(Member)).all(), "csv", with_sensitive=False).decode("utf-8-sig")
    assert "ยายสมศรี" in text and "ความดันสูง" not in text and "พาไปอนามัย" not in text
    with pytest.raises(InvalidInput):
        export_members([], "pdf")
