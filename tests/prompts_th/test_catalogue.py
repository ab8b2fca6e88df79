"""The prompt catalogue: well formed, and every key named by code and every named key present."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from prompts_th import catalogue
from prompts_th.catalogue import CatalogueError, PromptKeyError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "scheduler", "voice", "sms", "prompts_th", "wela")
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
FAMILY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.$")
# Dotted names that are not prompts even when their first part is a catalogue section
# ("sms.incoming" is a Flask endpoint, "voice.menu" a logger).
NOT_A_PROMPT_CALLS = {"url_for", "getLogger", "import_module", "render_template"}
# "error.html" is a file name, not the prompt "html" of the section "error".
FILE_SUFFIXES = {"html", "txt", "toml", "json", "py", "mp3", "wav", "csv", "xlsx", "ini", "db"}
MAX_THAI_LENGTH = 200


def _sections() -> set[str]:
    return {key.split(".")[0] for key in catalogue.keys()}


@cache
def _string_constants() -> tuple[tuple[str, str], ...]:
    """(where, value) of every string constant in the packages' code, docstrings excepted."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), filename=str(path))
            skipped = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                    skipped.add(id(node.value))  # docstrings and bare strings
                if isinstance(node, ast.Call) and _called_name(node) in NOT_A_PROMPT_CALLS:
                    skipped.update(id(arg) for arg in node.args[:1])
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if id(node) not in skipped:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.append((where, node.value))
    return tuple(found)


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_module(value: str) -> bool:
    """"sms.web" names a module of this repository (imported by name), not a prompt."""
    path = ROOT.joinpath(*value.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _named_keys() -> list[tuple[str, str]]:
    sections = _sections()
    return [
        (where, value)
        for where, value in _string_constants()
        if KEY.match(value)
        and value.split(".")[0] in sections
        and value.rsplit(".", 1)[1] not in FILE_SUFFIXES
        and not _is_module(value)
    ]


def _named_families() -> set[str]:
    sections = _sections()
    return {
        value
        for _, value in _string_constants()
        if FAMILY.match(value) and value.split(".")[0] in sections
    }


def test_every_key_the_code_names_is_in_the_catalogue():
    missing = [f"{where}: {key}" for where, key in _named_keys() if not catalogue.has(key)]
    assert not missing, "code names prompts the catalogue lacks:\n" + "\n".join(missing)


def test_every_catalogue_key_is_named_by_some_code():
    named = {key for _, key in _named_keys()}
    families = _named_families()
    unused = [
        key
        for key in catalogue.keys()
        if key not in named and not any(key.startswith(family) for family in families)
    ]
    assert not unused, "catalogue keys no code names (name each, or a family 'x.'):\n" + "\n".join(
        unused
    )


def test_the_scan_sees_both_families_and_single_keys():
    assert {"category.", "time.part."} <= _named_families()
    assert catalogue.GENERIC_ERROR in {key for _, key in _named_keys()}


@pytest.mark.parametrize("key", catalogue.keys())
def test_every_entry_is_short_polite_and_complete(key):
    prompt = catalogue.shipped().prompt(key)
    assert prompt.th.strip() and prompt.en.strip()
    assert len(prompt.th) <= MAX_THAI_LENGTH
    assert "ครับ" not in prompt.th  # one voice, a woman's: ค่ะ


def test_the_catalogue_holds_the_help_categories_and_parts_of_day():
    assert catalogue.keys("category.") == [
        f"category.{code}" for code in ("clinic", "errand", "home", "other", "visit")
    ]
    assert catalogue.keys("time.part.") == [
        "time.part.afternoon",
        "time.part.evening",
        "time.part.morning",
    ]


def test_text_and_english_read_the_shipped_catalogue():
    assert catalogue.text("error.generic").startswith("ขออภัยค่ะ")
    assert catalogue.english("error.generic").startswith("Sorry")
    assert catalogue.has("error.generic")


def test_a_missing_key_is_a_key_error_naming_the_key():
    with pytest.raises(KeyError, match="ivr.no_such_menu") as raised:
        catalogue.text("ivr.no_such_menu")
    assert raised.value.key == "ivr.no_such_menu"
    assert not catalogue.has("ivr.no_such_menu")


BALANCE = """
[sms.balance]
th = "ยาย{name} เวลาคงเหลือ {minutes} ค่ะ"
en = "{name}: {minutes} left"
"""


def test_slots_are_filled_by_name():
    balance = catalogue.parse(BALANCE)
    assert balance.prompt("sms.balance").slots == {"name", "minutes"}
    assert catalogue.slots("error.generic") == frozenset()
    assert balance.text("sms.balance", name="สมศรี", minutes="2 ชั่วโมง") == (
        "ยายสมศรี เวลาคงเหลือ 2 ชั่วโมง ค่ะ"
    )
    assert balance.english("sms.balance", name="Somsri", minutes="2 h") == "Somsri: 2 h left"


def test_a_missing_slot_is_a_key_error_naming_key_and_slot():
    balance = catalogue.parse(BALANCE)
    with pytest.raises(PromptKeyError, match=r"'sms\.balance' needs slot 'minutes'") as raised:
        balance.english("sms.balance", name="Somsri")
    assert isinstance(raised.value, KeyError)
    assert (raised.value.key, raised.value.slot) == ("sms.balance", "minutes")


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ('[ivr.hello]\nth = "สวัสดีค่ะ"\n', "exactly th and en"),
        ('[ivr.hello]\nth = "สวัสดีค่ะ"\nen = "Hello"\nnote = "x"\n', "exactly th and en"),
        ('[ivr.hello]\nth = ""\nen = "Hello"\n', "no th text"),
        ('[ivr.hello]\nth = "สวัสดีค่ะ {name}"\nen = "Hello"\n', "slots differ"),
        ('[ivr.hello]\nth = "สวัสดีค่ะ {0}"\nen = "Hello {0}"\n', "plain name"),
        ('[ivr.hello]\nth = "สวัสดีค่ะ {name"\nen = "Hello"\n', "broken brace"),
        ('th = "สวัสดีค่ะ"\n', "under a key"),
        ("[ivr.hello\n", "not valid TOML"),
    ],
)
def test_a_malformed_catalogue_is_refused(source, complaint):
    with pytest.raises(CatalogueError, match=complaint):
        catalogue.parse(source)


def test_the_shipped_catalogue_loads_and_is_checked():
    shipped = (ROOT / "prompts_th" / "catalogue.toml").read_text("utf-8")
    assert catalogue.parse(shipped).keys() == catalogue.keys()
