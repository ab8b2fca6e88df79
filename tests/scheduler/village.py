"""A seeded village of 200 members for the simulated week: elders, volunteers, some both, a coordinator."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ledger.clock import Clock
from ledger.members import register_member
from ledger.settings import set_policy

VILLAGE = "บ้านหนองบัว"
FIRST_NAMES = ("สมศรี", "บุญมี", "คำ", "ทองดี", "มาลี", "สมชาย", "ประยูร", "ฝน", "จันทร์", "สุข",
               "แก้ว", "บัวผัน", "สมหมาย", "อำนวย", "ศรีนวล", "ประเสริฐ", "วันดี", "หอม", "เพ็ญ", "ทองใบ")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = ("morning", "afternoon", "evening")


@dataclass
class Roster:
    elders: list[int] = field(default_factory=list)          # members who may ask (elder or both)
    volunteers: list[int] = field(default_factory=list)      # members who may help (volunteer or both)
    coordinator: int = 0
    phones: dict[int, str] = field(default_factory=dict)


def build_village(s: Session, clock: Clock, rng: random.Random, *, elders: int = 60, volunteers: int = 119,
                  both: int = 20, starting_minutes: int = 240) -> Roster:
    """60 elders, 119 volunteers, 20 members who do both, one coordinator: 200 in six moo."""
    set_policy(s, starting_minutes=starting_minutes)
    roster = Roster()
    number = 0

    def add(role: str, name: str, **fields: str) -> int:
        nonlocal number
        number += 1
        phone = f"089{number:07d}"
        member = register_member(s, clock=clock, entered_by="test", name=f"{name} {number}", phone=phone,
                                 role=role, village=VILLAGE, moo=str(rng.randint(1, 6)), **fields)
        roster.phones[member.id] = member.phone
        return member.id

    for _ in range(elders):
        roster.elders.append(add("elder", rng.choice(("ยาย", "ตา")) + rng.choice(FIRST_NAMES)))
    for _ in range(volunteers):
        roster.volunteers.append(add("volunteer", rng.choice(FIRST_NAMES), skills=_skills(rng),
                                     availability=_availability(rng)))
    for _ in range(both):
        member = add("both", "ป้า" + rng.choice(FIRST_NAMES), skills=_skills(rng), availability=_availability(rng))
        roster.elders.append(member)
        roster.volunteers.append(member)
    roster.coordinator = add("coordinator", "ผู้ใหญ่สมศักดิ์")
    return roster


def _skills(rng: random.Random) -> str:
    chances = {"clinic": 0.2, "errand": 0.6, "visit": 0.6, "home": 0.25}
    return ", ".join(skill for skill, p in chances.items() if rng.random() < p)


def _availability(rng: random.Random) -> str:
    days = rng.sample(DAYS, rng.randint(1, 4))
    return "; ".join(f"{day}:{','.join(rng.sample(PARTS, rng.randint(1, 2)))}" for day in days)
