"""Overlapping slots and overbooked slots: "two or three patients on the same hour".

CeR's support names this as a field problem: duplicated or over-published slots let two patients
book the same hour. Prevention is in the template check and the database's UNIQUE constraints;
this module detects what got through anyway (an old import, a CeR read-back, a bug), with concrete
examples (which slots, which visits) as CeR's support asks for.

Both functions are generic: they take the objects the caller has (``Slot``, ``SlotSpec``,
``(schedule, start, end)`` tuples, database rows) plus accessors, and return those same objects,
so the caller can print dates, hours and identifiers from them.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from recepcja.domain.errors import N_, ValidationError

T = TypeVar("T")
S = TypeVar("S", bound=Hashable)
V = TypeVar("V", bound=Hashable)


@dataclass(frozen=True, slots=True)
class SlotOverlap(Generic[T]):
    """Two slots of one schedule whose ``[start, end)`` intervals overlap; ``first`` starts no
    later than ``second``. ``start``/``end`` bound the time both claim."""

    schedule: Hashable
    first: T
    second: T
    start: dt.datetime
    end: dt.datetime
    duplicate: bool  # the same start and end: the same term published twice


@dataclass(frozen=True, slots=True)
class Overbooked(Generic[S, V]):
    """A slot holding more visits than it has room for; ``visits`` in the order given."""

    slot: S
    visits: tuple[V, ...]
    capacity: int

    @property
    def excess(self) -> int:
        return len(self.visits) - self.capacity


def slot_schedule(item: Any) -> Hashable:
    """Default schedule accessor: ``item[0]`` of a ``(schedule, start, end)`` tuple, else
    ``item.schedule_id``; objects without one (``SlotSpec``: one schedule's slots) share None."""
    schedule: Hashable = item[0] if isinstance(item, tuple) else getattr(
        item, "schedule_id", None)
    return schedule


def slot_interval(item: Any) -> tuple[dt.datetime, dt.datetime]:
    """Default interval accessor: ``item[1], item[2]`` of a tuple, else ``item.start, item.end``."""
    if isinstance(item, tuple):
        return item[1], item[2]
    return item.start, item.end


def find_slot_overlaps(
    slots: Iterable[T],
    *,
    schedule_of: Callable[[T], Hashable] = slot_schedule,
    interval_of: Callable[[T], tuple[dt.datetime, dt.datetime]] = slot_interval,
) -> list[SlotOverlap[T]]:
    """Every pair of slots of the same schedule whose ``[start, end)`` intervals overlap.

    Back-to-back slots (one ends when the next starts) do not overlap; identical slots do.
    Slots with ``end <= start`` hold no time and are ignored. Sort and sweep per schedule:
    O(n log n + k) for k pairs, so a year of slots of a whole practice is checked in one pass.
    Results are grouped by schedule (in order of first appearance) and sorted by time.
    To find clashes of one doctor across schedules, pass ``schedule_of`` returning the doctor.
    """
    groups: dict[Hashable, list[tuple[dt.datetime, dt.datetime, int, T]]] = {}
    for sequence, item in enumerate(slots):
        start, end = interval_of(item)
        if end > start:
            groups.setdefault(schedule_of(item), []).append((start, end, sequence, item))
    found: list[SlotOverlap[T]] = []
    for schedule, entries in groups.items():
        entries.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
        pairs: list[tuple[dt.datetime, int, int, SlotOverlap[T]]] = []
        active: list[tuple[dt.datetime, int, dt.datetime, T]] = []  # heap by end
        for start, end, sequence, item in entries:
            while active and active[0][0] <= start:
                heapq.heappop(active)
            for other_end, other_sequence, other_start, other in active:
                overlap = SlotOverlap(
                    schedule=schedule,
                    first=other,
                    second=item,
                    start=start,
                    end=min(end, other_end),
                    duplicate=(other_start, other_end) == (start, end),
                )
                pairs.append((other_start, other_sequence, sequence, overlap))
            heapq.heappush(active, (end, sequence, start, item))
        pairs.sort(key=lambda pair: pair[:3])
        found.extend(pair[3] for pair in pairs)
    return found


def find_overbooked(
    assignments: Mapping[S, Iterable[V]] | Iterable[tuple[S, V]],
    capacity: int = 1,
) -> list[Overbooked[S, V]]:
    """Slots holding more (active) visits than ``capacity``, naming the visits.

    ``assignments`` is either ``{slot: visits}`` or ``(slot, visit)`` pairs, e.g. straight from a
    query. The caller passes only visits that occupy the slot (not cancelled ones). A visit listed
    twice for one slot is counted once: it is one patient, not two.
    """
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ValidationError(
            N_("A slot holds at least one visit (capacity found: {capacity})."),
            capacity=capacity,
        )
    by_slot: dict[S, dict[V, None]] = {}
    if isinstance(assignments, Mapping):
        for slot, visits in assignments.items():
            by_slot.setdefault(slot, {}).update(dict.fromkeys(visits))
    else:
        for slot, visit in assignments:
            by_slot.setdefault(slot, {})[visit] = None
    return [
        Overbooked(slot=slot, visits=tuple(visits), capacity=capacity)
        for slot, visits in by_slot.items()
        if len(visits) > capacity
    ]
