"""Every message the domain marks with N_ has a Polish translation with the same placeholders."""

from __future__ import annotations

import ast
import datetime as dt
import string
from pathlib import Path

import polib
import pytest

from recepcja import i18n
from recepcja.domain.entities import WeeklyRule
from recepcja.domain.errors import ValidationError
from recepcja.domain.phone import normalize_phone
from recepcja.domain.slots import validate_template

ROOT = Path(__file__).resolve().parents[3]
DOMAIN_SOURCE = ROOT / "desktop" / "recepcja" / "domain"
CATALOG = ROOT / "resources" / "translations" / "pl" / "domain.po"


def marked_messages() -> dict[str, str]:
    """msgid -> where it is marked, from every ``N_("...")`` call in the domain package."""
    found: dict[str, str] = {}
    for path in sorted(DOMAIN_SOURCE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
            ):
                assert (
                    len(node.args) == 1
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ), f"{path.name}:{node.lineno}: N_ takes one string literal"
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def catalog() -> dict[str, polib.POEntry]:
    return {entry.msgid: entry for entry in polib.pofile(str(CATALOG)) if not entry.obsolete}


def test_the_domain_marks_messages():
    assert len(marked_messages()) > 40


def test_every_marked_message_has_a_polish_translation():
    entries = catalog()
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in marked_messages().items()
        if msgid not in entries
        or not entries[msgid].msgstr.strip()
        or "fuzzy" in entries[msgid].flags
    ]
    assert not missing, "untranslated domain messages:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders():
    entries = catalog()
    wrong = [
        msgid
        for msgid in marked_messages()
        if msgid in entries and placeholders(entries[msgid].msgstr) != placeholders(msgid)
    ]
    assert not wrong, wrong


def test_catalog_has_no_stale_entries():
    stale = set(catalog()) - set(marked_messages())
    assert not stale, f"entries no N_ marks any more: {sorted(stale)}"


def test_errors_reach_the_desk_in_polish(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    with pytest.raises(ValidationError) as caught:
        normalize_phone("601 234 567, 602 345 678")
    assert i18n.translate_error(caught.value).startswith("Wpisz tylko jeden numer telefonu.")
    error = ValidationError("A PESEL has 11 digits (entered: {length}).", length=10)
    assert i18n.translate_error(error) == "PESEL ma 11 cyfr (wpisano: 10)."


def test_weekday_names_in_messages_are_translated_too(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    rules = [
        WeeklyRule(0, dt.time(8), dt.time(12), 20),
        WeeklyRule(0, dt.time(11), dt.time(13), 20),
    ]
    with pytest.raises(ValidationError) as caught:
        validate_template(rules)
    assert i18n.translate_error(caught.value).startswith(
        "Dwie reguły szablonu nakładają się (poniedziałek: 08:00-12:00 i 11:00-13:00)."
    )
