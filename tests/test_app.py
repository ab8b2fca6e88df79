"""wela.app.App: Flask, remembering which views and hooks are plain functions."""
from __future__ import annotations

import gc

import pytest

from wela.app import App


def test_a_plain_view_is_asked_about_once_and_answers_as_in_flask():
    app = App(__name__)
    calls = []

    @app.before_request
    def hook():  # noqa: ANN202
        calls.append("hook")

    @app.get("/")
    def index():  # noqa: ANN202
        return "ok"

    client = app.test_client()
    assert [client.get("/").get_data(as_text=True) for _ in range(3)] == ["ok"] * 3
    assert calls == ["hook"] * 3
    assert hook in app._plain and index in app._plain


def test_a_function_made_for_one_request_is_not_kept():
    app = App(__name__)
    kept = len(app._plain)

    def once():  # noqa: ANN202
        return None

    assert app.ensure_sync(once) is once
    del once
    gc.collect()
    assert len(app._plain) == kept


def test_an_async_view_still_goes_flasks_way():
    app = App(__name__)

    async def view():  # noqa: ANN202
        return "async"

    try:
        import asgiref  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(view)
    else:
        assert app.ensure_sync(view)() == "async"
    assert view not in app._plain
