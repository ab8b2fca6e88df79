"""Thai first, English on request: the admin pages' own words (staff-facing, not villager prompts).

Templates write the Thai and call ``_("สมาชิก")``; in English mode the word comes from EN below.
A Thai phrase missing from EN shows in Thai (a test lists every phrase the templates use and
checks each has its English). Slots are ``str.format`` names: ``_("พบ {n} คน", n=3)``.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context, session

from wela.admin.i18n_en import PHRASES as EN

LANGS = ("th", "en")


def current_lang() -> str:
    if has_request_context():
        lang = session.get("lang")
        if lang in LANGS:
            return lang
    return "th"


def gettext(th: str, /, **slots: Any) -> str:
    text = EN.get(th, th) if current_lang() == "en" else th
    return text.format(**slots) if slots else text


def error_text(err: Any) -> str:
    """A domain error (WelaError) in the page's language."""
    return err.en if current_lang() == "en" else err.th


