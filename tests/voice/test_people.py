"""What needs a person, settled by the coordinator: a callback rung back, a stranger registered or not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.errors import InvalidInput, NotFound
from voice.orm import CallbackRequest, PendingRegistration
from voice.people import (close_callback, note_callback, open_callbacks, pending_registrations, register_stranger,
                          settle_registration)
from wela.db import atomic

STRANGER = "+66899990000"


def test_a_callback_rung_back_leaves_the_list_once_and_keeps_who_and_when(db, clock, village):
    first = atomic(db.sessions, lambda s: note_callback(s, None, key="callback:CA1", call_sid="CA1", phone=STRANGER,
                                                        member_id=None, reason="no_answer", now=clock.now()))
    atomic(db.sessions, lambda s: close_callback(s, first.id, by="web:admin", now=clock.now()))
    clock.advance(minutes=5)
    atomic(db.sessions, lambda s: close_callback(s, first.id, by="web:someone-else", now=clock.now()))
    with db.sessions() as s:
        row = s.get(CallbackRequest, first.id)
        assert (row.done_by, row.done_at is not None) == ("web:admin", True)
        assert open_callbacks(s) == []


def test_a_stranger_is_registered_or_dropped_once(db, clock, village):
    def leave(sid):  # noqa: ANN001, ANN202
        return atomic(db.sessions, lambda s: register_stranger(
            s, None, call_sid=sid, phone=STRANGER, name_url="https://api.twilio.com/RE1",
            village_url="https://api.twilio.com/RE2", now=clock.now()))

    joined, gone = leave("CA1"), leave("CA2")
    atomic(db.sessions, lambda s: settle_registration(s, joined.id, "registered"))
    atomic(db.sessions, lambda s: settle_registration(s, gone.id, "dropped"))
    atomic(db.sessions, lambda s: settle_registration(s, gone.id, "registered"))       # settled already
    with db.sessions() as s:
        assert [r.state for r in s.scalars(select(PendingRegistration).order_by(PendingRegistration.id))] == \
            ["registered", "dropped"]
        assert pending_registrations(s) == []


def test_a_stranger_whose_number_becomes_a_member_s_no_longer_waits(db, clock, village):
    from ledger.members import register_member

    atomic(db.sessions, lambda s: register_stranger(s, None, call_sid="CA1", phone=STRANGER, name_url="",
                                                    village_url="", now=clock.now()))
    with db.sessions() as s:
        assert len(pending_registrations(s)) == 1
    atomic(db.sessions, lambda s: register_member(s, clock=clock, entered_by="cli:somjai", name="สมหญิง ใจดี",
                                                  phone="089-999-0000", role="elder", village="บ้านหนองบัว"))
    with db.sessions() as s:
        assert pending_registrations(s) == []


@pytest.mark.parametrize("work, error", [
    (lambda s, now: close_callback(s, 999, by="web:admin", now=now), NotFound),
    (lambda s, now: settle_registration(s, 999, "registered"), NotFound),
    (lambda s, now: settle_registration(s, 1, "maybe"), InvalidInput)])
def test_an_unknown_callback_or_outcome_is_refused_in_thai(db, clock, village, work, error):
    with pytest.raises(error) as raised:
        atomic(db.sessions, lambda s: work(s, clock.now()))
    assert raised.value.th
