"""The catalog reader of ``recepcja.i18n`` agrees with polib (which it replaced on the start
path for speed) on every shipped catalog and on the .po constructs it must handle or hand over."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from recepcja.i18n import read_po
from recepcja.resources import resource


def _polib(path: Path) -> dict[str, str]:
    return {e.msgid: e.msgstr for e in polib.pofile(str(path))
            if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}


@pytest.mark.parametrize("path", sorted(resource("translations").glob("*/*.po")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_catalogs_read_as_polib_reads_them(path):
    assert read_po(path) == _polib(path)


TRICKY = r'''# header comment
msgid ""
msgstr ""
"Language: pl\n"

#: gui/x.py:1
msgid "Plain"
msgstr "Zwykły"

#, fuzzy
msgid "Unsure"
msgstr "Niepewny"

#, python-format
msgid ""
"Two "
"lines with \"quotes\"\tand a tab\n"
msgstr ""
"Dwie "
"linie z \"cudzysłowem\"\ti tabulatorem\n"

msgid "Untranslated"
msgstr ""

msgid "Back\\slash"
msgstr "Ukośnik\\wsteczny"
#~ msgid "Gone"
#~ msgstr "Nie ma"
'''

PLURAL = '''msgid "one file"
msgid_plural "{n} files"
msgstr[0] "jeden plik"
msgstr[1] "{n} pliki"

msgctxt "menu"
msgid "Open"
msgstr "Otwórz"
'''


@pytest.mark.parametrize("text", [TRICKY, PLURAL], ids=["plain", "plural-and-context"])
def test_comments_flags_continuations_escapes_and_what_goes_to_polib(tmp_path, text):
    path = tmp_path / "x.po"
    path.write_text(text, encoding="utf-8")
    assert read_po(path) == _polib(path)


def test_the_plain_subset_gives_the_expected_entries(tmp_path):
    path = tmp_path / "x.po"
    path.write_text(TRICKY, encoding="utf-8")
    assert read_po(path) == {
        "Plain": "Zwykły",
        'Two lines with "quotes"\tand a tab\n': 'Dwie linie z "cudzysłowem"\ti tabulatorem\n',
        "Back\\slash": "Ukośnik\\wsteczny",
    }
