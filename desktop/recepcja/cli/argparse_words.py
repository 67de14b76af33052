"""argparse's own messages in the desk's language: "brakuje wymaganych argumentów: --urgency",
not "the following arguments are required: --urgency"; "użycie:", not "usage:".

argparse looks its words up through its module-level ``_`` and ``ngettext`` (bound to
``gettext`` when it is imported) at the moment it needs them; ``install()`` binds them to the
app's own catalogs (``i18n``: ``resources/translations/<lang>/*.po``, argparse's msgids are in
``pl/cli_polish.po``). A message the catalogs do not have stays as argparse says it.
"""

from __future__ import annotations

import argparse

from recepcja.i18n import _, ngettext


def _words(message: str | None) -> str | None:
    return _(message) if message else message  # argparse also asks for None (no description)


def install() -> None:
    """argparse speaks through the app's catalogs from now on (this process)."""
    setattr(argparse, "_", _words)  # noqa: B010 - argparse's module-level gettext
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
