"""Append translations to a catalog: ``python tools/add_translations.py AREA < pairs.json``.

A maintainer's helper: takes a JSON object {msgid: msgstr} on stdin and appends the entries that
the catalog resources/translations/pl/AREA.po does not have yet.
"""

import json
import sys
from pathlib import Path

import polib

area = sys.argv[1]
path = Path(__file__).resolve().parents[1] / "resources" / "translations" / "pl" / f"{area}.po"
po = polib.pofile(str(path))
known = {e.msgid for e in po}
added = 0
for msgid, msgstr in json.load(sys.stdin).items():
    if msgid not in known:
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
        added += 1
po.save(str(path))
print(f"{path.name}: {added} added")
