"""Every Thai phrase the admin pages may show through `_()`: for the English-toggle test."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THAI = re.compile(r"[\u0e00-\u0e7f]")
_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def template_phrases() -> set[str]:
    """Thai string literals inside Jinja expressions of the admin templates and error.html."""
    files = list((ROOT / "wela" / "admin" / "templates").rglob("*.html")) + [ROOT / "wela" / "templates" / "error.html"]
    found: set[str] = set()
    for path in files:
        text = path.read_text("utf-8")
        for block in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, flags=re.S):
            found.update(s for s in _LITERAL.findall(block) if THAI.search(s))
            found.update(s for s in re.findall(r"'([^'\n]*)'", block) if THAI.search(s))
    return found


def python_phrases() -> set[str]:
    """Thai string constants in the admin views and forms (all shown through `_()`)."""
    files = list((ROOT / "wela" / "admin" / "views").glob("*.py")) + [ROOT / "wela" / "admin" / "security.py",
        ROOT / "wela" / "admin" / "forms.py", ROOT / "wela" / "admin" / "forms_money.py"]
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and THAI.search(node.value):
                found.add(node.value)
    return found


def table_phrases() -> set[str]:
    """Words from other packages' tables that the pages pass through `_()`."""
    from ledger.registry_io import ROLE_TH as MEMBER_ROLES
    from ledger.reports import KIND_TH
    from scheduler.lifecycle import STATE_TH
    from voice.stats import NODE_LABELS, TASK_LABELS
    from wela.admin.audit import ACTION_TH
    from wela.admin.users import ROLE_TH as STAFF_ROLES

    return {*MEMBER_ROLES.values(), *KIND_TH.values(), *STATE_TH.values(), *ACTION_TH.values(),
            *STAFF_ROLES.values(), *(th for th, _en in NODE_LABELS.values()),
            *(th for th, _en in TASK_LABELS.values())}


def all_phrases() -> set[str]:
    return template_phrases() | python_phrases() | table_phrases()
