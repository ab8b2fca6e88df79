"""`wela requests …` and `wela scheduler …`, run as the coordinator of บ้านหนองบัว would.

Like tests/test_cli_ledger.py: `app.test_cli_runner().invoke(main, [...])` runs wela's command
group against this test app (with a FakeClock: Saturday 21 November 2026, 09:00 in Bangkok).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ledger.orm import Account, Hold, Transfer
from scheduler.orm import HelpRequest, Offer
from tests.databases import migrated_sqlite
from wela.app import create_app
from wela.cli import main

THAI = range(0x0E00, 0x0E80)
SOMSRI, BOONMEE, SOMCHAI, MALEE, HEADMAN = ("081-234-5678", "081-555-0101", "089-111-2233",
                                            "089-111-4455", "086-000-1111")
LIST_KEYS = {"id", "member", "member_name", "category", "state", "when", "planned_start", "volunteer",
             "stuck_reason"}


def has_thai(text: str) -> bool:
    return any(ord(ch) in THAI for ch in text)


class Wela:
    """`wela …` against one test app; never lets a traceback by."""

    def __init__(self, app) -> None:
        self.app = app
        try:
            self.runner = app.test_cli_runner(mix_stderr=False)     # click 8.1: keep stderr apart
        except TypeError:
            self.runner = app.test_cli_runner()                     # click 8.2 always does

    def __call__(self, *args: object, ok: bool = True):
        result = self.runner.invoke(main, [str(a) for a in args])
        assert "Traceback" not in result.output + result.stderr
        if ok:
            assert result.exit_code == 0, (args, result.output, result.stderr, result.exception)
        return result

    def json(self, *args: object):
        return json.loads(self(*args, "--json").stdout)

    def fails(self, *args: object):
        """A refused command: exit 1, the reason in Thai and in English on stderr, nothing changed."""
        before = self.state()
        result = self(*args, ok=False)
        assert result.exit_code == 1, (args, result.output, result.stderr)
        assert has_thai(result.stderr) and "error:" in result.stderr, result.stderr
        assert self.state() == before
        return result.stderr

    @property
    def clock(self):
        return self.app.extensions["wela"].clock

    def state(self) -> tuple:
        with self.app.extensions["wela"].sessions() as s:
            return (s.execute(select(HelpRequest.id, HelpRequest.state, HelpRequest.volunteer_id,
                                     HelpRequest.stuck_reason).order_by(HelpRequest.id)).all(),
                    s.execute(select(Offer.id, Offer.state).order_by(Offer.id)).all(),
                    s.execute(select(Hold.id, Hold.state).order_by(Hold.id)).all(),
                    s.execute(select(Transfer.id).order_by(Transfer.id)).all(),
                    s.execute(select(Account.code, Account.balance, Account.held).order_by(Account.code)).all())


@pytest.fixture
def wela(tmp_path: Path, clock):
    folder = tmp_path / "bank"
    folder.mkdir()
    app = create_app({"database_url": migrated_sqlite(folder), "instance_path": folder / "instance"}, clock=clock)
    yield Wela(app)
    app.extensions["wela"].close()


@pytest.fixture
def village(wela):
    """ยายสมศรี (1) and ตาบุญมี (2) ask; สมชาย (3) drives to the clinic; มาลี (4) runs errands; the headman (5)."""
    add = lambda *a: wela("members", "add", "--village", "บ้านหนองบัว", *a)
    add("--name", "ยายสมศรี", "--phone", SOMSRI, "--role", "ผู้สูงอายุ", "--moo", "5")
    add("--name", "ตาบุญมี", "--phone", BOONMEE, "--role", "ผู้สูงอายุ", "--moo", "5")
    add("--name", "สมชาย", "--phone", SOMCHAI, "--role", "จิตอาสา", "--moo", "5",
        "--skills", "พาไปหาหมอ, ซื้อของ", "--availability", "ทุกวัน เช้า บ่าย")
    add("--name", "มาลี", "--phone", MALEE, "--role", "both", "--moo", "4",
        "--skills", "ซื้อของ, เยี่ยม", "--availability", "ทุกวัน บ่าย เย็น")
    add("--name", "ผู้ใหญ่สมศักดิ์", "--phone", HEADMAN, "--role", "ผู้ประสานงาน", "--moo", "5")
    return wela


def clinic_tomorrow(wela) -> int:
    return wela.json("requests", "add", SOMSRI, "--category", "clinic", "--when", "tomorrow",
                     "--part", "morning", "--minutes", "120")["id"]


def assigned_to_somchai(wela) -> int:
    request_id = clinic_tomorrow(wela)
    wela("scheduler", "tick")
    wela("requests", "answer", request_id, SOMCHAI, "--yes")
    return request_id


# --- asking ------------------------------------------------------------------------------------

def test_adding_a_request_tells_its_number(village):
    out = village("requests", "add", "081 234 5678", "--category", "clinic", "--when", "tomorrow",
                  "--part", "morning").stdout
    assert out.startswith("รับคำขอแล้ว เลขที่ 1: ยายสมศรี clinic 2026-11-22 morning")


def test_a_request_as_json_names_the_member_by_phone(village):
    r = village.json("requests", "add", "๐๘๑-๒๓๔-๕๖๗๘", "--category", "clinic", "--when", "tomorrow",
                     "--part", "morning", "--minutes", "120", "--notes", "ไปตรวจความดัน")
    assert LIST_KEYS <= set(r)
    assert (r["id"], r["member"], r["member_name"], r["category"], r["state"]) == \
        (1, "+66812345678", "ยายสมศรี", "clinic", "open")
    assert (r["when"], r["planned_start"], r["volunteer"], r["stuck_reason"]) == \
        ("2026-11-22 morning", None, None, None)
    assert (r["minutes"], r["notes"], r["channel"]) == (120, "ไปตรวจความดัน", "cli")


@pytest.mark.parametrize("args, when", [
    (["--category", "หาหมอ", "--when", "พรุ่งนี้", "--part", "เช้า"], "2026-11-22 morning"),
    (["--category", "errand", "--when", "this-week"], "2026-11-21..2026-11-23"),
    (["--category", "visit", "--date", "25/11/2569", "--part", "บ่าย"], "2026-11-25 afternoon"),
    (["--category", "visit", "--date", "2026-11-25"], "2026-11-25"),
    (["--category", "visit", "--recurring", "weekly:mon:morning"], "2026-11-23 morning"),
])
def test_when_can_be_said_in_thai_or_english_or_as_a_date(village, args, when):
    r = village.json("requests", "add", SOMSRI, *args)
    assert r["when"] == when


def test_the_same_key_twice_is_one_request(village):
    first = village.json("requests", "add", SOMSRI, "--category", "visit", "--when", "tomorrow", "--key", "call-7")
    again = village.json("requests", "add", SOMSRI, "--category", "visit", "--when", "tomorrow", "--key", "call-7")
    assert first["id"] == again["id"] and len(village.json("requests", "list")) == 1


@pytest.mark.parametrize("args, words", [
    (["089-999-9999", "--category", "visit", "--when", "tomorrow"], "ไม่พบสมาชิก"),
    (["77", "--category", "visit", "--when", "tomorrow"], "ไม่พบสมาชิกเลขที่ 77"),
    ([SOMSRI, "--category", "flying", "--when", "tomorrow"], "ไม่รู้จักประเภท"),
    ([SOMSRI, "--category", "visit", "--date", "2026-11-20"], "ผ่านไปแล้ว"),
    ([SOMSRI, "--category", "visit", "--date", "20/11/2569"], "ผ่านไปแล้ว"),
    ([SOMSRI, "--category", "visit", "--date", "31/02/2569"], "วันที่ไม่ถูกต้อง"),
    ([SOMSRI, "--category", "visit", "--when", "today", "--part", "morning"], "ผ่านไปแล้ว"),
    ([SOMSRI, "--category", "visit", "--when", "yesterday"], "ไม่เข้าใจ"),
    ([SOMSRI, "--category", "visit"], "กรุณาระบุวัน"),
    ([SOMSRI, "--category", "visit", "--when", "tomorrow", "--date", "2026-11-25"], "อย่างใดอย่างหนึ่ง"),
    ([SOMSRI, "--category", "visit", "--when", "tomorrow", "--part", "night"], "เช้า บ่าย หรือ เย็น"),
    ([SOMSRI, "--category", "visit", "--when", "tomorrow", "--minutes", "5"], "15 นาที"),
    ([SOMSRI, "--category", "visit", "--recurring", "every monday"], "รูปแบบการขอซ้ำ"),
])
def test_bad_requests_are_refused_clearly_and_change_nothing(village, args, words):
    assert words in village.fails("requests", "add", *args)


def test_a_paused_member_cannot_ask(village):
    village("members", "pause", SOMSRI)
    assert "พักการใช้งาน" in village.fails("requests", "add", SOMSRI, "--category", "visit", "--when", "tomorrow")


# --- listing and reading -------------------------------------------------------------------

def test_requests_list_json_is_an_array_of_objects_for_scripts(village):
    clinic_tomorrow(village)
    village("requests", "add", BOONMEE, "--category", "errand", "--when", "this-week")
    rows = village.json("requests", "list")
    assert isinstance(rows, list) and all(LIST_KEYS <= set(r) for r in rows)
    assert [(r["id"], r["member"], r["category"], r["state"]) for r in rows] == [
        (2, "+66815550101", "errand", "open"), (1, "+66812345678", "clinic", "open")]
    assert [r["id"] for r in village.json("requests", "list", "--member", BOONMEE)] == [2]


def test_requests_list_filters_by_state(village):
    assigned_to_somchai(village)
    village("requests", "add", BOONMEE, "--category", "visit", "--when", "tomorrow", "--part", "evening")
    assert [r["state"] for r in village.json("requests", "list", "--state", "assigned")] == ["assigned"]
    assert len(village.json("requests", "list", "--state", "assigned,open")) == 2
    assert "ไม่รู้จักสถานะ" in village.fails("requests", "list", "--state", "lost")


def test_requests_list_prints_a_table_with_thai_dates(village):
    clinic_tomorrow(village)
    out = village("requests", "list").stdout
    assert out.splitlines()[0].split() == ["id", "state", "member_name", "category", "when_th",
                                           "volunteer_name", "stuck_reason"]
    assert "ยายสมศรี" in out and "22 พ.ย. 69 เช้า" in out


def test_show_gives_the_offers_and_the_whole_history(village):
    request_id = assigned_to_somchai(village)
    r = village.json("requests", "show", request_id)
    assert (r["state"], r["volunteer"], r["volunteer_name"]) == ("assigned", "+66891112233", "สมชาย")
    assert r["planned_start"] == "2026-11-22T09:00+07:00"
    assert [e["kind"] for e in r["events"]] == ["created", "offered", "assigned"]
    assert [(e["from_state"], e["to_state"]) for e in r["events"][1:]] == [("open", "offered"),
                                                                          ("offered", "assigned")]
    [offer] = r["offers"]
    assert (offer["volunteer"], offer["state"], len(offer["code"])) == ("+66891112233", "accepted", 3)
    assert has_thai(offer["reason"])
    text = village("requests", "show", request_id).stdout
    assert "สมชาย" in text and "ประวัติ / history:" in text and "offered" in text


def test_show_of_an_unknown_request_is_refused(village):
    assert "ไม่พบคำขอเลขที่ 99" in village.fails("requests", "show", "99")


# --- the runner from the command line -------------------------------------------------------

def test_one_scheduler_tick_offers_the_open_requests_and_says_so(village):
    clinic_tomorrow(village)
    out = village("scheduler", "tick").stdout
    assert "ข้อเสนองานที่ส่ง / offers sent: 1" in out
    again = village.json("scheduler", "tick")
    assert (again["match"], again["recurring"], again["near"]) == (0, 0, 0)
    assert set(again["jobs"]) == {"claimed", "done", "retried", "failed"}
    assert village.json("requests", "show", "1")["state"] == "offered"


def test_scheduler_run_refuses_a_bad_interval(village):
    assert "มากกว่า 0 วินาที" in village.fails("scheduler", "run", "--every", "0")


# --- answers, by hand ------------------------------------------------------------------------

def test_a_volunteer_s_phoned_yes_assigns_the_request_and_holds_the_credits(village):
    request_id = assigned_to_somchai(village)
    assert village.json("requests", "show", request_id)["state"] == "assigned"
    assert village.json("ledger", "balance", SOMSRI)["held_minutes"] == 120


def test_accepting_twice_is_refused_and_changes_nothing(village):
    request_id = assigned_to_somchai(village)
    stderr = village.fails("requests", "answer", request_id, SOMCHAI, "--yes")
    assert "ไม่ได้รอคำตอบจาก สมชาย แล้ว" in stderr and "accepted" in stderr


def test_a_volunteer_cannot_answer_an_offer_that_is_not_theirs(village):
    request_id = clinic_tomorrow(village)
    village("scheduler", "tick")
    assert "ไม่ได้เสนองานเลขที่ 1 ให้ มาลี" in village.fails("requests", "answer", request_id, MALEE, "--yes")


def test_an_offer_that_expired_can_no_longer_be_accepted(village):
    request_id = village.json("requests", "add", BOONMEE, "--category", "errand", "--when", "tomorrow",
                              "--part", "afternoon")["id"]
    village("scheduler", "tick")
    first = village.json("requests", "show", request_id)["offers"][0]["volunteer"]
    village.clock.advance(hours=3)
    village("scheduler", "tick")                    # expired: the other volunteer has it now
    assert "expired" in village.fails("requests", "answer", request_id, first, "--yes")


def test_a_decline_passes_the_request_on(village):
    request_id = village.json("requests", "add", BOONMEE, "--category", "errand", "--when", "tomorrow",
                              "--part", "afternoon")["id"]
    village("scheduler", "tick")
    first = village.json("requests", "show", request_id)["offers"][0]["volunteer"]
    village("requests", "answer", request_id, first, "--no")
    offers = village.json("requests", "show", request_id)["offers"]
    assert [o["state"] for o in offers] == ["declined", "pending"] and offers[1]["volunteer"] != first


def test_answer_needs_yes_or_no(village):
    request_id = clinic_tomorrow(village)
    village("scheduler", "tick")
    assert "--yes" in village.fails("requests", "answer", request_id, SOMCHAI)


# --- suggestions and assigning by hand ---------------------------------------------------------

def test_suggest_lists_volunteers_with_a_one_line_thai_reason(village):
    request_id = village.json("requests", "add", BOONMEE, "--category", "errand", "--when", "tomorrow",
                              "--part", "afternoon")["id"]
    rows = village.json("requests", "suggest", request_id)
    assert {r["phone"] for r in rows} == {"+66891112233", "+66891114455"}
    assert all(has_thai(r["reason"]) and "ว่างบ่าย" in r["reason"] for r in rows)
    out = village("requests", "assign", request_id).stdout          # no volunteer given: the suggestions
    assert "1. " in out and "ว่างบ่าย" in out
    assert village.json("requests", "show", request_id)["state"] == "open"


def test_the_coordinator_assigns_by_hand(village):
    request_id = village.json("requests", "add", BOONMEE, "--category", "errand", "--when", "this-week")["id"]
    out = village("requests", "assign", request_id, MALEE, "--date", "2026-11-22", "--part", "evening").stdout
    assert "มอบงานเลขที่ 1 ให้ มาลี แล้ว" in out
    r = village.json("requests", "show", request_id)
    assert (r["state"], r["volunteer"], r["planned_start"]) == ("assigned", "+66891114455", "2026-11-22T17:00+07:00")
    assert "มีผู้ช่วยแล้ว" in village.fails("requests", "assign", request_id, SOMCHAI)


def test_assigning_a_member_who_is_not_a_volunteer_is_refused(village):
    request_id = clinic_tomorrow(village)
    assert "ไม่ได้เป็นจิตอาสา" in village.fails("requests", "assign", request_id, BOONMEE)


# --- after the visit -----------------------------------------------------------------------

def test_done_then_the_elder_s_yes_pays_the_volunteer(village):
    request_id = assigned_to_somchai(village)
    village.clock.advance(hours=26)                                   # Sunday 11:00
    village("requests", "done", request_id, "--minutes", "90")
    out = village("requests", "confirm", request_id, "--yes").stdout
    assert "จ่ายเวลาแล้ว" in out and "1 ชั่วโมง 30 นาที" in out
    r = village.json("requests", "show", request_id)
    assert (r["state"], r["paid_minutes"], r["reported_minutes"]) == ("paid", 90, 90)
    assert r["events"][-2]["actor"].endswith(":for:1")              # entered for ยายสมศรี
    assert village.json("ledger", "balance", SOMSRI)["balance_minutes"] == 30
    assert village.json("ledger", "balance", SOMCHAI)["balance_minutes"] == 210
    village("requests", "confirm", request_id, "--yes")               # a second yes pays nothing more
    assert village.json("ledger", "balance", SOMCHAI)["balance_minutes"] == 210


def test_confirming_a_request_never_done_is_refused(village):
    request_id = assigned_to_somchai(village)                        # the visit is tomorrow
    assert "ยังไม่ถึงเวลานัด" in village.fails("requests", "confirm", request_id, "--yes")
    open_one = village.json("requests", "add", BOONMEE, "--category", "visit", "--when", "tomorrow")["id"]
    assert "ยังไม่ได้รับความช่วยเหลือ" in village.fails("requests", "confirm", open_one, "--yes")
    assert "--yes" in village.fails("requests", "confirm", request_id)


def test_done_before_the_visit_or_without_a_volunteer_is_refused(village):
    request_id = assigned_to_somchai(village)
    assert "ยังไม่ถึงเวลานัด" in village.fails("requests", "done", request_id)
    open_one = village.json("requests", "add", BOONMEE, "--category", "visit", "--when", "tomorrow")["id"]
    assert "ยังไม่มีผู้ช่วย" in village.fails("requests", "done", open_one)


def test_an_elder_s_no_is_a_dispute_the_coordinator_sees_and_resolves(village):
    request_id = assigned_to_somchai(village)
    village.clock.advance(hours=26)
    village("requests", "confirm", request_id, "--no")
    stuck = village.json("requests", "stuck")
    assert [(r["id"], r["state"], r["stuck_reason"]) for r in stuck] == [
        (request_id, "disputed", "ผู้รับบอกว่าไม่ได้รับความช่วยเหลือ")]
    assert "ผู้รับบอกว่าไม่ได้รับความช่วยเหลือ" in village("requests", "stuck").stdout
    assert "อย่างใดอย่างหนึ่ง" in village.fails("requests", "resolve", request_id)
    assert "อย่างใดอย่างหนึ่ง" in village.fails("requests", "resolve", request_id, "--pay", "60", "--no-show")
    village("requests", "resolve", request_id, "--no-show", "--note", "สมชายรถเสีย")
    assert village.json("requests", "show", request_id)["state"] == "no_show"
    assert village.json("ledger", "balance", SOMSRI)["held_minutes"] == 0
    assert village.json("requests", "stuck") == []
    assert "ไม่มีข้อโต้แย้ง" in village.fails("requests", "resolve", request_id, "--pay", "60")


def test_a_dispute_may_be_settled_by_paying_part(village):
    request_id = assigned_to_somchai(village)
    village.clock.advance(hours=26)
    village("requests", "confirm", request_id, "--no")
    village("requests", "resolve", request_id, "--pay", "60")
    r = village.json("requests", "show", request_id)
    assert (r["state"], r["paid_minutes"]) == ("paid", 60)


def test_a_yes_the_elder_cannot_cover_waits_for_a_pool_grant_then_is_paid(village):
    request_id = assigned_to_somchai(village)                          # 120 minutes held of her 120
    village.clock.advance(hours=26)
    village("requests", "done", request_id, "--minutes", "180")
    assert "ผู้รับยืนยันแล้ว" in village("requests", "confirm", request_id, "--yes").stdout
    [row] = village.json("requests", "stuck")
    assert (row["id"], row["state"]) == (request_id, "confirmed") and "กองกลาง" in row["stuck_reason"]
    assert "not enough credit" in village.fails("requests", "resolve", request_id, "--pay", "180")
    village("ledger", "donate", MALEE, "60")
    village("ledger", "grant", SOMSRI, "60")
    village("requests", "resolve", request_id, "--pay", "180")
    r = village.json("requests", "show", request_id)
    assert (r["state"], r["paid_minutes"], r["stuck_reason"]) == ("paid", 180, None)
    assert village.json("ledger", "balance", SOMCHAI)["balance_minutes"] == 300


def test_stuck_lists_requests_nobody_can_take_with_the_reason(village):
    village("requests", "add", BOONMEE, "--category", "home", "--when", "tomorrow")   # nobody repairs
    village("scheduler", "tick")
    [row] = village.json("requests", "stuck")
    assert (row["member"], row["category"], row["stuck_reason"]) == ("+66815550101", "home",
                                                                     "ไม่มีจิตอาสาที่ว่างตรงเวลา")
    assert "nothing is stuck" not in village("requests", "stuck").stdout


def test_nothing_stuck_says_so(village):
    assert "ไม่มีคำขอที่ติดค้าง" in village("requests", "stuck").stdout


# --- cancel ------------------------------------------------------------------------------------

def test_cancel_releases_the_held_credits_and_keeps_the_reason(village):
    request_id = assigned_to_somchai(village)
    village("requests", "cancel", request_id, "--reason", "ลูกชายมารับเอง")
    r = village.json("requests", "show", request_id)
    assert r["state"] == "cancelled" and r["events"][-1]["detail"] == {"reason": "ลูกชายมารับเอง"}
    assert village.json("ledger", "balance", SOMSRI)["held_minutes"] == 0
    village("requests", "cancel", request_id)                        # again: nothing more happens


def test_a_paid_request_cannot_be_cancelled(village):
    request_id = assigned_to_somchai(village)
    village.clock.advance(hours=26)
    village("requests", "confirm", request_id, "--yes")
    assert "จ่ายเวลาแล้ว" in village.fails("requests", "cancel", request_id)


# --- the demo ----------------------------------------------------------------------------------

def test_the_demo_asks_for_help_once_however_often_it_runs(wela):
    out = wela("demo").stdout
    assert "demo:boonmee:clinic" in out and "offers sent: 2" in out
    wela("demo")
    rows = {r["key"]: r for r in wela.json("requests", "list")}
    assert sorted(rows) == ["demo:boonmee:clinic", "demo:kham:visit", "demo:somsri:errand-yesterday"]
    assert rows["demo:boonmee:clinic"]["state"] == rows["demo:kham:visit"]["state"] == "offered"
    assert rows["demo:somsri:errand-yesterday"]["state"] == "done"
    from sms.orm import OutboundSms

    with wela.app.extensions["wela"].sessions() as s:
        texts = s.execute(select(OutboundSms.purpose, OutboundSms.request_id)).all()
    assert sorted(texts) == [("offer", rows["demo:boonmee:clinic"]["id"]),     # yesterday's texts are
                             ("offer", rows["demo:kham:visit"]["id"])]        # not sent today


@pytest.mark.parametrize("days", range(7))
def test_the_readme_s_answer_as_somchai_works_whatever_the_day(wela, days):
    """The README has a new user text รับ as สมชาย: the demo offers him the clinic ride any day of
    the week (it once left him nothing on a Friday or a Saturday, when tomorrow fell outside his days)."""
    wela.clock.advance(days=days)
    wela("demo")
    assert "นัดแล้ว ตาบุญมี ไปหาหมอ" in wela("sms", "simulate", SOMCHAI, "รับ").stdout


def test_in_the_demo_somsri_confirms_yesterdays_errand_and_asks_for_the_clinic_by_phone(wela):
    wela("demo")
    out = wela("call", SOMSRI, "--keys", "2,1,3").stdout
    assert "คุณมาลี มาช่วยซื้อของหรือไปทำธุระ เมื่อวานนี้" in out
    assert "ธนาคารเวลาจ่ายเวลา หนึ่งชั่วโมง ให้คุณมาลี แล้วค่ะ" in out
    assert "เวลาคงเหลือของคุณ สามชั่วโมง ค่ะ" in out                 # 2 h to start, 2 h from the pool, 1 h paid
    assert "บันทึกคำขอแล้ว" in wela("call", SOMSRI, "--keys", "1,1,2,1").stdout   # four key presses
    wela("demo")                                                    # again: nothing done twice
    clinic = [r for r in wela.json("requests", "list") if r["member_name"].startswith("ยายสมศรี")
              and r["category"] == "clinic"]
    assert len(clinic) == 1
    wela("requests", "assign", clinic[0]["id"], SOMCHAI)            # สมชาย agreed by phone
    balance = wela.json("ledger", "balance", SOMSRI)
    assert (balance["balance_minutes"], balance["held_minutes"]) == (180, 120)   # her credits cover it
    assert wela.json("requests", "show", clinic[0]["id"])["state"] == "assigned"
    assert "clean" in wela("ledger", "check").stdout
