"""The one translation mechanism for GUI and CLI messages.

Source strings are English; catalogs are gettext ``.po`` files under
``resources/translations/<lang>/`` (one file per area, merged), read with polib so no compile
step is needed. ``_()`` translates now; ``N_()`` (in ``domain.errors``) only marks a string.
A test fails when a marked string has no translation.
"""

from __future__ import annotations

import functools
import os

import polib

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
        for entry in polib.pofile(str(po_file)):
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags:
                entries[entry.msgid] = entry.msgstr
    return entries


def _(message: str) -> str:
    return catalog(current_language()).get(message, message)


def translate_error(error: DomainError) -> str:
    """User-facing text of a domain error, translated and with its parameters filled in.

    Text parameters that are themselves marked strings (e.g. a field name) are translated too.
    """
    params = {k: _(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return _(error.message).format(**params)
