"""wela.twilio_signature.form_signature is Twilio's own algorithm: equal to the library's for any form."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict

from wela.twilio_signature import form_signature

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(token=st.text(min_size=1, max_size=40).filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)),
       url=texts.map(lambda path: "https://bank.example/voice/" + path),
       pairs=st.lists(st.tuples(st.sampled_from(["Digits", "From", "CallSid", "ไทย", ""]) | texts, texts),
                      max_size=10),
       algorithm=st.sampled_from([None, "", "HMAC_SHA1", "HMAC_SHA256", "hmac_sha256"]))
def test_a_form_is_signed_as_the_library_signs_it(token, url, pairs, algorithm):
    form = ImmutableMultiDict(pairs)
    assert form_signature(token, url, form, algorithm) == \
        RequestValidator(token).compute_signature(url, form, algorithm)


def test_an_algorithm_the_library_does_not_know_is_refused_as_there():
    form = ImmutableMultiDict([("Digits", "1")])
    with pytest.raises(ValueError):
        RequestValidator("t").compute_signature("https://bank.example/", form, "HMAC_MD5")
    with pytest.raises(ValueError):
        form_signature("t", "https://bank.example/", form, "HMAC_MD5")
