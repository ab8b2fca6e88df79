"""Accessibility of the main pages: a label on every field, readable contrast, focus, large type, print."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.admin.conftest import text_of
from tests.admin.phrases import all_phrases
from wela.admin.i18n_en import PHRASES

CSS = (Path(__file__).resolve().parents[2] / "wela" / "admin" / "static" / "admin.css").read_text("utf-8")
PAGES = ["/", "/members", "/members/1", "/members/new", "/members/1/edit", "/members/1/statement",
         "/members/import", "/requests", "/requests/new", "/requests/1", "/ledger", "/ledger/transfer",
         "/ledger/donate", "/ledger/grant", "/ledger/loan", "/ledger/1/reverse", "/ledger/close-month",
         "/ledger/settings", "/ledger/check", "/announcements", "/announcements/new", "/staff/users",
         "/staff/audit", "/trouble/sms", "/trouble/sms/in", "/trouble/calls", "/account/password"]


class Fields(HTMLParser):
    """Every form control, whether a label names it, and the page's landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.labelled_ids: set[str] = set()
        self.controls: list[dict] = []
        self.inside_label = 0
        self.h1 = 0
        self.lang = None
        self.svgs: list[dict] = []
        self.buttons: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label":
            self.inside_label += 1
            if a.get("for"):
                self.labelled_ids.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.controls.append({**a, "_tag": tag, "_wrapped": self.inside_label > 0})
        elif tag == "h1":
            self.h1 += 1
        elif tag == "svg":
            self.svgs.append(a)
        elif tag == "button":
            self._button = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.inside_label -= 1
        elif tag == "button" and self._button is not None:
            self.buttons.append("".join(self._button).strip())
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


@pytest.fixture
def busy(manager):  # noqa: ANN001, ANN201
    """A request on the board, so its page has every form."""
    manager.post("/requests/new", data={"member": "1", "category": "clinic", "when": "tomorrow",
                                        "part": "morning", "minutes": "60"})
    return manager


@pytest.mark.parametrize("path", PAGES)
def test_every_field_has_a_label_and_every_page_a_heading_and_language(busy, path):
    response = busy.get(path)
    assert response.status_code == 200
    page = Fields()
    page.feed(text_of(response))
    assert page.lang == "th"
    assert page.h1 == 1, path
    for control in page.controls:
        named = control["_wrapped"] or control.get("id") in page.labelled_ids or control.get("aria-label")
        assert named, f"{path}: unlabelled {control}"
    assert all(b for b in page.buttons), f"{path}: a button without words"
    for svg in page.svgs:
        assert svg.get("role") == "img" and svg.get("aria-label"), path


def test_the_login_page_too(client):
    page = Fields()
    page.feed(text_of(client.get("/login")))
    assert page.controls and all(c.get("id") in page.labelled_ids for c in page.controls)


def test_a_field_with_an_error_points_to_it(manager):
    page = text_of(manager.post("/members/new", data={"name": "ยายแดง", "phone": "12", "role": "elder",
                                                      "consent": "y"}))
    tag = re.search(r'<input[^>]*id="phone"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag and 'aria-describedby="phone-hint phone-error"' in tag
    assert 'id="phone-error"' in page


# --- colours ------------------------------------------------------------------------------------

def _palette() -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


PAIRS = [("ink", "paper"), ("ink", "page"), ("muted", "paper"), ("muted", "page"), ("link", "paper"),
         ("paper", "primary"), ("paper", "primary-dark"), ("paper", "danger"), ("ok", "paper"),
         ("ok", "ok-bg"), ("warn-ink", "warn-bg"), ("bad-ink", "bad-bg"), ("primary-dark", "paper"),
         ("muted", "bad-bg")]


@pytest.mark.parametrize("text, background", PAIRS)
def test_every_text_colour_reads_at_least_4_5_to_1_on_its_background(text, background):
    colours = _palette()
    assert contrast(colours[text], colours[background]) >= 4.5


def test_the_chart_colours_read_on_white():
    from wela.admin.charts import BAR, BAR_ALT, INK

    for colour in (BAR, BAR_ALT, INK):
        assert contrast(colour, "#ffffff") >= 4.5


def test_large_type_big_targets_visible_focus_and_an_a4_print_sheet():
    assert "font-size: 112.5%" in CSS                                # 18 px base
    assert re.search(r":focus-visible\s*\{[^}]*outline: 4px", CSS)
    assert "min-height: 48px" in CSS
    assert "@media print" in CSS and "size: A4" in CSS
    assert "@media (max-width: 40rem)" in CSS                        # one column on a phone


# --- the English toggle ----------------------------------------------------------------------

def test_every_thai_phrase_of_the_pages_has_its_english():
    missing = sorted(all_phrases() - set(PHRASES))
    assert not missing, missing


def test_english_keeps_the_slots_of_each_phrase():
    for th, en in PHRASES.items():
        assert set(re.findall(r"\{(\w+)\}", th)) == set(re.findall(r"\{(\w+)\}", en)), th


@pytest.mark.parametrize("path", ["/", "/members/1", "/ledger/transfer", "/announcements/new", "/requests"])
def test_the_main_pages_read_in_english(manager, path):
    manager.get("/lang/en")
    page = text_of(manager.get(path))
    assert '<html lang="en">' in page and "Sign out" in page
    chrome = re.sub(r"<datalist.*?</datalist>", "", page, flags=re.S)
    for word in ("ออกจากระบบ", "บันทึกรายการ", "ภาพรวม", "ทำเสียงประกาศ"):
        assert word not in chrome


def test_choices_in_lists_speak_english_too(manager):
    manager.get("/lang/en")
    page = text_of(manager.get("/members/new"))
    assert ">Elder (receives help)</option>" in page and "Trip to the doctor" in page
    assert "ผู้สูงอายุ (ผู้รับบริการ)" not in page
