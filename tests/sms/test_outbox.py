"""The outbox: a row first, sent once, retried with backoff, quiet at night, polite to each number."""
import threading
from datetime import datetime

import pytest
from sqlalchemy import select, update

from ledger.clock import BANGKOK
from scheduler.ports import Message
from sms import optout
from sms.delivery import record_status
from sms.notifier import OutboxNotifier
from sms.orm import OutboundSms
from sms.outbox import LEASE, MAX_ATTEMPTS, RATE_LIMIT, backoff, enqueue, flush
from tests.sms.conftest import SOMCHAI
from wela.db import atomic


def offer_to_somchai(key="offer:1", urgent=False, template="sms.offer"):
    return Message(member_id=2, phone=SOMCHAI, template=template, purpose="offer", key=key, urgent=urgent,
                   slots={"request": 1, "name": "ยายสมศรี ใจดี", "category": "clinic", "day": "2026-11-22",
                          "start": "09:00", "village": "บ้านหนองบัว", "minutes": 120, "code": "482"})


def notify(w, *messages):
    atomic(w.sessions, lambda s: [OutboxNotifier(w.clock).send(s, m) for m in messages])


def rows(w):
    with w.sessions() as s:
        return list(s.scalars(select(OutboundSms).order_by(OutboundSms.id)))


def test_an_offer_becomes_one_queued_row_with_its_text_counted(w, village):
    notify(w, offer_to_somchai(), offer_to_somchai())          # the same key twice: one row
    [row] = rows(w)
    assert (row.to_phone, row.purpose, row.status, row.key) == (SOMCHAI, "offer", "queued", "offer:1")
    assert row.body == "ช่วยยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว ตอบ 1 รับ 2 ไม่รับ"
    assert (row.segments, row.encoding, row.member_id) == (1, "UCS-2", 2)


def test_flush_sends_a_due_text_once_and_records_the_provider_id(w, gateway, village):
    notify(w, offer_to_somchai())
    assert flush(w) == {"sent": 1}
    assert flush(w) == {}
    [row] = rows(w)
    assert gateway.to(SOMCHAI) == [row.body]
    assert (row.status, row.provider, row.provider_id, row.attempts) == ("sent", "memory", "MM0001", 1)
    assert [h["status"] for h in row.history] == ["queued", "sending", "sent"]


def test_a_text_queued_at_night_waits_for_seven_unless_it_is_urgent(w, gateway, clock, village):
    clock.set(datetime(2026, 11, 21, 22, 30, tzinfo=BANGKOK))
    notify(w, offer_to_somchai("offer:1"), offer_to_somchai("assigned:1", urgent=True))
    assert flush(w) == {"sent": 1}
    assert len(gateway.to(SOMCHAI)) == 1
    clock.set(datetime(2026, 11, 22, 6, 59, tzinfo=BANGKOK))
    assert flush(w) == {}
    clock.set(datetime(2026, 11, 22, 7, 0, tzinfo=BANGKOK))
    assert flush(w) == {"sent": 1}
    assert len(gateway.to(SOMCHAI)) == 2


def test_a_provider_error_is_retried_with_growing_waits_and_nothing_is_lost(w, gateway, clock, village):
    gateway.fail_next = 3
    notify(w, offer_to_somchai())
    assert flush(w) == {"retried": 1}
    for attempt in (1, 2):
        clock.advance(seconds=backoff(attempt).total_seconds() - 1)
        assert flush(w) == {}                                 # not before its time
        clock.advance(seconds=1)
        assert flush(w) == {"retried": 1}
    clock.advance(minutes=2)
    assert flush(w) == {"sent": 1}
    [row] = rows(w)
    assert row.status == "sent" and row.attempts == 4 and len(gateway.sent) == 1
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 1800, 1800]


def test_a_failing_provider_is_tried_once_per_flush_and_the_other_texts_wait_untried(w, gateway, clock, village):
    gateway.fail_next = 1
    notify(w, *[offer_to_somchai(f"offer:{i}", urgent=True) for i in range(3)])
    assert flush(w) == {"retried": 1, "held_back": 2}
    assert gateway.calls == 1
    clock.advance(seconds=30)
    assert flush(w) == {"sent": 3}
    assert [r.attempts for r in rows(w)] == [2, 1, 1]


def test_a_text_the_provider_refuses_is_failed_not_retried(w, gateway, village):
    gateway.fail_next, gateway.permanent = 1, True
    notify(w, offer_to_somchai())
    assert flush(w) == {"failed": 1}
    [row] = rows(w)
    assert row.status == "failed" and "refused" in row.last_error


def test_after_the_last_attempt_the_text_is_failed_and_kept(w, gateway, clock, village):
    gateway.fail_next = MAX_ATTEMPTS
    notify(w, offer_to_somchai())
    for _ in range(MAX_ATTEMPTS):
        flush(w)
        clock.advance(hours=1)
    [row] = rows(w)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "gave up" in row.last_error


