"""Polish plural forms: every message where a number meets a noun goes through ``ngettext``
with the catalog's ``Plural-Forms`` (1 wizyta, 2 wizyty, 5 wizyt, 12 wizyt, 22 wizyty,
25 wizyt). Renders every plural message of the package for 1, 2, 5, 12, 22 and 25."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import polib
import pytest

import recepcja
from recepcja.i18n import catalog, ngettext
from recepcja.resources import resource

PACKAGE = Path(recepcja.__file__).parent
NUMBERS = (1, 2, 5, 12, 22, 25)
POLISH_FORM = {1: 0, 2: 1, 5: 2, 12: 2, 22: 1, 25: 2}  # one / few / many


def plural_messages() -> dict[tuple[str, str], str]:
    """(singular, plural) -> where, for every ngettext("...", "...", n) in the package."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "ngettext" and len(node.args) == 3
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                            for a in node.args[:2])):
                key = (node.args[0].value, node.args[1].value)
                found.setdefault(key, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def _polish_entries() -> dict[tuple[str, str], list[str]]:
    entries = {}
    for po in sorted(resource("translations", "pl").glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgid_plural:
                entries[(entry.msgid, entry.msgid_plural)] = [
                    entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return entries


def _fill(text: str, number: int) -> str:
    fields = {f for _t, f, _s, _c in string.Formatter().parse(text) if f}
    numeric = {"n", "count", "imported", "present", "blocked"}
    return text.format(**{f: number if f in numeric else "X" for f in fields})


def test_the_package_uses_plural_messages():
    assert len(plural_messages()) >= 20


@pytest.mark.parametrize("message", sorted(plural_messages()), ids=lambda m: m[0][:40])
def test_every_plural_message_renders_in_polish_for_every_number(message, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    forms = _polish_entries().get(message)
    assert forms is not None, f"no Polish plural entry for {message} ({plural_messages()[message]})"
    assert len(forms) == 3 and all(forms), forms
    singular, plural = message
    for number in NUMBERS:
        rendered = _fill(ngettext(singular, plural, number), number)
        assert rendered == _fill(forms[POLISH_FORM[number]], number), (number, rendered)
        assert str(number) in rendered
        assert rendered != _fill(singular if number == 1 else plural, number)  # Polish, not English


def test_the_polish_rule_picks_the_right_form(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    words = [ngettext("{n} visit moved.", "{n} visits moved.", n).format(n=n) for n in NUMBERS]
    assert words == ["przeniesiono 1 wizytę.", "przeniesiono 2 wizyty.", "przeniesiono 5 wizyt.",
                     "przeniesiono 12 wizyt.", "przeniesiono 22 wizyty.",
                     "przeniesiono 25 wizyt."]
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    assert ngettext("{n} visit moved.", "{n} visits moved.", 1) == "{n} visit moved."
    assert ngettext("{n} visit moved.", "{n} visits moved.", 2) == "{n} visits moved."


def test_the_catalog_keeps_the_plural_rule():
    assert "n%10>=2" in catalog("pl")["\x00plural-forms"]


def test_the_reconciliation_summary_says_terminy_for_1322(monkeypatch, capsys):
    """``recepcja reconcile``'s first line: "1322 terminy z 3 harmonogramów", not "terminów"."""
    import datetime as dt
    from types import SimpleNamespace

    from recepcja.cli.commands.reconcile import _print_report

    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    report = SimpleNamespace(
        slots_compared=1322, schedules=3, first_day=dt.date(2026, 12, 2),
        last_day=dt.date(2027, 3, 19), seconds=0.1, open_items=[], incidents=None,
        in_agreement=True,
        counts=dict)
    _print_report(report)
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Porównano 1322 terminy z 3 harmonogramów (2026-12-02 - 2027-03-19)")
