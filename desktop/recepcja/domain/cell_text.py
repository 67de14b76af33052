"""Text that a spreadsheet program could take for a formula ("CSV injection").

Excel, LibreOffice and Google Sheets evaluate a cell that starts with ``=``, ``+``, ``-`` or
``@`` - typed, pasted, or read from a CSV file a receptionist made with "Save as CSV".
``=HYPERLINK("http://x","y")`` in a patient's surname becomes a live link; ``+cmd|' /C calc'!A0``
a DDE call. A tab or a carriage return at the start moves the text into the next cell, where the
same happens. Two rules follow (OWASP's advice):

- at input, a person's name may not start with any of these (``is_formula_like``);
- on output, every text cell the app writes is neutralised with a leading apostrophe
  (``neutralise``) - the way spreadsheet programs themselves mark "this is text" - and the app
  takes that apostrophe off again when it reads its own files back (``restore``).

A plain signed number such as a phone number in E.164 (``+48601234567``) is not neutralised: a
spreadsheet can at worst read it as a number, it evaluates nothing, and the desk keeps readable
phone numbers.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_SIGNED_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*")
QUOTE = "'"
_LOOK_CLOSER = frozenset((*FORMULA_STARTS, QUOTE))  # the only first characters that matter


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could evaluate ``text`` (or split it into another cell)."""
    return bool(text) and text.startswith(FORMULA_STARTS) and not _SIGNED_NUMBER.fullmatch(text)


def _needs_quote(text: str) -> bool:
    # Also a text that already starts with apostrophes before a formula: one more is added, so
    # that ``restore`` can tell the export's apostrophe from the text's own.
    return is_formula_like(text.lstrip(QUOTE))


def neutralise(text: str) -> str:
    """``text`` as a cell no spreadsheet evaluates."""
    if not text or text[0] not in _LOOK_CLOSER:  # nearly every cell: one set lookup
        return text
    return QUOTE + text if _needs_quote(text) else text


def restore(text: str) -> str:
    """The text ``neutralise`` was given (for reading the app's own files back)."""
    if text.startswith(QUOTE) and _needs_quote(text[1:]):
        return text[1:]
    return text
