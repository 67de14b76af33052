"""How the CLI answers: JSON for scripts, short Polish text for people, one line on errors."""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from dataclasses import asdict, is_dataclass
from typing import Any, TextIO

# Exit codes: 0 ok, 1 the request could not be done (bad input, rejected), 2 usage, 3 CeR problem,
# 4 not available now (e.g. another process is sending this data folder's outbox).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CER = 3
EXIT_NOT_AVAILABLE = 4


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    json.dump(data, stream, default=_default, ensure_ascii=False, indent=2, sort_keys=False)
    stream.write("\n")


def emit_error(message: str) -> None:
    """One clear line on stderr (the message is already translated)."""
    first_line = " ".join(message.split())
    print(f"recepcja: {first_line}", file=sys.stderr)
