"""The database goes away in the middle of ยายสมศรี's call: she hears a Thai apology and the coordinator,
never Twilio's "application error"; nothing half-made is saved; when the database is back, Twilio's
retry of the same step saves her request once.

How the fault is made real:
* PostgreSQL: the app's engine points at a private cluster (tests/faults/pgcluster.py), which is
  stopped with ``pg_ctl stop -m fast`` between two key presses: the pooled connections die and
  new ones are refused, exactly as when the server goes down.
* SQLite: the pool is emptied and the database file is moved away with a folder put in its
  place, so every new connection fails with "unable to open database file" (a disk that
  vanished). Moving it back is the database returning.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from prompts_th.catalogue import text as prompt
from scheduler.orm import HelpRequest
from tests.faults.pgcluster import wait_until
from tests.voice.conftest import SOMSRI, build_app, make_village
from tests.voice.helpers import post, spoken, twilio_fields
from voice.orm import VoiceCall, VoiceStep
from voice.outbound import FakeDialer
from voice.simulator import Phone

pytestmark = pytest.mark.fault

COORDINATOR = "+66860001111"
LEAKS = ("Traceback", "psycopg", "sqlite3", "OperationalError", "Exception")


class _Db:
    """What tests.voice.conftest.build_app needs: a URL."""

    def __init__(self, url: str) -> None:
        self.url = url


def _count(w, model) -> int:  # noqa: ANN001
    with w.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def _reachable(w) -> bool:  # noqa: ANN001
    try:
        with w.engine.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


def _apology(response) -> ET.Element:  # noqa: ANN001
    """The answer is Thai TwiML with status 200: the apology, then the coordinator or a callback."""
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert response.mimetype in ("application/xml", "text/xml")
    assert not [leak for leak in LEAKS if leak in body], body
    root = ET.fromstring(body)
    assert root.tag == "Response"
    said = spoken(root)
    assert said[0] == prompt("error.generic")
    dialled = root.find("Dial/Number")
    if dialled is not None:
        assert prompt("ivr.person.connecting") in said and dialled.text == COORDINATOR
    else:
        assert prompt("ivr.person.callback") in said
    return root


def _somsri_reaches_the_read_back(client, w) -> Phone:  # noqa: ANN001
    phone = Phone(client, w.settings, SOMSRI)
    phone.call()
    for key in ("1", "1", "2"):                  # ask for help → a ride to the clinic → tomorrow
        phone.press(key)
    assert phone.turn.waits == "gather"
    assert phone.turn.says().startswith("คุณต้องการให้ช่วยพาไปหาหมอหรือไปอนามัย พรุ่งนี้")
    return phone


def _path(url: str) -> str:
    """The path and query Twilio would post to, from an absolute action URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _scenario(app, w, break_db: Callable[[], None], restore_db: Callable[[], None]) -> None:  # noqa: ANN001
    client = app.test_client()
    make_village(w.sessions, w.clock)
    phone = _somsri_reaches_the_read_back(client, w)
    step = _path(phone.turn.action)                # /voice/step?n=4&on=gather
    assert "n=4" in step
    calls_before = _count(w, VoiceCall)

    break_db()
    try:
        assert not _reachable(w)
        _apology(post(client, step, twilio_fields(phone.sid, Digits="1")))     # key 1: "yes, save it"
        _apology(post(client, step, twilio_fields(phone.sid, Digits="1")))     # Twilio's retry
        _apology(post(client, "/voice/incoming", twilio_fields("CA" + "d" * 32)))   # a new caller
    finally:
        restore_db()
    assert wait_until(lambda: _reachable(w), 30)

    # Nothing half-saved: no request, the call still waits at step 4, no step 4 logged.
    assert _count(w, HelpRequest) == 0
    assert _count(w, VoiceCall) == calls_before
    with w.sessions() as s:
        call = s.scalar(select(VoiceCall).where(VoiceCall.call_sid == phone.sid))
        assert call.seq == 4
        assert s.scalar(select(func.count()).select_from(VoiceStep)
                        .where(VoiceStep.call_id == call.id, VoiceStep.seq == 4)) == 0

    # The database is back: Twilio's next try of the same step saves the request, once.
    again = post(client, step, twilio_fields(phone.sid, Digits="1"))
    assert again.status_code == 200 and prompt("ivr.ask.saved") in again.get_data(as_text=True)
    twice = post(client, step, twilio_fields(phone.sid, Digits="1"))
    assert twice.get_data(as_text=True) == again.get_data(as_text=True)
    assert _count(w, HelpRequest) == 1
    with w.sessions() as s:
        req = s.scalar(select(HelpRequest))
        assert (req.category, req.channel, req.key) == ("clinic", "ivr", f"ivr:{phone.sid}:4")


def test_postgresql_stops_mid_call_the_caller_hears_thai_and_nothing_is_half_saved(cluster, clock, tmp_path):
    app = build_app(_Db(cluster.fresh_database()), clock, tmp_path, FakeDialer(), coordinator_phone=COORDINATOR)
    w = app.extensions["wela"]
    try:
        _scenario(app, w, break_db=lambda: cluster.stop("fast"), restore_db=cluster.start)
    finally:
        w.close()


def test_the_sqlite_file_vanishes_mid_call_the_caller_hears_thai_and_nothing_is_half_saved(sqlite_db, clock,
                                                                                            tmp_path):
    app = build_app(sqlite_db, clock, tmp_path, FakeDialer(), coordinator_phone="")
    w = app.extensions["wela"]
    path = Path(w.engine.url.database)
    away = path.with_name(path.name + ".away")

    def vanish() -> None:
        w.engine.dispose()
        sqlite_db.engine.dispose()
        path.rename(away)
        path.mkdir()                                # "unable to open database file"

    def come_back() -> None:
        path.rmdir()
        away.rename(path)
        w.engine.dispose()

    try:
        _scenario(app, w, break_db=vanish, restore_db=come_back)
    finally:
        w.close()
