"""Receiving a text: store it first (once per provider message id), then handle it, then reply.

Three short steps, each its own transaction:
1. *Store*: the text is written to ``sms_inbox`` (body cleaned of NUL bytes and cut to 1,600
   characters). The same ``(provider, provider_id)`` is stored once: a repeated webhook finds the
   stored row and gets the reply already given, and nothing runs twice.
2. *Handle*: the stored row is locked, the command runs (sms/handle.py) and the row is marked
   handled with its reply, all in one transaction: either both happen or neither.
3. *Reply*: as TwiML in the webhook's answer (Twilio), as an urgent outbox row (Android gateway),
   or not at all (``wela sms simulate`` prints it). Every reply sent is an outbox row too.
An unexpected error in step 2 is logged; the text is marked handled with the generic apology, and
the sender gets that apology rather than silence or a stack trace.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prompts_th import catalogue
from scheduler.context import Env
from sms import optout
from sms.handle import phone_key, read_incoming, reply_to
from sms.orm import MAX_INBOUND_BODY, InboundSms
from sms.outbox import STOP_PURPOSE, enqueue
from wela.db import add_once, atomic

log = logging.getLogger("wela.sms")

ReplyVia = Literal["twiml", "outbox", "none"]
FLOOD_LIMIT = 10                       # texts from one number in FLOOD_WINDOW before we stop replying
FLOOD_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Received:
    inbound_id: int
    phone: str
    reply: Optional[str]
    duplicate: bool = False


def clean_body(body: Any) -> str:
    """Text as the database can keep it: no NUL bytes, at most MAX_INBOUND_BODY characters."""
    text = body if isinstance(body, str) else ""
    return text.replace("\x00", "")[:MAX_INBOUND_BODY]


def receive(w: Any, *, provider: str, provider_id: str, from_phone: str, body: Any,
            reply_via: ReplyVia = "outbox", env: Optional[Env] = None) -> Received:
    """Store, handle once, and prepare the reply of one inbound text. Never raises for bad input."""
    raw = body if isinstance(body, str) else ""
    text = clean_body(raw)
    phone = phone_key(clean_body(from_phone)[:40])
    stored = atomic(w.sessions, lambda s: _store(s, provider, provider_id[:120], phone, text, len(raw),
                                                 w.clock.now()))
    if stored.duplicate:
        return stored
    if env is None:
        from wela.wiring import scheduler_env
        env = scheduler_env(w)
    bank_phone = w.settings.bank_phone or w.settings.coordinator_phone
    try:
        return atomic(w.sessions, lambda s: _handle(s, env, stored.inbound_id, raw, reply_via, bank_phone))
    except Exception as exc:  # noqa: BLE001  (the sender gets an apology, never a trace)
        log.exception("SMS %s from %s could not be handled", stored.inbound_id, phone)
        error = exc
    return atomic(w.sessions, lambda s: _apologise(s, env, stored.inbound_id, reply_via, error))


def _store(s: Session, provider: str, provider_id: str, phone: str, text: str, length: int,
           now: datetime) -> Received:
    row, new = add_once(s, lambda: _find(s, provider, provider_id),
                        lambda: InboundSms(provider=provider, provider_id=provider_id, from_phone=phone,
                                           body=text, body_chars=length, received_at=now))
    if new:
        return Received(row.id, phone, None)
    return Received(row.id, row.from_phone, row.reply_text, duplicate=row.handled_at is not None)


def _find(s: Session, provider: str, provider_id: str) -> Optional[InboundSms]:
    return s.scalar(select(InboundSms).where(InboundSms.provider == provider,
                                             InboundSms.provider_id == provider_id))


def _locked(s: Session, inbound_id: int) -> InboundSms:
    return s.scalar(select(InboundSms).where(InboundSms.id == inbound_id).with_for_update()
                    .execution_options(populate_existing=True))


def _handle(s: Session, env: Env, inbound_id: int, raw: str, reply_via: ReplyVia,
            bank_phone: str) -> Received:
    row = _locked(s, inbound_id)
    if row.handled_at is not None:          # a twin of this webhook got here first
        return Received(row.id, row.from_phone, row.reply_text, duplicate=True)
    text = read_incoming(s, row.from_phone, raw)
    row.member_id = text.member.id if text.member else None
    row.command = type(text.command).__name__          # as the use cases read it, with the offer codes
    reply = reply_to(s, env, text, bank_phone=bank_phone)
    if reply and _flooding(s, env, row):
        log.warning("SMS flood from %s: no reply", row.from_phone)
        reply = None
    _reply(s, env, row, reply, reply_via)
    return Received(row.id, row.from_phone, reply)


def _flooding(s: Session, env: Env, row: InboundSms) -> bool:
    count = s.scalar(select(func.count(InboundSms.id)).where(
        InboundSms.from_phone == row.from_phone, InboundSms.received_at >= env.now() - FLOOD_WINDOW))
    return (count or 0) > FLOOD_LIMIT


def _reply(s: Session, env: Env, row: InboundSms, reply: Optional[str], reply_via: ReplyVia) -> None:
    row.handled_at, row.reply_text = env.now(), reply
    if not reply or reply_via == "none" or not row.from_phone:
        return
    purpose = STOP_PURPOSE if optout.is_stopped(s, row.from_phone) else "reply"
    enqueue(s, key=f"reply:{row.provider}:{row.provider_id}", to_phone=row.from_phone, body=reply,
            purpose=purpose, now=env.now(), member_id=row.member_id, urgent=True,
            status="sent" if reply_via == "twiml" else "queued",
            provider="twilio" if reply_via == "twiml" else None)


def _apologise(s: Session, env: Env, inbound_id: int, reply_via: ReplyVia, exc: Exception) -> Received:
    row = _locked(s, inbound_id)
    if row.handled_at is not None:
        return Received(row.id, row.from_phone, row.reply_text, duplicate=True)
    row.error = f"{type(exc).__name__}: {exc}"[:2000]
    reply = None if optout.is_stopped(s, row.from_phone) else catalogue.text(catalogue.GENERIC_ERROR)
    _reply(s, env, row, reply, reply_via)
    return Received(row.id, row.from_phone, reply)


def inbox_rows(s: Session, *, limit: int = 200) -> list[InboundSms]:
    return list(s.scalars(select(InboundSms).order_by(InboundSms.id.desc()).limit(limit)))


def inbox_dict(row: InboundSms) -> dict[str, Any]:
    return {"id": row.id, "from": row.from_phone, "body": row.body, "chars": row.body_chars,
            "provider": row.provider, "provider_id": row.provider_id, "member": row.member_id,
            "command": row.command, "received_at": row.received_at, "handled_at": row.handled_at,
            "reply": row.reply_text, "error": row.error}
