"""`wela members …`, `wela ledger …`, `wela report`, `wela db upgrade` and `wela demo`, run as a coordinator would.

How these tests drive the command line: `wela.cli.main` is a Flask `FlaskGroup` whose own
`create_app` reads the environment. `app.test_cli_runner().invoke(main, [...])` runs it against
*this* test app instead: `FlaskCliRunner.invoke` passes `obj=ScriptInfo(create_app=lambda: app)`
when no `obj` is given, and each command runs inside that app's context (the `members` and `ledger`
groups are `flask.cli.AppGroup`s for that reason). Invoking without `cli=main` would run `app.cli`,
which holds none of wela's commands.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from ledger.members import check_pin
from ledger.orm import Account, Hold, Member, MonthClose, Transfer
from tests.databases import migrated_sqlite
from wela.app import create_app
from wela.cli import main

THAI = range(0x0E00, 0x0E80)
SOMSRI, SOMCHAI, MALEE = "081-234-5678", "089-111-2233", "089-111-4455"


def has_thai(text: str) -> bool:
    return any(ord(ch) in THAI for ch in text)


def make_app(folder: Path, clock):
    folder.mkdir(parents=True, exist_ok=True)
    return create_app({"database_url": migrated_sqlite(folder), "instance_path": folder / "instance"},
                      clock=clock)


def cli_runner(app):
    try:
        return app.test_cli_runner(mix_stderr=False)     # click 8.1: keep stderr apart
    except TypeError:
        return app.test_cli_runner()                     # click 8.2 always keeps it apart


class Wela:
    """`wela …` against one test app: returns click's result, and never lets a traceback by."""

    def __init__(self, app) -> None:
        self.app = app
        self.runner = cli_runner(app)

    def __call__(self, *args: object, ok: bool = True):
        result = self.runner.invoke(main, [str(a) for a in args])
        assert "Traceback" not in result.output + result.stderr
        if ok:
            assert result.exit_code == 0, (args, result.output, result.stderr, result.exception)
        return result

    def json(self, *args: object):
        return json.loads(self(*args, "--json").stdout)

    @property
    def sessions(self):
        return self.app.extensions["wela"].sessions

    def state(self) -> tuple:
        """Everything a command could change: the register, balances, entries, holds, closes."""
        with self.sessions() as s:
            return (s.execute(select(Member.id, Member.name, Member.phone, Member.role, Member.village,
                                     Member.status, Member.pin_hash).order_by(Member.id)).all(),
                    s.execute(select(Account.code, Account.balance, Account.held).order_by(Account.code)).all(),
                    s.execute(select(Transfer.id, Transfer.key).order_by(Transfer.id)).all(),
                    s.execute(select(Hold.id, Hold.state).order_by(Hold.id)).all(),
                    s.execute(select(MonthClose.year, MonthClose.month)).all())


@pytest.fixture
def wela(tmp_path, clock):
    app = make_app(tmp_path / "bank", clock)
    yield Wela(app)
    app.extensions["wela"].close()


@pytest.fixture
def village(wela):
    """ยายสมศรี (member 1, elder), สมชาย (2, volunteer) and มาลี (3, both) of บ้านหนองบัว."""
    wela("members", "add", "--name", "ยายสมศรี", "--phone", SOMSRI, "--role", "ผู้สูงอายุ",
         "--village", "บ้านหนองบัว", "--moo", "5", "--birth-year", "2484", "--speak-slowly",
         "--needs", "พาไปอนามัย", "--consent-by", "ผู้ใหญ่สมศักดิ์")
    wela("members", "add", "--name", "สมชาย", "--phone", SOMCHAI, "--role", "จิตอาสา",
         "--village", "บ้านหนองบัว", "--skills", "พาไปหาหมอ, ซื้อของ", "--availability", "จ-ศ เช้า")
    wela("members", "add", "--name", "มาลี", "--phone", MALEE, "--role", "both", "--village", "บ้านหนองบัว")
    return wela


