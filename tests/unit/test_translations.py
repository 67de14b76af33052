"""Every string a receptionist can see is marked for translation and has a Polish translation."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import polib

import recepcja
from recepcja.i18n import _, catalog
from recepcja.resources import resource

PACKAGE = Path(recepcja.__file__).parent
MARKERS = {"_", "N_"}


@functools.cache
def marked_strings() -> dict[str, str]:
    """msgid -> first place it is used, for every _("...") / N_("...") in the package (parsed
    once per session: three tests read it, none changes it)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in MARKERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_some_strings_are_marked():
    assert len(marked_strings()) > 20


def test_every_marked_string_has_a_polish_translation():
    polish = catalog("pl")
    missing = {msg: where for msg, where in marked_strings().items() if msg not in polish}
    assert not missing, "untranslated strings:\n" + "\n".join(
        f"  {where}: {msg!r}" for msg, where in sorted(missing.items(), key=lambda i: i[1])
    )


def test_placeholders_survive_translation():
    """A translation must keep every {placeholder}, or .format() would fail at run time."""
    import string

    polish = catalog("pl")
    broken = []
    for msgid in marked_strings():
        if msgid not in polish:
            continue
        fields = {f for _t, f, _s, _c in string.Formatter().parse(msgid) if f}
        translated = {f for _t, f, _s, _c in string.Formatter().parse(polish[msgid]) if f}
        if fields != translated:
            broken.append((msgid, polish[msgid]))
    assert not broken, broken


def test_catalog_files_parse_and_have_no_duplicates():
    seen: dict[str, str] = {}
    for po in sorted(resource("translations", "pl").glob("*.po")):
        for entry in polib.pofile(str(po)):
            assert entry.msgid not in seen, f"{entry.msgid!r} in {po.name} and {seen[entry.msgid]}"
            seen[entry.msgid] = po.name


def test_translation_is_applied(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    assert _("print the result as JSON") != "print the result as JSON"
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    assert _("print the result as JSON") == "print the result as JSON"
