"""The one translation mechanism for GUI and CLI messages.

Source strings are English; catalogs are gettext ``.po`` files under
``resources/translations/<lang>/`` (one file per area, merged), read at the first ``_()`` so no
compile step is needed. ``_()`` translates now; ``N_()`` (in ``domain.errors``) only marks a
string. A test fails when a marked string has no translation.

The reader handles the plain form the catalogs use (comments, flags, ``msgid``/``msgstr`` with
continuation lines); a file with anything else (contexts, plurals, unknown escapes) is read with
polib. polib for every file cost ~15 ms of the window's cold start; a test checks that both
readers agree on every shipped catalog.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from recepcja.domain.errors import N_, DomainError
from recepcja.resources import resource

DEFAULT_LANGUAGE = "pl"

__all__ = ["N_", "_", "catalog", "current_language", "translate_error"]


def current_language() -> str:
    return os.environ.get("RECEPCJA_LANG", DEFAULT_LANGUAGE)


@functools.lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, str]:
    """All translated entries for ``language`` (empty for English, the source language)."""
    folder = resource("translations", language)
    entries: dict[str, str] = {}
    if not folder.is_dir():
        return entries
    for po_file in sorted(folder.glob("*.po")):
        entries.update(read_po(po_file))
    return entries


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(.)")


class _NotPlain(ValueError):
    """A .po construct the plain reader leaves to polib."""


def _escape(match: re.Match[str]) -> str:
    if match.group(1) not in _ESCAPES:
        raise _NotPlain(match.group(0))
    return _ESCAPES[match.group(1)]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise _NotPlain(text)
    return _ESCAPE.sub(_escape, text[1:-1])


def _read_plain(text: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def finish() -> None:
        nonlocal msgid, msgstr, current, fuzzy
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value and not fuzzy:  # the msgid "" entry is the header
                entries[key] = value
        elif msgid is not None:
            raise _NotPlain("msgid without msgstr")
        msgid = msgstr = current = None
        fuzzy = False

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            finish()
        elif stripped.startswith("#"):
            if msgid is not None:
                finish()
            if stripped.startswith("#,") and "fuzzy" in stripped:
                fuzzy = True
            # "#~" (obsolete) and other comments: nothing to translate
        elif stripped.startswith("msgid "):
            if msgid is not None:
                finish()
            msgid = current = [_unquote(stripped[6:])]
        elif stripped.startswith("msgstr ") and msgid is not None and msgstr is None:
            msgstr = current = [_unquote(stripped[7:])]
        elif stripped.startswith('"') and current is not None:
            current.append(_unquote(stripped))
        else:  # msgctxt, msgid_plural, msgstr[n], or something unexpected
            raise _NotPlain(stripped)
    finish()
    return entries


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr of one catalog file: translated entries only (no fuzzy, no obsolete)."""
    try:
        return _read_plain(path.read_text(encoding="utf-8"))
    except (_NotPlain, UnicodeDecodeError):
        import polib

        return {
            entry.msgid: entry.msgstr
            for entry in polib.pofile(str(path))
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
        }


def _(message: str) -> str:
    return catalog(current_language()).get(message, message)


def translate_error(error: DomainError) -> str:
    """User-facing text of a domain error, translated and with its parameters filled in.

    Text parameters that are themselves marked strings (e.g. a field name) are translated too.
    """
    params = {k: _(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return _(error.message).format(**params)