def balance(wela, who) -> dict:
    return wela.json("ledger", "balance", who)


def write_csv(path: Path, rows) -> Path:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


# --- members ---------------------------------------------------------------------------------------

def test_adding_a_member_tells_her_number_and_phone(wela):
    result = wela("members", "add", "--name", "ยายสมศรี", "--phone", "๐๘๑๒๓๔๕๖๗๘", "--role", "ผู้สูงอายุ")
    assert result.stdout.strip() == "ลงทะเบียนแล้ว: สมาชิกเลขที่ 1 ยายสมศรี 081-234-5678"
    added = wela.json("members", "add", "--name", "สมชาย", "--phone", SOMCHAI, "--role", "volunteer")
    assert (added["number"], added["phone"], added["role"]) == (2, "+66891112233", "volunteer")


def test_members_list_json_is_an_array_of_objects_for_scripts(village):
    members = village.json("members", "list")
    assert isinstance(members, list) and all(isinstance(m, dict) for m in members)
    assert [(m["number"], m["name"], m["phone"], m["role"], m["village"]) for m in members] == [
        (1, "ยายสมศรี", "+66812345678", "elder", "บ้านหนองบัว"),
        (2, "สมชาย", "+66891112233", "volunteer", "บ้านหนองบัว"),
        (3, "มาลี", "+66891114455", "both", "บ้านหนองบัว")]
    assert members[0]["birth_year"] == 1941 and members[0]["speak_slowly"] is True
    assert members[1]["skills"] == ["clinic", "errand"]
    assert members[1]["availability"] == {d: ["morning"] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert [m["name"] for m in village.json("members", "list", "--search", "4455")] == ["มาลี"]


def test_members_list_prints_a_table_for_people(village):
    out = village("members", "list").stdout
    assert "ยายสมศรี" in out and "+66891114455" in out and out.splitlines()[0].startswith("number")


def test_show_finds_a_member_by_number_or_any_phone_format(village):
    by_number = village.json("members", "show", "1")
    by_phone = village.json("members", "show", "๐๘๑-๒๓๔-๕๖๗๘")
    assert by_number == by_phone
    assert (by_number["name"], by_number["balance_minutes"], by_number["available_minutes"]) == ("ยายสมศรี", 120, 120)
    assert by_number["needs"] == "พาไปอนามัย" and by_number["consent_by"] == "ผู้ใหญ่สมศักดิ์"
    text = village("members", "show", "2").stdout
    assert "จ เช้า" in text                 # free time is shown the way it is written


def test_edit_corrects_details_and_is_refused_when_wrong(village):
    village("members", "edit", "3", "--set", "village=บ้านดอน", "--set", "moo=4", "--set", "role=ผู้ให้บริการ")
    malee = village.json("members", "show", MALEE)
    assert (malee["village"], malee["moo"], malee["role"]) == ("บ้านดอน", 4, "volunteer")
    before = village.state()
    result = village("members", "edit", "3", "--set", f"phone={SOMSRI}", ok=False)
    assert result.exit_code == 1 and "สมาชิกคนอื่น" in result.stderr
    assert village("members", "edit", "3", ok=False).exit_code == 2       # nothing to set: a usage error
    assert village.state() == before


def test_pause_and_resume_a_member(village, clock):
    out = village("members", "pause", SOMCHAI, "--days", "7").stdout
    assert out.strip() == "พักแล้ว: 2 สมชาย ถึง 28/11/2569"          # dates in the Buddhist Era
    somchai = village.json("members", "show", "2")
    assert (somchai["status"], somchai["paused_until"]) == ("paused", "2026-11-28")
    assert "พักแล้ว" in village("members", "pause", "2").stdout
    village("members", "resume", "2")
    assert village.json("members", "show", "2")["status"] == "active"


def test_a_pin_is_stored_hashed_and_checks(village):
    assert "PIN set" in village("members", "pin", "1", "๑๒๓๔").stdout
    with village.sessions() as s:
        somsri = s.get(Member, 1)
        assert "1234" not in somsri.pin_hash
        assert check_pin(somsri, "1234") and not check_pin(somsri, "4321")


def test_import_checks_first_and_writes_only_with_commit(wela, tmp_path):
    register = write_csv(tmp_path / "ทะเบียน.csv", [
        ["ชื่อ", "โทรศัพท์", "หมู่บ้าน", "หมู่", "บทบาท", "ปีเกิด", "ทักษะ", "เวลาว่าง"],
        ["ยายสมศรี", SOMSRI, "บ้านหนองบัว", "5", "ผู้สูงอายุ", "2484", "", ""],
        ["สมชาย", SOMCHAI, "บ้านหนองบัว", "5", "จิตอาสา", "2520", "ขับรถ", "จ-ศ เช้า"]])
    dry = wela("members", "import", register)
    assert "2 rows are clean" in dry.stdout and "--commit" in dry.stdout
    assert wela.json("members", "list") == []
    done = wela("members", "import", register, "--commit")
    assert "นำเข้าแล้ว 2 คน" in done.stdout
    assert [m["name"] for m in wela.json("members", "list")] == ["ยายสมศรี", "สมชาย"]
    assert balance(wela, SOMCHAI)["balance_minutes"] == 120


def test_import_of_a_register_with_bad_rows_lists_them_all_and_imports_nothing(village, tmp_path):
    register = write_csv(tmp_path / "ทะเบียน.csv", [
        ["ชื่อ", "โทรศัพท์", "บทบาท", "ปีเกิด"],
        ["ตาบุญมี", "081-555-0101", "ผู้สูงอายุ", "2480"],
        ["ยายคำ", "081-55", "ผู้สูงอายุ", ""],
        ["", "081-555-0103", "จิตอาสา", ""],
        ["ยายสมศรี อีกคน", SOMSRI, "ผู้สูงอายุ", ""],
        ["น้องฝน", "089-111-6677", "นักเรียน", "๒๕๕๐"]])
    before = village.state()
    for args in (("members", "import", register), ("members", "import", register, "--commit")):
        result = village(*args, ok=False)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[:4] == [
            "แถว 3 ช่อง โทรศัพท์: เบอร์โทรศัพท์ไม่ถูกต้อง: 081-55 / line 3, phone: not a valid phone number: '081-55'",
            "แถว 4 ช่อง ชื่อ: ต้องกรอกชื่อ / line 4, name: name is required",
            "แถว 5 ช่อง โทรศัพท์: เบอร์นี้มีในทะเบียนแล้ว / line 5, phone: phone already registered",
            "แถว 6 ช่อง บทบาท: ไม่รู้จักบทบาท 'นักเรียน' (ใช้: ผู้สูงอายุ, จิตอาสา, ทั้งสองอย่าง, ผู้ประสานงาน)"
            " / line 6, role: unknown role 'นักเรียน' (use elder, volunteer, both, coordinator)"]
        assert lines[-1] == "พบปัญหา 4 จุดใน 5 แถว ยังไม่ได้นำเข้า / 4 problems in 5 rows; nothing imported"
    assert village.state() == before


def test_export_writes_the_register_to_excel_and_csv_and_a_fresh_bank_can_import_it(village, tmp_path, clock):
    xlsx, csv_path = tmp_path / "สมาชิก.xlsx", tmp_path / "สมาชิก.csv"
    assert "written" in village("members", "export", xlsx).stdout
    village("members", "export", csv_path, "--no-sensitive")
    sheet = load_workbook(xlsx).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("เลขที่", "ชื่อ", "โทรศัพท์")
    assert rows[1][1:3] == ("ยายสมศรี", "081-234-5678") and 2484 in rows[1]
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert "ยายสมศรี" in text and "พาไปอนามัย" not in text

    for export in (xlsx, csv_path):
        other = Wela(make_app(tmp_path / f"fresh-{export.suffix[1:]}", clock))
        other("members", "import", export, "--commit")
        strip = lambda ms, keep: [{k: m[k] for k in keep} for m in ms]    # noqa: E731
        keep = ["number", "name", "phone", "role", "village", "moo", "birth_year", "skills", "availability",
                "speak_slowly", "status"]
        assert strip(other.json("members", "list"), keep) == strip(village.json("members", "list"), keep)
        other.app.extensions["wela"].close()


# --- the ledger -------------------------------------------------------------------------------------

def test_balance_json_shows_balance_held_available_and_loan(village):
    assert balance(village, SOMSRI) == {"number": 1, "name": "ยายสมศรี", "balance_minutes": 120,
                                        "held_minutes": 0, "available_minutes": 120, "loan_minutes": 0}
    assert "ยายสมศรี: คงเหลือ 2 ชั่วโมง" in village("ledger", "balance", "1").stdout


def test_a_transfer_pays_the_volunteer_and_a_retry_with_the_same_key_pays_once(village):
    out = village("ledger", "transfer", SOMSRI, SOMCHAI, "90", "--key", "sms-1", "--reason", "พาไปอนามัย").stdout
    assert out.startswith("รายการเลขที่ 4: 1 ชั่วโมง 30 นาที")
    again = village("ledger", "transfer", SOMSRI, SOMCHAI, "90", "--key", "sms-1").stdout
    assert "replayed" in again
    assert balance(village, "1")["balance_minutes"] == 30 and balance(village, "2")["balance_minutes"] == 210
    receipt = village.json("ledger", "transfer", "3", "1", "30", "--for", "1")
    assert (receipt["amount"], receipt["to_member"], receipt["replayed"]) == (30, 30, False)


def test_a_hold_is_posted_for_the_actual_time_or_voided(village):
    held = village.json("ledger", "hold", SOMSRI, SOMCHAI, "90")
    assert (held["state"], held["minutes"]) == ("pending", 90)
    assert balance(village, "1")["available_minutes"] == 30
    paid = village.json("ledger", "post", held["hold"], "--minutes", "60")
    assert (paid["amount"], paid["kind"]) == (60, "service")
    somsri = balance(village, "1")
    assert (somsri["balance_minutes"], somsri["held_minutes"]) == (60, 0)
    second = village.json("ledger", "hold", MALEE, SOMCHAI, "30")
    assert "ยกเลิกการจองเลขที่" in village("ledger", "void", second["hold"]).stdout
    assert balance(village, "3")["available_minutes"] == 120
    assert "จองเวลาแล้ว" in village("ledger", "hold", "3", "2", "15").stdout


def test_a_loan_is_repaid_by_hand_and_from_earnings(village):
    village("ledger", "loan", SOMSRI, "120", "--reason", "ค่ารถไปโรงพยาบาล")
    assert balance(village, "1")["loan_minutes"] == 120
    out = village("ledger", "transfer", "3", "1", "60").stdout
    assert "คืนเวลาที่ยืม / loan repaid: 30 นาที" in out
    village("ledger", "repay", "1", "60")
    assert balance(village, "1")["loan_minutes"] == 30


def test_donations_to_the_pool_and_to_a_member_and_grants_from_the_pool(village):
    village("ledger", "donate", MALEE, "60", "--reason", "ทำบุญ")
    village("ledger", "donate", SOMCHAI, "30", "--to", SOMSRI)
    village("ledger", "grant", SOMSRI, "45", "--reason", "ยายอยู่คนเดียว")
    assert balance(village, "1")["balance_minutes"] == 120 + 30 + 45
    assert village.json("report")["pool_minutes"] == 15


def test_earnings_past_the_cap_go_to_the_pool_and_the_receipt_says_so(village):
    village("ledger", "policy", "--set", "balance_cap_minutes=150")
    out = village("ledger", "transfer", SOMSRI, SOMCHAI, "60").stdout
    assert "เกินเพดาน เข้ากองกลาง / over the cap, to the pool: 30 นาที" in out


def test_a_reversal_undoes_an_entry_and_shows_on_the_statement(village):
    receipt = village.json("ledger", "transfer", MALEE, SOMCHAI, "30")
    back = village.json("ledger", "reverse", receipt["transfer_id"], "--reason", "บันทึกผิดคน")
    assert back["kind"] == "reversal"
    assert balance(village, "3")["balance_minutes"] == 120
    statement = village("ledger", "statement", MALEE).stdout
    assert "กลับรายการ · สมชาย · บันทึกผิดคน" in statement
    assert "replayed" in village("ledger", "reverse", receipt["transfer_id"], "--reason", "again").stdout


def test_a_statement_is_printed_in_the_buddhist_era_and_as_json(village):
    village("ledger", "transfer", SOMSRI, SOMCHAI, "45", "--reason", "ซื้อของ")
    out = village("ledger", "statement", "1").stdout.splitlines()
    assert out[0] == "ใบแจ้งยอด ยายสมศรี เดือน 11/2569"
    assert out[1].strip() == "ยอดยกมา 0 นาที"
    assert out[2].split()[:2] == ["21/11/2569", "+2"]
    assert out[3].split()[:2] == ["21/11/2569", "−45"] and "สมชาย · ซื้อของ" in out[3]
    assert out[-1].strip() == "ยอดคงเหลือ 1 ชั่วโมง 15 นาที"
    data = village.json("ledger", "statement", "1", "--month", "11/2569")
    assert (data["opening"], data["closing"], len(data["lines"])) == (0, 75, 2)
    assert data == village.json("ledger", "statement", "1", "--month", "2026-11")
    assert village.json("ledger", "statement", "1", "--month", "10/2569")["lines"] == []


def test_closing_a_month_in_either_calendar(village):
    assert "ปิดบัญชีเดือน 10/2569 แล้ว / closed 2026-10" in village("ledger", "close", "10/2569").stdout
    village("ledger", "close", "2026-10")                 # closing again changes nothing
    village("ledger", "close", "2026-09")
    with village.sessions() as s:
        assert {(c.year, c.month) for c in s.scalars(select(MonthClose))} == {(2026, 10), (2026, 9)}


def test_policy_shows_and_changes_the_banks_rules(village):
    assert village.json("ledger", "policy") == {"starting_minutes": 120, "loan_limit_minutes": 300,
                                                "loan_repay_percent": 50, "balance_cap_minutes": 2400}
    changed = village.json("ledger", "policy", "--set", "loan_limit_minutes=600", "--set", "starting_minutes=60")
    assert (changed["loan_limit_minutes"], changed["starting_minutes"]) == (600, 60)
    assert "balance_cap_minutes" in village("ledger", "policy").stdout
    refused = village("ledger", "policy", "--set", "starting_minutes=²", ok=False)      # a digit, no number
    assert refused.exit_code == 1 and "needs a whole number" in refused.stderr
    assert village.json("ledger", "policy")["starting_minutes"] == 60


def test_check_passes_on_clean_books_and_fails_when_a_stored_balance_is_tampered_with(village):
    village("ledger", "transfer", SOMSRI, SOMCHAI, "30")
    assert "the books check clean" in village("ledger", "check").stdout
    assert village.json("ledger", "check")["ok"] is True
    with village.sessions.begin() as s:
        s.execute(update(Account).where(Account.code == "member:1").values(balance=999))
    result = village("ledger", "check", ok=False)
    assert result.exit_code == 1
    assert "[balance] account member:1: stored balance 999, postings say 90" in result.stdout
    data = json.loads(village("ledger", "check", "--json", ok=False).stdout)
    assert data["ok"] is False and data["problems"]


def test_report_json_gathers_the_bank_at_a_glance(village):
    village("ledger", "transfer", SOMSRI, SOMCHAI, "120")
    village("ledger", "loan", MALEE, "60")
    data = village.json("report")
    assert data["members"] == 3 and data["pool_minutes"] == 0
    assert len(data["months"]) == 6 and data["months"][-1] == {"year": 2026, "month": 11, "minutes_given": 120,
                                                              "givers": 1, "receivers": 1}
    assert [f["name"] for f in data["at_zero"]] == ["ยายสมศรี"]
    assert [(f["name"], f["minutes"]) for f in data["open_loans"]] == [("มาลี", 60)]
    text = village("report").stdout
    assert "11/2569" in text and "ยายสมศรี" in text


# --- the composition root's own commands -----------------------------------------------------------------

def test_db_upgrade_brings_the_schema_up_to_date(wela):
    assert "database is up to date" in wela("db", "upgrade").stdout
    wela("db", "upgrade")


def test_demo_twice_gives_the_same_village(wela):
    first = wela("demo").stdout
    members = wela.json("members", "list")
    second = wela("demo").stdout
    assert "บ้านหนองบัว" in first and first.splitlines()[:9] == second.splitlines()[:9]
    assert wela.json("members", "list") == members
    assert {m["role"] for m in members} == {"elder", "volunteer", "both", "coordinator"}
    assert "the books check clean" in wela("ledger", "check").stdout


# --- bad input: a clear Thai and English message, exit 1, no traceback, nothing changed -------------------

BAD = [
    pytest.param(("ledger", "balance", "089-999-9999"), "ไม่พบสมาชิก", id="unknown phone"),
    pytest.param(("ledger", "transfer", SOMSRI, "77", "30"), "ไม่พบสมาชิกเลขที่ 77", id="unknown number"),
    pytest.param(("members", "show", "081-23"), "เบอร์โทรศัพท์ไม่ถูกต้อง", id="malformed phone"),
    pytest.param(("members", "add", "--name", "ลุงดำ", "--phone", "12345", "--role", "elder"),
                 "เบอร์โทรศัพท์ไม่ถูกต้อง", id="malformed phone on add"),
    pytest.param(("members", "add", "--name", "ยายสมศรี", "--phone", SOMSRI, "--role", "elder"),
                 "มีในทะเบียนแล้ว", id="phone already registered"),
    pytest.param(("members", "add", "--name", "ลุงดำ", "--phone", "081-555-0109", "--role", "หัวหน้า"),
                 "ไม่รู้จักบทบาท", id="unknown role"),
    pytest.param(("members", "pin", "1", "12"), "4 หลัก", id="short pin"),
    pytest.param(("ledger", "transfer", SOMSRI, SOMCHAI, "0"), "มากกว่าศูนย์", id="zero minutes"),
    # click reads a bare "-30" as an option: "--" passes it on as the MINUTES argument
    pytest.param(("ledger", "transfer", SOMSRI, SOMCHAI, "--", "-30"), "มากกว่าศูนย์", id="negative minutes"),
    pytest.param(("ledger", "hold", SOMSRI, SOMCHAI, "--", "-30"), "มากกว่าศูนย์", id="negative hold"),
    pytest.param(("ledger", "transfer", SOMSRI, SOMSRI, "30"), "ตัวเอง", id="transfer to self"),
    pytest.param(("ledger", "transfer", SOMSRI, SOMCHAI, "500"), "เวลาคงเหลือไม่พอ", id="not enough credit"),
    pytest.param(("ledger", "grant", SOMCHAI, "60"), "เพดาน", id="grant over the cap"),
    pytest.param(("ledger", "loan", SOMSRI, "301"), "วงเงินยืมเวลา", id="past the loan limit"),
    pytest.param(("ledger", "repay", MALEE, "10"), "คืนเกินยอดที่ยืม", id="repay with no loan"),
    pytest.param(("ledger", "transfer", SOMSRI, SOMCHAI, "15", "--date", "2026-10-15"), "ปิดบัญชีแล้ว",
                 id="closed month"),
    pytest.param(("ledger", "transfer", SOMSRI, SOMCHAI, "15", "--date", "2026-12-01"), "ล่วงหน้า",
                 id="future date"),
    pytest.param(("ledger", "close", "11/2569"), "เดือนที่ผ่านไปแล้ว", id="closing this month"),
    pytest.param(("ledger", "transfer", SOMSRI, SOMCHAI, "45", "--key", "k1"), "รหัสรายการนี้ถูกใช้",
                 id="reused key with another payload"),
    pytest.param(("ledger", "reverse", "999", "--reason", "ผิด"), "ไม่พบรายการเลขที่ 999", id="unknown entry"),
    pytest.param(("ledger", "reverse", "4", "--reason", " "), "เหตุผล", id="reversal without a reason"),
    pytest.param(("ledger", "post", "999"), "ไม่พบการจองเวลา", id="unknown hold"),
    pytest.param(("ledger", "statement", "1", "--month", "13/2569"), "เดือนไม่ถูกต้อง", id="bad month"),
    pytest.param(("ledger", "policy", "--set", "balance_cap_minutes=lots"), "ต้องเป็นตัวเลข", id="policy text"),
    pytest.param(("ledger", "policy", "--set", "interest_percent=5"), "ไม่รู้จักค่าตั้ง", id="unknown policy"),
    pytest.param(("ledger", "policy", "--set", "starting_minutes=999"), "ค่าตั้งไม่ถูกต้อง", id="impossible policy"),
    pytest.param(("members", "import", "random.xlsx"), "เปิดไฟล์ Excel ไม่ได้", id="random bytes named .xlsx"),
    pytest.param(("members", "import", "register.pdf"), ".csv หรือ .xlsx", id="a pdf"),
    pytest.param(("members", "import", "binary.csv"), "CSV", id="binary csv"),
    pytest.param(("members", "import", "no-phone.csv"), "ไฟล์ขาดคอลัมน์: โทรศัพท์", id="missing column"),
    pytest.param(("members", "export", "register.pdf"), "csv หรือ xlsx", id="export to pdf"),
]


@pytest.fixture
def busy_village(village, tmp_path):
    """The village after a little business: a paid visit under key k1 (entry 4), October closed,
    มาลี's hour in the pool, a cap of 200 minutes, and some files that are not registers."""
    village("ledger", "transfer", SOMSRI, SOMCHAI, "30", "--key", "k1")
    village("ledger", "close", "2026-10")
    village("ledger", "donate", MALEE, "60")
    village("ledger", "policy", "--set", "balance_cap_minutes=200")
    (tmp_path / "random.xlsx").write_bytes(os.urandom(4096))
    (tmp_path / "register.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "binary.csv").write_bytes(b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)))
    write_csv(tmp_path / "no-phone.csv", [["ชื่อ", "บทบาท"], ["ยายสมศรี", "elder"]])
    return village


@pytest.mark.parametrize("args, th", BAD)
def test_bad_input_is_refused_in_thai_and_english_and_changes_nothing(busy_village, monkeypatch, tmp_path, args,
                                                                      th):
    monkeypatch.chdir(tmp_path)
    before = busy_village.state()
    result = busy_village(*args, ok=False)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    thai, english = result.stderr.splitlines()[:2]
    assert thai.startswith("ผิดพลาด: ") and th in thai, result.stderr
    assert english.startswith("error: ") and not has_thai(english.split("'")[0])
    assert result.stdout == ""
    assert busy_village.state() == before
    assert (tmp_path / "register.pdf").read_bytes() == b"%PDF-1.4\n"
