"""Numbers for the coordinator: where callers hang up, how long each task takes, how many needed a person.

Read from the calls and their steps (voice.orm); ``summary`` returns plain JSON-safe data for
``wela voice stats`` and the admin page.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.clock import as_utc
from voice.orm import VoiceCall, VoiceStep

#: Menu nodes as the coordinator reads them (staff-facing labels, not caller prompts).
NODE_LABELS = {
    "start": ("เริ่มสาย", "call starting"), "main": ("เมนูหลัก", "main menu"),
    "stranger": ("เมนูผู้ที่ยังไม่เป็นสมาชิก", "stranger menu"),
    "ask_category": ("เลือกเรื่องที่ขอ", "choosing a category"), "ask_record": ("ฝากข้อความเสียง", "recording a message"),
    "ask_when": ("เลือกวัน", "choosing when"), "ask_check": ("ทวนคำขอ", "confirming the request"),
    "confirm": ("ยืนยันการช่วยเหลือ", "confirming a visit"), "offer": ("เสนอให้คุยกับเจ้าหน้าที่", "offered a person"),
    "dial": ("ต่อสายเจ้าหน้าที่", "put through to a person"), "id_number": ("กดเลขสมาชิก", "keying member number"),
    "id_pin": ("กดรหัส", "keying PIN"), "register_name": ("บอกชื่อ", "saying name"),
    "register_village": ("บอกหมู่บ้าน", "saying village"), "end": ("จบสายตามปกติ", "ended by the menu"),
}
#: What a caller got done (a call's tasks), in the same two languages.
TASK_LABELS = {
    "ask": ("ขอความช่วยเหลือ", "asked for help"), "confirm": ("ยืนยันการช่วยเหลือ", "confirmed a visit"),
    "balance": ("ฟังเวลาคงเหลือ", "heard the balance"), "identify": ("ยืนยันตัวด้วยรหัส", "identified by PIN"),
    "register": ("ฝากชื่อสมัครสมาชิก", "left a name to join"),
}


def summary(s: Session, *, since: Optional[datetime] = None) -> dict[str, Any]:
    stmt = select(VoiceCall)
    if since is not None:
        stmt = stmt.where(VoiceCall.started_at >= since)
    calls = list(s.scalars(stmt))
    by_id = {c.id: c for c in calls}
    ended = [c for c in calls if c.ended_at is not None]
    hangups, quiet = Counter(c.node for c in ended), Counter(c.node for c in ended if not c.tasks)
    durations: dict[str, list[float]] = defaultdict(list)
    if by_id:
        steps = s.execute(select(VoiceStep.call_id, VoiceStep.task, VoiceStep.at)
                          .where(VoiceStep.task.is_not(None), VoiceStep.call_id.in_(list(by_id))))
        for call_id, task, at in steps:
            started = as_utc(by_id[call_id].started_at)
            durations[task].append((as_utc(at) - started).total_seconds())
    person = sum(1 for c in calls if c.needed_person)
    return {
        "since": since.isoformat() if since else None,
        "calls": len(calls),
        "inbound": sum(1 for c in calls if c.direction == "inbound"),
        "outbound": sum(1 for c in calls if c.direction == "outbound"),
        "ended": len(ended),
        "completed_a_task": sum(1 for c in calls if c.tasks),
        "needed_person": person,
        "needed_person_share": round(person / len(calls), 3) if calls else 0.0,
        "hangups": [{"node": node, "label_th": NODE_LABELS.get(node, (node, node))[0],
                     "label_en": NODE_LABELS.get(node, (node, node))[1], "calls": n,
                     "without_task": quiet.get(node, 0)}
                    for node, n in hangups.most_common()],
        "tasks": [{"task": task, "label_th": TASK_LABELS.get(task, (task, task))[0],
                   "label_en": TASK_LABELS.get(task, (task, task))[1], "count": len(seconds),
                   "median_s": round(statistics.median(seconds), 1),
                   "p90_s": round(_quantile(seconds, 0.9), 1), "mean_s": round(statistics.fmean(seconds), 1)}
                  for task, seconds in sorted(durations.items())],
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
