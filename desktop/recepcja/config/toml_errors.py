"""A TOML file's syntax error as the desk reads it: the line, and what is wrong in words
(``tomllib`` says it in English: "Expected '=' after a key in a key/value pair (at line 3,
column 5)"). The words are ``N_``-marked: ``i18n.translate_error`` translates them with the
message they fill in."""

from __future__ import annotations

import re

from recepcja.domain.errors import N_

_AT = re.compile(r"\(at line (\d+), column (\d+)\)\s*$")
# (the start of tomllib's message, the words for it); the first that matches wins.
_WHAT = (
    (("Illegal character", "Unterminated string", "Found invalid character",
      "Unescaped '\\'"), N_("a quote that is not closed, or a character not allowed there")),
    (("Expected '=' after a key",), N_("a \"key = value\" line was expected (no \"=\"?)")),
    (("Expected ']' at the end", "Expected ']]' at the end"),
     N_("a [section] name not closed with \"]\"")),
    (("Invalid value", "Invalid date", "Invalid hex value", "Escaped character"),
     N_("a value that is not a number, text in quotes, true/false or a date")),
    (("Cannot declare", "Cannot overwrite", "Cannot redefine", "Cannot mutate",
      "Duplicate inline table key"), N_("a key or a section given twice")),
    (("Expected newline or end of document",), N_("something more after the value on one line")),
    (("Invalid statement", "Invalid initial character"),
     N_("a line that is neither \"key = value\" nor a [section]")),
    (("Unclosed array", "Unclosed inline table", "Expected "),
     N_("a list or an inline table not closed")),
)


def toml_problem(error: ValueError, text: str = "") -> dict[str, object]:
    """``line`` (1-based; the last line for "at end of document"), ``column`` and ``what`` (an
    ``N_`` string) of ``tomllib.TOMLDecodeError`` ``error`` raised on ``text``."""
    message = str(error)
    found = _AT.search(message)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
    else:
        line, column = max(1, text.count("\n") + (0 if text.endswith("\n") else 1)), 1
    what = next((words for starts, words in _WHAT if message.startswith(starts)),
                N_("a syntax error"))
    return {"line": line, "column": column, "what": what}
