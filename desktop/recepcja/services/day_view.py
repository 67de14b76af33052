"""Read-only queries behind the desk's views: the day sheet of one or several schedules, a week
overview, the filter choices and the status bar's numbers.

No Qt here (the GUI wraps these in Qt models) and no SQL (everything goes through the
repositories), so the same rows can feed a printout, the CLI or a test without a window. The
clock comes in as a parameter: "past" is decided by the caller's ``now``, never read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from recepcja.domain.model import WARSAW

if TYPE_CHECKING:  # annotations only: the window imports this module before its first paint
    from recepcja.store.records import Schedule
    from recepcja.store.repos import Repositories
    from recepcja.store.working_records import DayEntry

LAST_EXCHANGE_KEY = "connectivity.last_ok"  # stamped by sync.monitor after every good call
STATE_KEY = "connectivity.state"  # sync.monitor's last state: online / degraded / offline


class TermStatus(StrEnum):
    """What the desk needs to tell apart at a glance."""

    FREE = "free"
    BOOKED = "booked"
    BLOCKED = "blocked"
    PAST = "past"  # a free term whose time has gone: nothing to do with it any more


class DayRow(NamedTuple):
    """One line of the day view: a term of a schedule and who (if anyone) holds it.

    The views' rows are named tuples, not frozen dataclasses: a day's read makes one per term
    (hundreds), a tuple is made without a ``object.__setattr__`` per field, and the class
    itself without compiling five methods at import - the window's cold start imports this
    module (issue 18).
    """

    entry: DayEntry
    schedule_name: str
    resource_name: str
    status: TermStatus
    is_past: bool
    resource_id: int = 0  # the doctor or device (its colour in the views)
    scope_code: str = ""

    @property
    def start(self) -> dt.datetime:
        return self.entry.start.astimezone(WARSAW)

    @property
    def end(self) -> dt.datetime:
        return self.entry.end.astimezone(WARSAW)

    @property
    def patient_name(self) -> str:
        first = self.entry.patient_first_name or ""
        last = self.entry.patient_last_name or ""
        return f"{last} {first}".strip()


class ScheduleInfo(NamedTuple):
    """A schedule with the names the views show next to its terms."""

    schedule: Schedule
    resource_name: str
    place_name: str

    @property
    def id(self) -> int:
        return int(self.schedule.id or 0)

    @property
    def label(self) -> str:
        return self.schedule.name or self.resource_name


class FilterChoices(NamedTuple):
    """What the scope / place / doctor filters offer: scope codes, ``(id, name)`` pairs."""

    scopes: tuple[str, ...]
    places: tuple[tuple[int, str], ...]
    resources: tuple[tuple[int, str], ...]


class StatusNumbers(NamedTuple):
    """The status bar's numbers: changes waiting for CeR, the last good exchange."""

    pending_changes: int
    last_exchange: dt.datetime | None
    connection: str | None  # as the sync monitor last stored it; None before any exchange


def schedule_infos(
    repos: Repositories,
    *,
    scope_code: str | None = None,
    place_id: int | None = None,
    resource_id: int | None = None,
) -> list[ScheduleInfo]:
    """Active schedules matching the filters (None = any), with resource and place names."""
    resources = {r.id: r.name for r in repos.practice.resources()}
    places = {p.id: p.name for p in repos.practice.places()}
    return [
        ScheduleInfo(s, resources.get(s.resource_id, ""), places.get(s.place_id, ""))
        for s in repos.schedules.list(
            scope_code=scope_code, place_id=place_id, resource_id=resource_id
        )
    ]


def filter_choices(repos: Repositories) -> FilterChoices:
    """What the scope / place / doctor filters offer: only values some active schedule uses."""
    scopes, places, resources = repos.schedules.in_use()
    return FilterChoices(scopes=tuple(scopes), places=tuple(places), resources=tuple(resources))


def status_of(entry: DayEntry, now: dt.datetime) -> tuple[TermStatus, bool]:
    """The term's status for the view and whether it is past (a booked past visit stays
    BOOKED: the desk still marks arrival on it)."""
    is_past = entry.start <= now
    if entry.visit_id is not None or entry.slot_state == "booked":
        return TermStatus.BOOKED, is_past
    if entry.slot_state == "blocked":
        return TermStatus.BLOCKED, is_past
    return (TermStatus.PAST if is_past else TermStatus.FREE), is_past


def day_rows(
    repos: Repositories,
    schedules: Sequence[ScheduleInfo],
    day: dt.date,
    now: dt.datetime,
) -> list[DayRow]:
    """Every term of ``schedules`` on a Warsaw ``day``, in time order (ties by schedule)."""
    rows: list[DayRow] = []
    for info in schedules:
        rows.extend(_rows(info, repos.visits.day_sheet(info.id, day), now))
    rows.sort(key=lambda row: (row.entry.start, row.entry.schedule_id))
    return rows


def _rows(info: ScheduleInfo, entries: Iterable[DayEntry], now: dt.datetime) -> list[DayRow]:
    schedule = info.schedule
    return [DayRow(entry, info.label, info.resource_name, *status_of(entry, now),
                   resource_id=schedule.resource_id, scope_code=schedule.scope_code)
            for entry in entries]


def schedule_week(
    repos: Repositories, info: ScheduleInfo, monday: dt.date, now: dt.datetime, days: int = 7
) -> dict[dt.date, list[DayRow]]:
    """The terms of ONE schedule on ``days`` days from ``monday`` (one query): the week view
    shows one schedule's own rhythm."""
    week: dict[dt.date, list[DayRow]] = {monday + dt.timedelta(days=i): [] for i in range(days)}
    last = monday + dt.timedelta(days=days - 1)
    for row in _rows(info, repos.visits.sheets(info.id, monday, last), now):
        week[row.start.date()].append(row)
    return week


def booked_rows(rows: Iterable[DayRow]) -> list[DayRow]:
    """The visits of a day: today's list with arrival status."""
    return [row for row in rows if row.entry.visit_id is not None]


def next_free(
    repos: Repositories, schedules: Sequence[ScheduleInfo], after: dt.datetime
) -> tuple[ScheduleInfo, dt.datetime, int] | None:
    """The nearest free term of any of ``schedules`` starting after ``after``:
    (schedule, start, slot id), or None."""
    best: tuple[ScheduleInfo, dt.datetime, int] | None = None
    for info in schedules:
        for slot in repos.slots.free_from(info.id, after + dt.timedelta(seconds=1), limit=1):
            if best is None or slot.start < best[1]:
                best = (info, slot.start.astimezone(WARSAW), int(slot.id or 0))
    return best


def free_terms(
    repos: Repositories, schedules: Sequence[ScheduleInfo], after: dt.datetime, limit: int = 40
) -> list[tuple[ScheduleInfo, dt.datetime, int]]:
    """Free terms of ``schedules`` after ``after``, nearest first (the booking dialog's list)."""
    found: list[tuple[ScheduleInfo, dt.datetime, int]] = []
    for info in schedules:
        found.extend(
            (info, slot.start.astimezone(WARSAW), int(slot.id or 0))
            for slot in repos.slots.free_from(info.id, after, limit=limit)
        )
    found.sort(key=lambda item: (item[1], item[0].id))
    return found[:limit]


def status_numbers(repos: Repositories) -> StatusNumbers:
    """The status bar's numbers: changes CeR does not have yet and the last good exchange."""
    return StatusNumbers(
        pending_changes=repos.outbox.count_pending(),
        last_exchange=repos.sync_state.get_time(LAST_EXCHANGE_KEY),
        connection=repos.sync_state.get(STATE_KEY),
    )
