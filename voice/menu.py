"""The phone menu as a plain state machine: ``step(state, event, world) -> (state, Reply)``. No Flask, Twilio or database.

A ``Reply`` is a small description of what the caller hears and what happens next (wait for a
key, record, put through to a person, hang up); ``voice.twiml`` turns it into TwiML. The menu
learns about the caller and acts on the bank only through the ``World`` port
(``voice.world.DbWorld`` in production, a fake in tests). Its state is a node name and a small
JSON-safe context, stored by the glue with the call.

The keys are the same everywhere: in the main menu 1 asks for help, 2 confirms help received,
3 tells the balance; 9 repeats and 0 reaches a person from every menu. A silent or wrong key
hears the menu again, twice, then the offer of a person: never a hang-up on a mistake.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Mapping, Optional, Sequence

from voice.spec import (SLOW_TIMEOUT, TIMEOUT, Caller, Credit, Dial, Event, Gather, Hangup, Paid,
                        Record, Reject, Reply, Say, State, Visit, World)
from voice.words import Category, Day, Minutes, Name, When

KEY_REPEAT, KEY_PERSON = "9", "0"
MAX_MISSES = 2            # the menu is said again twice; the third miss offers a person
MAX_PERSON_TRIES = 2      # after this many failed tries to reach a person: note a callback, goodbye
MAX_STEPS = 80            # a line left open (a phone off the hook) ends politely
PAGE = 5                  # categories per menu; key 6 hears the next ones
MORE = "6"
WHEN_KEYS = {"1": "today", "2": "tomorrow", "3": "this_week"}
OTHER = "other"           # this category records a short voice message
CATEGORY = "category."    # + code: the category's name
PRESS = "ivr.press."      # + digit: "กด 1"
HOME_MENUS = ("main", "stranger")
ENTRIES = ("inbound", "callback", "reminder", "confirm", "reject", "resume")
__all__ = ["Caller", "Credit", "Dial", "Event", "Gather", "Hangup", "Paid", "Record", "Reject",
           "Reply", "Say", "State", "Visit", "World", "start", "step", "MENUS"]


Step = tuple[State, Reply]
Ctx = dict[str, object]


# ── Entering and stepping ─────────────────────────────────────────────────────────

def start(entry: str, world: World, request_id: Optional[int] = None) -> Step:
    """The first reply of a call: inbound, a callback or reminder or confirmation call, a reject."""
    caller = world.caller()
    ctx: Ctx = {"home": "main" if caller else "stranger", "slow": bool(caller and caller.slow)}
    if entry == "reject":
        return State("end", ctx), Reply((), Reject())
    if caller is None:
        lead = [Say("error.generic")] if entry == "resume" else [Say("ivr.stranger.intro")]
        return present("stranger", ctx, world, lead)
    if entry == "confirm":
        return confirm_start(ctx, world, [Say("ivr.confirm.intro")], first=request_id)
    if entry == "reminder":
        visit = world.visit(request_id) if request_id else None
        lead = [_reminder(visit, world.today())] if visit else []
        return present("main", ctx, world, lead)
    if entry == "callback":
        return present("main", ctx, world, [Say("ivr.callback.hello")])
    if entry == "resume":
        return present("main", ctx, world, [Say("error.generic")])
    return present("main", ctx, world, [Say("ivr.welcome.member", {"name": Name(caller.name)})])


def step(state: State, event: Event, world: World) -> Step:
    """Move the call on by one event. Unknown nodes (an old or damaged state) go home politely."""
    ctx: Ctx = dict(state.ctx)
    ctx["steps"] = int(ctx.get("steps", 0)) + 1
    if state.node == "end":
        return State("end", ctx), Reply((), Hangup())
    if ctx["steps"] > MAX_STEPS:
        return State("end", ctx), Reply((Say("ivr.goodbye"),), Hangup())
    if state.node == "dial":
        return _after_dial(ctx, event, world)
    if state.node in RECORDINGS:
        return _after_recording(state.node, ctx, event, world)
    menu = MENUS.get(state.node)
    if menu is None:
        return present(_home(ctx), ctx, world, [Say("error.generic")])
    if state.node == "offer":
        return _after_offer(ctx, event, world)
    if event.kind != "keys":
        return miss(state.node, ctx, world, "ivr.sorry.wrong_key" if event.kind == "invalid"
                    else "ivr.sorry.silence")
    digits = event.digits
    if menu.common and digits == KEY_REPEAT:
        return present(state.node, _reset(ctx), world)
    if menu.common and digits == KEY_PERSON:
        return person(ctx, world)
    handler = menu.keys.get(digits)
    if handler is not None:
        return handler(_reset(ctx), world)
    if menu.entry is not None:
        found = menu.entry(digits, ctx, world)
        if found is not None:
            return found
    return miss(state.node, ctx, world, "ivr.sorry.wrong_key")


# ── Presenting a menu, misses, a person ───────────────────────────────────────────

def present(node: str, ctx: Ctx, world: World, lead: Sequence[Say] = (), *,
            task: Optional[str] = None, person_needed: bool = False) -> Step:
    """Say ``lead`` then the menu of ``node``, and wait for its keys (or record)."""
    if node in RECORDINGS:
        prompt, then = [Say(RECORDINGS[node])], Record()
    else:
        menu = MENUS[node]
        prompt, then = menu.prompt(ctx, world), menu.gather(ctx)
    return State(node, ctx), Reply(tuple(lead) + tuple(prompt), then, task, person_needed)


def miss(node: str, ctx: Ctx, world: World, sorry: str) -> Step:
    misses = int(ctx.get("misses", 0)) + 1
    if misses <= MAX_MISSES:
        return present(node, {**ctx, "misses": misses}, world, [Say(sorry)])
    return present("offer", {**ctx, "misses": 0, "back": node}, world)


def person(ctx: Ctx, world: World) -> Step:
    """Put the caller through to the coordinator; when nobody can answer, note a callback."""
    tries = int(ctx.get("persons", 0)) + 1
    ctx = {**ctx, "persons": tries, "misses": 0}
    number = world.coordinator()
    if number and tries <= MAX_PERSON_TRIES:
        return State("dial", ctx), Reply((Say("ivr.person.connecting"),), Dial(number), person=True)
    world.note_callback("no_coordinator" if not number else "no_answer")
    if tries > MAX_PERSON_TRIES:
        return (State("end", ctx),
                Reply((Say("ivr.person.callback"), Say("ivr.goodbye")), Hangup(), person=True))
    return present(_home(ctx), ctx, world, [Say("ivr.person.callback")], person_needed=True)


def _after_dial(ctx: Ctx, event: Event, world: World) -> Step:
    if event.kind == "dial" and event.status in ("completed", "answered"):
        return State("end", ctx), Reply((Say("ivr.goodbye"),), Hangup())
    world.note_callback("no_answer")
    return present(_home(ctx), ctx, world, [Say("ivr.person.callback")], person_needed=True)


def _after_offer(ctx: Ctx, event: Event, world: World) -> Step:
    if event.kind == "keys" and event.digits == KEY_REPEAT:
        return present(str(ctx.get("back") or _home(ctx)), _reset(ctx), world)
    return person(ctx, world)                 # 0, silence, anything else: a person helps


def _after_recording(node: str, ctx: Ctx, event: Event, world: World) -> Step:
    if event.digits == KEY_PERSON:
        return person(ctx, world)
    if event.digits == KEY_REPEAT:
        return present(node, _reset(ctx), world)
    if event.kind != "recording" or not event.url:
        return miss(node, ctx, world, "ivr.sorry.silence")
    ctx = _reset(ctx)
    if node == "ask_record":
        return present("ask_when", {**ctx, "message": event.url}, world)
    if node == "register_name":
        return present("register_village", {**ctx, "name_url": event.url}, world)
    world.register(str(ctx.get("name_url", "")), event.url)
    return State("end", ctx), Reply((Say("ivr.register.thanks"),), Hangup(), task="register")


def _reset(ctx: Ctx) -> Ctx:
    return {**ctx, "misses": 0}


def _home(ctx: Ctx) -> str:
    home = ctx.get("home")
    return home if home in HOME_MENUS else "stranger"


def _gather(ctx: Ctx) -> Gather:
    return Gather(timeout=SLOW_TIMEOUT if ctx.get("slow") else TIMEOUT)


# ── Asking for help ───────────────────────────────────────────────────────────────

def ask_start(ctx: Ctx, world: World) -> Step:
    ctx = {k: v for k, v in ctx.items() if k not in ("category", "when", "message")}
    return present("ask_category", {**ctx, "page": 0}, world)


def _page(ctx: Ctx, world: World) -> tuple[list[str], int]:
    codes = list(world.categories())
    pages = max(1, -(-len(codes) // PAGE))
    page = int(ctx.get("page", 0)) % pages
    return codes[page * PAGE:(page + 1) * PAGE], pages


def _categories_prompt(ctx: Ctx, world: World) -> list[Say]:
    shown, pages = _page(ctx, world)
    says = [Say("ivr.ask.category")]
    for digit, code in enumerate(shown, start=1):
        says += [Say(CATEGORY + code), Say(PRESS + str(digit))]
    if pages > 1:
        says.append(Say("ivr.ask.more"))
    return says + [Say("ivr.keys.common")]


def _choose_category(digits: str, ctx: Ctx, world: World) -> Optional[Step]:
    shown, pages = _page(ctx, world)
    if digits == MORE and pages > 1:
        return present("ask_category", {**_reset(ctx), "page": int(ctx.get("page", 0)) + 1}, world)
    if not (digits.isdecimal() and 1 <= int(digits) <= len(shown)):
        return None
    code = shown[int(digits) - 1]
    ctx = {**_reset(ctx), "category": code}
    return present("ask_record" if code == OTHER else "ask_when", ctx, world)


def _choose_when(code: str) -> Callable[[Ctx, World], Step]:
    def chosen(ctx: Ctx, world: World) -> Step:
        return present("ask_check", {**ctx, "when": code}, world)
    return chosen


def _readback(ctx: Ctx, world: World) -> list[Say]:
    slots = {"category": Category(str(ctx.get("category", OTHER))),
             "when": When(str(ctx.get("when", "this_week")))}
    return [Say("ivr.ask.readback", slots), Say("ivr.ask.check_keys"), Say("ivr.keys.common")]


def ask_save(ctx: Ctx, world: World) -> Step:
    saved = world.ask_help(str(ctx.get("category", OTHER)), str(ctx.get("when", "this_week")),
                           str(ctx.get("message", "")))
    if saved:
        return present("main", ctx, world, [Say("ivr.ask.saved")], task="ask")
    world.note_callback("ask_failed")
    return present("main", ctx, world, [Say("ivr.ask.failed")], person_needed=True)


# ── Confirming help received ──────────────────────────────────────────────────────

def confirm_start(ctx: Ctx, world: World, lead: Sequence[Say] = (), first: Optional[int] = None) -> Step:
    ids = world.visits()
    if first in ids:
        ids = [first] + [i for i in ids if i != first]
    if not ids:
        return present("main", ctx, world, [*lead, Say("ivr.confirm.none")])
    return _next_visit({**ctx, "visits": ids}, world, lead)


def _next_visit(ctx: Ctx, world: World, lead: Sequence[Say], task: Optional[str] = None) -> Step:
    ids = [i for i in list(ctx.get("visits") or []) if world.visit(int(i)) is not None]
    if not ids:
        return present("main", {**ctx, "visits": []}, world, lead, task=task)
    return present("confirm", {**ctx, "visits": ids}, world, lead, task=task)


def _visit_prompt(ctx: Ctx, world: World) -> list[Say]:
    ids = list(ctx.get("visits") or [])
    visit = world.visit(int(ids[0])) if ids else None
    says = []
    if visit is not None:
        says.append(Say("ivr.confirm.visit", {"name": Name(visit.volunteer),
                                              "category": Category(visit.category),
                                              "day": Day(visit.day, world.today())}))
    return says + [Say("ivr.confirm.keys"), Say("ivr.keys.common")]


def _confirm(received: bool) -> Callable[[Ctx, World], Step]:
    def answer(ctx: Ctx, world: World) -> Step:
        ids = list(ctx.get("visits") or [])
        if not ids:
            return present("main", ctx, world)
        paid = world.confirm(int(ids[0]), received)
        if paid is None:
            world.note_callback("confirm_failed")
            said = Say("ivr.confirm.failed")
        elif received and not paid.minutes:       # confirmed, but the ledger refused: a person settles it
            said = Say("ivr.confirm.settling")
        elif received:
            said = Say("ivr.confirm.paid", {"name": Name(paid.volunteer), "minutes": Minutes(paid.minutes)})
        else:
            said = Say("ivr.confirm.disputed")
        return _next_visit({**ctx, "visits": ids[1:]}, world, [said], task="confirm")
    return answer


# ── Balance ───────────────────────────────────────────────────────────────────────

def balance(ctx: Ctx, world: World) -> Step:
    credit = world.balance()
    says = [Say("ivr.balance.left", {"minutes": Minutes(credit.available)})]
    if credit.held:
        says.append(Say("ivr.balance.held", {"minutes": Minutes(credit.held)}))
    if credit.loan:
        says.append(Say("ivr.balance.loan", {"minutes": Minutes(credit.loan)}))
    return present("main", ctx, world, says, task="balance")


def _reminder(visit: Visit, today: date) -> Say:
    return Say("ivr.reminder", {"when": Day(visit.day, today, visit.at), "name": Name(visit.volunteer),
                                "category": Category(visit.category)})


# ── A member calling from someone else's phone ────────────────────────────────────

def _number_entered(digits: str, ctx: Ctx, world: World) -> Optional[Step]:
    if digits == KEY_PERSON:
        return person(ctx, world)
    if digits == "*":
        return present("id_number", _reset(ctx), world)
    if not digits.isdecimal() or len(digits) > 7:
        return None
    return present("id_pin", {**_reset(ctx), "number": digits}, world)


def _pin_entered(digits: str, ctx: Ctx, world: World) -> Optional[Step]:
    if digits == KEY_PERSON:
        return person(ctx, world)
    caller = world.identify(str(ctx.get("number", "")), digits) if len(digits) == 4 else None
    if caller is not None:
        ctx = {**_reset(ctx), "home": "main", "slow": caller.slow, "tries": 0}
        ctx.pop("number", None)
        return present("main", ctx, world, [Say("ivr.welcome.member", {"name": Name(caller.name)})],
                       task="identify")
    tries = int(ctx.get("tries", 0)) + 1
    ctx = {k: v for k, v in ctx.items() if k != "number"}
    if tries > MAX_MISSES:
        return present("offer", {**ctx, "tries": 0, "misses": 0, "back": "stranger"}, world,
                       [Say("ivr.identify.wrong")])
    return present("id_number", {**ctx, "tries": tries}, world, [Say("ivr.identify.wrong")])


# ── The table of menus ────────────────────────────────────────────────────────────

Handler = Callable[[Ctx, World], Step]
Entry = Callable[[str, Ctx, World], Optional[Step]]


@dataclass(frozen=True)
class Menu:
    prompt: Callable[[Ctx, World], list[Say]]
    keys: Mapping[str, Handler] = field(default_factory=dict)
    entry: Optional[Entry] = None         # input the keys table cannot list (a page, a number)
    gather: Callable[[Ctx], Gather] = _gather
    common: bool = True                   # 9 repeats, 0 reaches a person (not while typing a number)


def _says(*keys: str) -> Callable[[Ctx, World], list[Say]]:
    return lambda ctx, world: [Say(k) for k in keys]


MENUS: dict[str, Menu] = {
    "main": Menu(_says("ivr.main.menu"),
                 {"1": ask_start, "2": lambda c, w: confirm_start(c, w), "3": balance}),
    "stranger": Menu(_says("ivr.stranger.menu"),
                     {"1": lambda c, w: present("id_number", c, w),
                      "2": lambda c, w: present("register_name", c, w)}),
    "ask_category": Menu(_categories_prompt, entry=_choose_category),
    "ask_when": Menu(_says("ivr.ask.when", "ivr.keys.common"),
                     {key: _choose_when(code) for key, code in WHEN_KEYS.items()}),
    "ask_check": Menu(_readback, {"1": ask_save, "2": ask_start}),
    "confirm": Menu(_visit_prompt, {"1": _confirm(True), "2": _confirm(False)}),
    "offer": Menu(_says("ivr.offer.person")),
    "id_number": Menu(_says("ivr.identify.number"), entry=_number_entered, common=False,
                      gather=lambda ctx: Gather(num_digits=None, finish_on_key="#",
                                                timeout=SLOW_TIMEOUT)),
    "id_pin": Menu(_says("ivr.identify.pin"), entry=_pin_entered, common=False,
                   gather=lambda ctx: Gather(num_digits=4, timeout=SLOW_TIMEOUT)),
}
RECORDINGS = {"ask_record": "ivr.ask.record", "register_name": "ivr.register.name",
              "register_village": "ivr.register.village"}

