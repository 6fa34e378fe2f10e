"""The gettext catalogs: they compile, cover every string in the code, keep placeholders."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.settings import PROJECT_ROOT

PLACEHOLDER = re.compile(r"\{(\w*)\}")
LOCALES = ["vi", "en"]


def load(locale: str):
    with (PROJECT_ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def code_msgids() -> set[str]:
    ids: set[str] = set()
    for package in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT / package, keywords={"_": None, "N_": None, "msgid": None,
                                                "gettext": None,
                                                "ngettext": (1, 2)},
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_compiles_without_errors(locale: str) -> None:
    catalog = load(locale)
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert problems == []
    write_mo(BytesIO(), catalog)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_between_msgid_and_msgstr(locale: str) -> None:
    for message in load(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for string in filter(None, strings):  # an empty msgstr falls back to the msgid
            assert set(PLACEHOLDER.findall(string)) == wanted, message.id


def test_every_string_in_the_code_has_a_vietnamese_translation() -> None:
    catalog = load("vi")
    # A plural message is translated when every form is (its msgstr is a tuple).
    translated = {m.id if isinstance(m.id, str) else m.id[0]
                  for m in catalog if m.id and not m.fuzzy and (
                      all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(code_msgids() - translated)
    assert missing == [], "run `make update-catalogs` and translate: " + repr(missing[:5])


def test_the_english_catalog_holds_no_vietnamese() -> None:
    """English msgids are the English text: an English msgstr in Vietnamese would show
    Vietnamese to English users."""
    vietnamese = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u0300-\u0323]|[\u1ea0-\u1ef9]")
    wrong = []
    for message in load("en"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if any(vietnamese.search(s) for s in strings if s) and not any(
                vietnamese.search(i) for i in ids if i):
            wrong.append(ids[0])
    assert wrong == []
