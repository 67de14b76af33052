"""The weeks next to the shown one - the next two in the direction the desk moves, read ahead
on the views' reader (``gui/schedule_loader.py``) while nothing else is read, and the week
shown last - so entering one shows its cells at once, without a read.

Never stale: every week read ahead carries the *generation* of the data it was asked under.
Anything that changes what the views show (a booking, a sync pass, CeR's news, another desk's
change, the filters: ``ScheduleLoader.forget``) calls ``drop``, which starts a new generation;
a week asked before it is refused when it arrives and never used. A week holding the day of
its read is used only for ``FRESH_S`` (its past terms move with the clock); another week only
on the day it was read.

Used from two threads - the UI thread asks, the reader thread stores and looks up - behind a
lock. Plain Python: no Qt.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recepcja.gui.week_model import WeekGrid

FRESH_S = 60.0  # a week read ahead that holds today: its past terms are this old at most

WeekKey = tuple[dt.date, int]  # (monday, schedule id)


@dataclass(frozen=True, slots=True)
class _Ahead:
    generation: int
    now: dt.datetime  # the moment of the read: its terms are past or not as of then
    grid: WeekGrid


class WeeksAhead:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._weeks: dict[WeekKey, _Ahead] = {}
        self._generation = 0

    @property
    def generation(self) -> int:
        """The data's generation now: a read asked now stamps its week with it."""
        return self._generation

    def drop(self) -> None:
        """The data changed: every week read ahead - and every one being read - is void."""
        with self._lock:
            self._generation += 1
            self._weeks.clear()

    def put(self, key: WeekKey, generation: int, now: dt.datetime, grid: WeekGrid) -> bool:
        """Keep a week read under ``generation`` (refused when the data changed since)."""
        with self._lock:
            if generation != self._generation:
                return False
            self._weeks[key] = _Ahead(generation, now, grid)
            return True

    def get(self, key: WeekKey, generation: int, now: dt.datetime) -> WeekGrid | None:
        """The week, if it was read under ``generation`` (the current one) and is still true
        at ``now``."""
        with self._lock:
            ahead = self._weeks.get(key)
            if ahead is None or generation != self._generation \
                    or ahead.generation != generation:
                return None
            if not _still_true(key[0], ahead.now, now):
                del self._weeks[key]
                return None
            return ahead.grid

    def keep(self, keys: set[WeekKey]) -> None:
        """Forget the weeks no longer next to the shown one."""
        with self._lock:
            for key in [key for key in self._weeks if key not in keys]:
                del self._weeks[key]

    def keys(self) -> set[WeekKey]:
        with self._lock:
            return set(self._weeks)


def _still_true(monday: dt.date, read: dt.datetime, now: dt.datetime) -> bool:
    if read.date() != now.date() or now < read:
        return False
    holds_today = monday <= read.date() < monday + dt.timedelta(days=7)
    return not holds_today or (now - read).total_seconds() < FRESH_S
