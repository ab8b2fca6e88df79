"""Random form data at every voice webhook: never a 500, never an unhandled error, always TwiML or a 403."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.voice.conftest import SOMSRI
from tests.voice.helpers import post

FIELDS = ["CallSid", "From", "To", "Digits", "CallStatus", "CallDuration", "RecordingUrl", "DialCallStatus",
          "Direction", "AccountSid", "RecordingDuration"]
SIDS = ["CA" + c * 32 for c in "abc"] + ["", "CA", "x" * 70, "CA../../", "🙂"]
TEXT = st.text(max_size=40)
VALUES = {"CallSid": st.sampled_from(SIDS) | TEXT,
          "From": st.sampled_from([SOMSRI, "+66899990000", "anonymous", "client:bob", ""]) | TEXT,
          "Digits": st.sampled_from(["1", "2", "3", "9", "0", "*", "#", "1234", "", "hangup"]) | TEXT,
          "CallStatus": st.sampled_from(["ringing", "in-progress", "completed", "busy", "no-answer", "failed",
                                         "canceled"]) | TEXT,
          "RecordingUrl": st.sampled_from(["https://api.twilio.com/RE1", "javascript:alert(1)"]) | TEXT}
OPTIONAL = {name: VALUES.get(name, TEXT) for name in FIELDS}
CALLS = st.fixed_dictionaries({"CallSid": st.sampled_from(SIDS[:3]), "From": VALUES["From"]},
                              optional={k: v for k, v in OPTIONAL.items() if k not in ("CallSid", "From")})
FORMS = CALLS | CALLS | st.fixed_dictionaries({}, optional=OPTIONAL) | st.dictionaries(TEXT, TEXT, max_size=5)
PATHS = st.one_of(
    st.sampled_from(["/voice/incoming", "/voice/status", "/voice/fallback", "/voice/outbound",
                     "/voice/step", "/voice/step?n=1&on=gather", "/voice/step?n=2&on=record",
                     "/voice/step?n=3&on=dial", "/voice/outbound?order=1&attempt=1",
                     "/voice/status?order=1&attempt=1"]),
    st.builds(lambda n, on: f"/voice/step?n={n}&on={on}", st.integers(-3, 99999999999),
              st.sampled_from(["gather", "silence", "record", "dial", "x", ""])),
    st.builds(lambda path, query: f"{path}?{urlencode(query)}",
              st.sampled_from(["/voice/step", "/voice/outbound", "/voice/status"]),
              st.dictionaries(st.sampled_from(["n", "on", "order", "attempt"]), TEXT, min_size=1, max_size=3)),
)


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=PATHS, form=FORMS, signed=st.booleans())
def test_random_webhooks_never_fail(client, caplog, path, form, signed):
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="wela"):
        response = post(client, path, form, signature=None if signed else "")
    assert response.status_code != 500
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    if not signed:
        assert response.status_code == 403
        return
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    if response.status_code == 200:
        root = ET.fromstring(response.get_data(as_text=True))
        assert root.tag == "Response" and len(root) > 0
        assert {el.tag for el in root} <= {"Gather", "Redirect", "Say", "Play", "Dial", "Hangup", "Reject",
                                           "Record"}


# "²" and "٣" are digits to str.isdigit() but not numbers to int(); Thai "๓" is both (three).
@pytest.mark.parametrize("path, form", [
    ("/voice/outbound?order=²&attempt=1", {}), ("/voice/status?order=1&attempt=²", {}),
    ("/voice/step?n=²&on=gather", {"Digits": "1"}), ("/voice/step?n=1&on=gather", {"Digits": "²"}),
    ("/voice/status", {"CallStatus": "completed", "CallDuration": "²"}),
])
def test_a_digit_that_is_no_number_is_bad_input_not_an_error(client, caplog, path, form):
    with caplog.at_level(logging.ERROR, logger="wela"):
        response = post(client, path, {"CallSid": "CA" + "a" * 32, "From": SOMSRI, **form})
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
