"""The life cycle of a help request: which moves the table allows, and the words it refuses with."""
import pytest

from ledger.errors import Conflict
from scheduler.lifecycle import ACTIVE, FINISHED, MOVES, STATE_TH, can_move, require_move
from scheduler.orm import REQUEST_STATES

HAPPY_PATH = ["open", "offered", "assigned", "done", "confirmed", "paid"]


def test_every_state_has_moves_and_thai_words_and_nothing_else():
    assert set(MOVES) == set(REQUEST_STATES) == set(STATE_TH)
    for targets in MOVES.values():
        assert set(targets) <= set(REQUEST_STATES)


def test_a_request_can_walk_from_open_to_paid():
    for before, after in zip(HAPPY_PATH, HAPPY_PATH[1:]):
        assert can_move(before, after), f"{before} → {after}"


def test_finished_states_never_move_again_and_active_ones_do():
    assert set(FINISHED) == {"paid", "cancelled", "expired", "no_show"}
    assert set(ACTIVE) | set(FINISHED) == set(REQUEST_STATES)
    assert not set(ACTIVE) & set(FINISHED)
    for state in FINISHED:
        for target in REQUEST_STATES:
            assert not can_move(state, target)


@pytest.mark.parametrize("before, after", [
    ("open", "done"),            # nobody has helped yet
    ("open", "paid"),            # nothing is paid without a confirmation
    ("offered", "confirmed"),
    ("done", "cancelled"),       # help already given: a dispute, not a cancel
    ("done", "open"),
    ("confirmed", "cancelled"),  # confirmed help is paid, never dropped
    ("disputed", "done"),
    ("assigned", "paid"),        # pay only after the elder's word
])
def test_moves_outside_the_table_are_refused_with_a_thai_reason(before, after):
    assert not can_move(before, after)
    with pytest.raises(Conflict) as err:
        require_move(before, after)
    assert STATE_TH[before] in err.value.th
    assert err.value.details == {"state": before, "to": after}


@pytest.mark.parametrize("before, after", [
    ("offered", "open"),         # a volunteer declined: look for the next one
    ("offered", "offered"),      # offered again after an expiry
    ("assigned", "open"),        # the volunteer dropped out
    ("assigned", "confirmed"),   # the elder confirms before the volunteer reports done
    ("assigned", "no_show"),
    ("disputed", "paid"),        # the coordinator decides to pay
    ("disputed", "no_show"),
    ("open", "expired"),
])
def test_the_detours_villages_need_are_allowed(before, after):
    assert can_move(before, after)
    require_move(before, after)


def test_an_unknown_state_cannot_move():
    assert not can_move("lost", "open")