def test_a_send_whose_answer_was_lost_is_looked_up_not_sent_again(w, gateway, clock, village):
    gateway.lose_next = 1                     # the provider took it, then the connection dropped
    notify(w, offer_to_somchai())
    assert flush(w) == {"retried": 1}
    clock.advance(minutes=1)
    assert flush(w) == {"found": 1}
    [row] = rows(w)
    assert row.status == "sent" and row.provider_id == "MM0001" and len(gateway.sent) == 1


def test_a_runner_that_died_mid_send_leaves_a_row_the_next_runner_checks_first(w, gateway, clock, village):
    notify(w, offer_to_somchai("offer:1"), offer_to_somchai("offer:2"))
    gateway.send(SOMCHAI, rows(w)[0].body, ref=rows(w)[0].ref)      # row 1 reached the provider …
    atomic(w.sessions, lambda s: s.execute(update(OutboundSms).values(    # … and then the runner died
        status="sending", lease_until=clock.now() + LEASE, leased_by="dead", attempts=1)))
    assert flush(w) == {}                                            # the lease still holds
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert flush(w) == {"found": 1, "sent": 1}
    assert len(gateway.sent) == 2 and [r.status for r in rows(w)] == ["sent", "sent"]


def test_each_number_gets_at_most_a_few_texts_in_ten_minutes(w, gateway, clock, village):
    notify(w, *[offer_to_somchai(f"offer:{i}", urgent=True) for i in range(RATE_LIMIT + 2)])
    assert flush(w) == {"sent": RATE_LIMIT, "deferred": 2}
    clock.advance(minutes=10, seconds=1)
    assert flush(w) == {"sent": 2}
    assert len(gateway.to(SOMCHAI)) == RATE_LIMIT + 2


def test_a_stopped_number_gets_nothing_but_the_stop_confirmation(w, gateway, clock, village):
    atomic(w.sessions, lambda s: optout.stop(s, SOMCHAI, clock.now()))
    notify(w, offer_to_somchai())
    atomic(w.sessions, lambda s: enqueue(s, key="reply:stop", to_phone=SOMCHAI, body="หยุดส่งข้อความให้แล้วค่ะ",
                                         purpose="stop", now=clock.now(), urgent=True))
    assert flush(w) == {"stopped": 1, "sent": 1}
    assert gateway.to(SOMCHAI) == ["หยุดส่งข้อความให้แล้วค่ะ"]
    offer = rows(w)[0]
    assert offer.status == "failed" and offer.last_error.startswith("stopped")


def test_status_callbacks_only_move_forward_however_they_arrive(w, gateway, clock, village):
    notify(w, offer_to_somchai())
    flush(w)
    ref = rows(w)[0].ref

    def callback(status):
        return atomic(w.sessions, lambda s: record_status(s, provider="memory", provider_id="MM0001",
                                                          status=status, now=clock.now()))
    assert callback("delivered") is True
    assert callback("sent") is False                 # late
    assert callback("delivered") is False            # repeated
    assert callback("failed") is False               # a final status stays final
    assert atomic(w.sessions, lambda s: record_status(s, provider="x", ref=ref, status="queued",
                                                      now=clock.now())) is False
    [row] = rows(w)
    assert row.status == "delivered"
    assert [h["status"] for h in row.history] == ["queued", "sending", "sent", "delivered"]


def test_a_callback_faster_than_our_own_record_still_finds_its_row(w, clock, village):
    notify(w, offer_to_somchai())
    ref = rows(w)[0].ref
    atomic(w.sessions, lambda s: record_status(s, provider="twilio", provider_id="SM1", ref=ref,
                                               status="delivered", now=clock.now()))
    [row] = rows(w)
    assert (row.status, row.provider_id) == ("delivered", "SM1")


@pytest.mark.parametrize("runners", [4])
def test_two_runners_at_once_never_send_a_text_twice(w, gateway, village, runners):
    notify(w, *[offer_to_somchai(f"offer:{i}", urgent=True) for i in range(3)],
           *[Message(member_id=3, phone=f"+6689111{4400 + i}", template="sms.reply.help", slots={},
                     purpose="help", key=f"help:{i}", urgent=True) for i in range(12)])
    barrier = threading.Barrier(runners)
    errors = []

    def run():
        try:
            barrier.wait()
            for _ in range(3):
                flush(w)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=run) for _ in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    refs = [s.ref for s in gateway.sent]
    assert len(refs) == len(set(refs)) == 15
    assert {r.status for r in rows(w)} == {"sent"}


def test_the_schedulers_runner_sends_the_outbox_after_each_tick(w, env, gateway, village):
    from scheduler import requests
    from wela.wiring import runner

    atomic(w.sessions, lambda s: requests.request_help(s, env, member_id=village.somsri, category="clinic",
                                                       when="tomorrow", part="morning", minutes=120))
    report = runner(w).tick()
    assert report["match"] == 1 and report["send_sms"] == {"sent": 1}
    assert gateway.to(SOMCHAI) == ["ช่วยยายสมศรี ไปหาหมอ อา. 22 พ.ย. 9 โมงเช้า หนองบัว ตอบ 1 รับ 2 ไม่รับ"]
