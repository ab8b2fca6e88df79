"""Loudspeaker announcements (เสียงตามสาย) as a use case: text or template in, MP3 and a record out.

Shared by the web page and the `wela announce` command: plain arguments, returns the saved
:class:`~wela.admin.orm.Announcement`. The MP3 goes to ``settings.announcements_dir`` with the
text beside it (``.txt``) and prompts_th's own ``.json`` record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ledger.orm import Account, Member, Transfer
from prompts_th import announce, catalogue, thai_text
from prompts_th.cache import write_atomically
from prompts_th.engines import SpeechEngine
from wela.admin.audit import audit
from wela.admin.orm import Announcement
from wela.bootstrap import Wela
from wela.db import atomic
from wela.speech import audio_cache, speech_engine

TEMPLATES = tuple(announce.TEMPLATES)


def typed_data(template: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored (JSON) data back into what the template wants: ISO text → date and time."""
    out = dict(data)
    if template == "meeting":
        if isinstance(out.get("date"), str) and out["date"]:
            out["date"] = date.fromisoformat(out["date"])
        if isinstance(out.get("time"), str) and out["time"]:
            out["time"] = time.fromisoformat(out["time"])
    return out


def stored_data(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (date, time)) else v) for k, v in data.items()}


@dataclass(frozen=True)
class Preview:
    text: str           # what the headman reads on screen
    spoken: str         # what the voice says: lead-in, then the message in words (said twice)


def preview(template: str, data: Mapping[str, Any], *, words: Any = None) -> Preview:
    text = announcement_text(template, data, words=words)
    lead_in = (words or catalogue.text)(announce.LEAD_IN)
    return Preview(text, thai_text.speakable(lead_in) + " " + thai_text.speakable(text))


def announcement_text(template: str, data: Mapping[str, Any], *, words: Any = None) -> str:
    if template == "free":
        return announce.validate(str(data.get("text") or ""))
    return announce.validate(announce.render_template(template, typed_data(template, data), words=words))


def make_announcement(w: Wela, *, made_by: str, template: str = "free", data: Optional[Mapping[str, Any]] = None,
                      text: str = "", title: str = "", play_at: Optional[datetime] = None,
                      engine: Optional[SpeechEngine] = None, words: Any = None) -> Announcement:
    """Render the text (from `text`, or `template` with `data`), speak it, save MP3, text and record."""
    data = dict(data or {})
    if template == "free" and text:
        data["text"] = text
    message = announcement_text(template, data, words=words)
    made = announce.compose_announcement(message, engine or speech_engine(w),
                                         audio_cache(w), w.settings.announcements_dir, words=words)
    # Whole or not at all; a full disk is StorageFailed (a Thai message), never a bare OSError.
    write_atomically(made.path.with_suffix(".txt"), (message + "\n").encode("utf-8"))

    def save(s: Session) -> Announcement:
        record = Announcement(title=(title or message[:60]).strip()[:200], text=message, template=template,
                              data=stored_data(data), spoken_text=made.spoken_text,
                              file_name=made.path.name, engine=made.engine, offline=made.offline,
                              duration_ms=round(made.duration_s * 1000), play_at=play_at,
                              made_by=made_by[:120], created_at=w.clock.now())
        s.add(record)
        s.flush()
        audit(s, clock=w.clock, username=made_by, action="announcement:make", target=f"announcement:{record.id}",
              template=template, title=record.title, offline=made.offline)
        return record

    return atomic(w.sessions, save)


def audio_path(w: Wela, record: Announcement) -> Optional[Path]:
    path = Path(w.settings.announcements_dir) / record.file_name
    return path if record.file_name and path.is_file() else None


def past_announcements(s: Session, limit: int = 50, offset: int = 0) -> Sequence[Announcement]:
    return s.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit).offset(offset)).all()


# --- data the templates can fill in by themselves ---------------------------------------------

def weekly_data(s: Session, today: date) -> dict[str, Any]:
    """Help given in the last seven days: minutes and how many members gave it (reversals left out)."""
    start = today - timedelta(days=6)
    payee = aliased(Account)
    reversal = aliased(Transfer)
    rows = s.execute(select(Transfer.amount, payee.member_id)
                     .join(payee, payee.id == Transfer.to_account_id)
                     .where(Transfer.kind == "service", Transfer.effective_on >= start,
                            Transfer.effective_on <= today,
                            ~select(reversal.id).where(reversal.reverses_id == Transfer.id).exists())).all()
    return {"minutes": sum(a for a, _ in rows), "helpers": len({m for _, m in rows})}


def unmet_data(s: Session) -> dict[str, Any]:
    """Requests still waiting for a volunteer, by help category."""
    from scheduler.orm import HelpRequest

    rows = s.execute(select(HelpRequest.category, func.count(HelpRequest.id))
                     .where(HelpRequest.state.in_(("open", "offered")))
                     .group_by(HelpRequest.category).order_by(HelpRequest.category)).all()
    return {"unmet": {category: n for category, n in rows}}


def new_member_names(s: Session, since: datetime) -> list[str]:
    return list(s.scalars(select(Member.name).where(Member.joined_at >= since).order_by(Member.id)))
