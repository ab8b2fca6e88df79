"""The app's Request: a url-encoded body parsed the short way must read exactly as werkzeug reads it,
and the URL a Twilio signature is checked against must be exactly ``request.url``."""
from __future__ import annotations

import io
from urllib.parse import urlencode

from urllib.parse import parse_qsl

import pytest
from flask import Flask, Request as FlaskRequest, request
from hypothesis import given, settings
from hypothesis import strategies as st

from wela.app import URL_QUOTE, Request, form_pairs
from wela.twilio_signature import _request_url

FORM = "application/x-www-form-urlencoded"
BODIES = [
    urlencode({"CallSid": "CA" + "1" * 32, "From": "+66812345678", "Digits": "1", "To": ""}).encode(),
    urlencode({"SpeechResult": "ยายสมศรี ขอไปหาหมอ", "Body": "รับ 1"}).encode(),
    b"a=1&a=2&b=&c&d=x+y&e=%20%2B",
    b"bad=%E0%B8&raw=%FF%FE&ok=1",                    # percent-escapes that are no UTF-8
    "ไทย=ตรง".encode() + b"&x=\xff",                  # raw bytes that are no UTF-8: an empty form
    b"",
    b"&&=&==",
]


def _environ(body: bytes, content_type: str = FORM, length: int | None = None) -> dict:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/voice/step", "QUERY_STRING": "n=1&on=gather",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
            "HTTP_HOST": "127.0.0.1", "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body) if length is None else length), "wsgi.input": io.BytesIO(body)}


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("content_type", [FORM, FORM + "; charset=utf-8"])
def test_a_url_encoded_form_reads_as_werkzeug_reads_it(body, content_type):
    ours, theirs = Request(_environ(body, content_type)), FlaskRequest(_environ(body, content_type))
    app = Flask(__name__)
    with app.app_context():
        assert list(ours.form.items(multi=True)) == list(theirs.form.items(multi=True))
        assert not ours.files and ours.get_data() == theirs.get_data() == b""


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["&", "=", "+", "%", "%2B", "%E0%B8", "%FF", "%e0%b8%a2", "%2", "%%"]),
                          st.text(max_size=4)), max_size=12).map("".join))
def test_form_pairs_are_what_parse_qsl_makes_of_the_same_body(query):
    assert form_pairs(query) == parse_qsl(query, keep_blank_values=True, errors=URL_QUOTE)


@pytest.mark.parametrize("query", ["n=1&on=gather", "order=%C2%B2&attempt=1", "a=1&a=2&b&c=x+y&&d=%FF",
                                   "ไทย=1".encode().decode("latin-1"), "x=\xff", ""])
def test_the_query_string_reads_as_werkzeug_reads_it(query):
    def args(request_class):  # noqa: ANN001, ANN202
        try:
            return list(request_class({**_environ(b""), "QUERY_STRING": query}).args.items(multi=True))
        except UnicodeDecodeError as err:
            return type(err)
    assert args(Request) == args(FlaskRequest)


def test_a_body_cached_before_the_form_is_the_one_parsed():
    req = Request(_environ(b"Digits=2&CallSid=CA1"))
    with Flask(__name__).app_context():
        assert req.get_data(cache=True) == b"Digits=2&CallSid=CA1"
        assert req.form.to_dict() == {"Digits": "2", "CallSid": "CA1"}


@pytest.mark.parametrize("request_class", [Request, FlaskRequest])
def test_a_body_shorter_than_declared_is_a_disconnect_as_in_werkzeug(request_class):
    app = Flask(__name__)
    app.request_class = request_class

    @app.post("/voice/step")
    def step():  # noqa: ANN202
        return request.form.get("Digits", "none")

    status = []
    app.wsgi_app(_environ(b"Digits=1", length=100), lambda s, h, e=None: status.append(s))
    assert status == ["400 BAD REQUEST"]


def test_other_bodies_go_werkzeugs_way():
    app = Flask(__name__)
    app.request_class = Request
    app.config["MAX_CONTENT_LENGTH"] = 200

    @app.post("/form")
    def form():  # noqa: ANN202
        return ",".join(f"{k}={v}" for k, v in sorted(request.form.items()))

    client = app.test_client()
    assert client.post("/form", data={"a": "1", "b": "ข"}).get_data(as_text=True) == "a=1,b=ข"  # multipart
    assert client.post("/form", data=b"a=" + b"1" * 200, content_type=FORM).status_code == 413
    assert client.post("/form", data=b"a=1", content_type="text/plain").get_data(as_text=True) == ""


@pytest.mark.parametrize("path, query, root, host", [
    ("/voice/step", "n=1&on=gather", "", "127.0.0.1:5000"),
    ("/voice/incoming", "", "", "bank.example"),
    ("/voice/step", "n=1&on=gather", "/bank", "bank.example:8443"),
    ("/voice/step", "n=1&on=gather", "/bank/", "bank.example"),
    ("/", "", "", "bank.example"),
    ("/a b", "x=1", "", "bank.example"),
    ("/voice/ขั้น", "a=%E0%B8&b=%E0%B8%84", "", "bank.example"),
    ("/x%2Fy", "q=a%20b", "", "bank.example"),
    ("/voice/step", "a=b?c#d", "", "bank.example"),
    ("/voice/step", "n=1", "", "xn--12c1fe0br.xn--o3cw4h"),
])
def test_the_url_a_signature_is_checked_against_is_request_url(path, query, root, host):
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path.encode().decode("latin-1"), "QUERY_STRING": query,
               "SCRIPT_NAME": root, "SERVER_NAME": "bank", "SERVER_PORT": "443", "wsgi.url_scheme": "https",
               "HTTP_HOST": host}
    with Flask(__name__).request_context(environ):
        assert _request_url(request) == request.url
