"""The one translation mechanism for GUI and CLI messages.

Source strings are English; catalogs are gettext ``.po`` files under
``resources/translations/<lang>/`` (one file per area, merged), read with polib so no compile
step is needed. ``_()`` translates now; ``N_()`` (in ``domain.errors``) only marks a string.
A test fails when a marked string has no translation.

polib reading every catalog costs ~15 ms of the window's cold start, so its result is kept in
a small JSON cache (``cache/`` in the data folder, or the user's cache folder) keyed by the
catalogs' names, sizes and CRC-32 checksums - not a cryptographic hash: hashlib would load
OpenSSL's library, ~2 ms of that start. A changed catalog has another key and is read with
polib again; an unreadable or unwritable cache only means reading with polib.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

from recepcja.domain.errors import N_, DomainError
from recepcja.resources import resource

DEFAULT_LANGUAGE = "pl"
ENV_HOME = "RECEPCJA_HOME"  # the data folder (config.paths); its cache/ holds the catalog cache
CACHE_FORMAT = b"recepcja-catalog-cache-3"  # change when read_catalogs reads differently

__all__ = ["N_", "_", "catalog", "current_language", "error_text", "ngettext",
           "translate_error"]

PLURAL_KEY = "\x00plural-forms"  # the catalogs' Plural-Forms expression, in the cache too
SEPARATOR = "\x00"  # msgid SEPARATOR msgid_plural -> the forms joined by SEPARATOR


def current_language() -> str:
    return os.environ.get("RECEPCJA_LANG", DEFAULT_LANGUAGE)


@functools.lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, str]:
    """All translated entries for ``language`` (empty for English, the source language)."""
    folder = resource("translations", language)
    if not folder.is_dir():
        return {}
    sources = sorted(folder.glob("*.po"))
    cached = _cache_folder() / f"translations-{language}-{_catalogs_key(sources)}.json"
    try:
        entries = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(entries, dict):
            return entries
    except (OSError, ValueError):
        pass
    entries = read_catalogs(sources)
    _write_quietly(cached, json.dumps(entries, ensure_ascii=False))
    try:
        for stale in cached.parent.glob(f"translations-{language}-*.json"):
            if stale != cached:
                stale.unlink(missing_ok=True)  # an older version's catalogs
    except OSError:
        pass  # read-only, or open elsewhere (Windows): it only takes a little space
    return entries


def _catalogs_key(sources: list[Path]) -> str:
    """A short key that changes with any catalog: CRC-32 of each file's name, size and bytes
    (an accidental change keeping all three is a 1 in 4 billion chance per file)."""
    key = zlib.crc32(CACHE_FORMAT)
    for path in sources:
        data = path.read_bytes()
        key = zlib.crc32(f"{path.name}\0{len(data)}\0".encode(), key)
        key = zlib.crc32(data, key)
    return f"{key:08x}"


def read_catalogs(sources: list[Path]) -> dict[str, str]:
    """msgid -> msgstr of the given .po files, translated entries only (polib)."""
    import polib

    entries: dict[str, str] = {}
    for path in sources:
        po = polib.pofile(str(path))
        rule = po.metadata.get("Plural-Forms", "")
        if "plural=" in rule:
            entries.setdefault(PLURAL_KEY, rule.split("plural=", 1)[1].strip().rstrip(";"))
        for entry in po:
            if entry.obsolete or "fuzzy" in entry.flags:
                continue
            if entry.msgid_plural:
                forms = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
                if all(forms):
                    entries[entry.msgid + SEPARATOR + entry.msgid_plural] = SEPARATOR.join(forms)
            elif entry.msgstr:
                entries[entry.msgid] = entry.msgstr
    return entries


def _cache_folder() -> Path:
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home) / "cache"
    import platformdirs

    return platformdirs.user_cache_path("Recepcja", appauthor=False)


def _write_quietly(path: Path, text: str) -> None:
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        # Private like every file the app writes in its data folder (config.private_files).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        partial.replace(path)  # atomic: a reader sees the old file or the whole new one
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()


def _(message: str) -> str:
    return catalog(current_language()).get(message, message)


@functools.lru_cache(maxsize=8)
def _plural_rule(expression: str) -> Callable[[int], int]:
    """The catalog's ``plural=`` C expression as a function (gettext's own parser)."""
    import gettext

    return gettext.c2py(expression)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the number ``n`` (Polish: 1 wizyta, 2 wizyty, 5 wizyt),
    from the catalog's ``msgid_plural`` entries and its ``Plural-Forms`` rule; English (the
    source) when there is no translation. The caller fills in the number itself."""
    entries = catalog(current_language())
    forms = entries.get(singular + SEPARATOR + plural)
    rule = entries.get(PLURAL_KEY)
    if forms and rule:
        choices = forms.split(SEPARATOR)
        index = _plural_rule(rule)(abs(int(n)))
        return choices[min(index, len(choices) - 1)]
    return singular if n == 1 else plural


def translate_error(error: DomainError) -> str:
    """User-facing text of a domain error, translated and with its parameters filled in.

    Text parameters that are themselves marked strings (e.g. a field name) are translated too.
    """
    params = {k: _(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return _(error.message).format(**params)


def error_text(error: BaseException) -> str:
    """THE one function that turns any error into words for people (window, CLI, the sync
    panel, stored reasons): a DomainError or CerError (``message`` + ``params``) translated
    with its values filled in; a lost connection or a file that cannot be used in plain words;
    anything else as "unexpected error, see the log" - never an exception's class name."""
    message, params = getattr(error, "message", None), getattr(error, "params", None)
    if isinstance(message, str) and isinstance(params, dict):
        values = {k: _(v) if isinstance(v, str) else v for k, v in params.items()}
        try:
            return _(message).format(**values)
        except (KeyError, IndexError, ValueError):
            pass
    if isinstance(error, ConnectionError | TimeoutError):
        return _("CeR cannot be reached right now. The change is kept and will be sent later.")
    if isinstance(error, OSError) and error.strerror:
        if error.filename:
            return _("{error}: {path}").format(error=error.strerror, path=error.filename)
        return str(error.strerror)
    return _("Unexpected error; the details are in the log.")
