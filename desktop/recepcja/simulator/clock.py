"""The simulator's clock and its time formats.

Tests must be able to say what "today" is (the 3-month activation horizon, "a term in the past"),
so every rule reads the time from ``SimClock`` instead of the system clock. ``POST /_control/clock``
moves it; it either stands still (``frozen``) or keeps ticking from the instant it was set to.

Three time formats meet here:
- storage: UTC, fixed width with microseconds and ``Z``, so that SQLite compares them as text;
- the wire: ``xs:dateTime`` with an offset, in Warsaw time as Polish services answer;
- incoming ``xs:dateTime`` values must carry an offset: a naive time is ambiguous around the
  DST change, and refusing it surfaces a client bug on the first call instead of an hour's shift.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading

from recepcja.domain.model import WARSAW
from recepcja.simulator.errors import SCHEMA, VALIDATION, CerError

UTC = dt.UTC
_DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class SimClock:
    """Real time, or a time set through the control API (standing still or ticking)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixed: dt.datetime | None = None
        self._offset: dt.timedelta | None = None

    def now(self) -> dt.datetime:
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            real = dt.datetime.now(UTC)
            return real + self._offset if self._offset is not None else real

    def set(self, instant: dt.datetime, *, frozen: bool = False) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock needs a time with an offset")
        instant = instant.astimezone(UTC)
        with self._lock:
            if frozen:
                self._fixed, self._offset = instant, None
            else:
                self._fixed, self._offset = None, instant - dt.datetime.now(UTC)

    def reset(self) -> None:
        with self._lock:
            self._fixed = self._offset = None

    def describe(self) -> dict[str, object]:
        with self._lock:
            mode = "frozen" if self._fixed else ("shifted" if self._offset else "real")
        return {"now": to_wire(self.now()), "mode": mode}

    def today(self) -> dt.date:
        """The calendar day in Warsaw: CeR's "today" for horizons and "in the past"."""
        return self.now().astimezone(WARSAW).date()


def to_db(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime(_DB_FORMAT)


def from_db(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _DB_FORMAT).replace(tzinfo=UTC)


def to_wire(value: dt.datetime | str) -> str:
    """``xs:dateTime`` in Warsaw time with its offset (seconds, or microseconds when present)."""
    if isinstance(value, str):
        value = from_db(value)
    local = value.astimezone(WARSAW)
    return local.isoformat(timespec="microseconds" if local.microsecond else "seconds")


def parse_wire(text: str | None, field: str) -> dt.datetime:
    """An incoming ``xs:dateTime`` (already schema-valid) as an aware UTC datetime."""
    raw = (text or "").strip()
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise CerError(VALIDATION, SCHEMA, f"Pole {field}: nieprawidłowy czas „{raw}”.") from None
    if value.tzinfo is None:
        raise CerError(
            VALIDATION,
            SCHEMA,
            f"Pole {field}: czas „{raw}” bez przesunięcia strefy; CeR wymaga czasu z przesunięciem "
            "(np. 2026-06-01T08:00:00+02:00).",
        )
    return value.astimezone(UTC)


def parse_iso(text: str) -> dt.datetime:
    """An ISO time from the control API; a naive one is read as Warsaw wall-clock time."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=WARSAW)
    return value.astimezone(UTC)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the month's last day (31 May + 3 → 31 Aug,
    30 Nov + 3 → 28/29 Feb): how "3 months ahead" is counted for activation."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(value: dt.datetime | str) -> dt.date:
    if isinstance(value, str):
        value = from_db(value)
    return value.astimezone(WARSAW).date()
