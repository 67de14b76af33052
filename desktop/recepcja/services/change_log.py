"""The log of changes from CeR as the desk reads it: when each change arrived, the whole term
it is about (day, time, doctor or device, place) and the change in words - and which term to
show when the desk asks to see it.

``sync.notifications.change_log`` / the applier's listeners give the changes; this adds what
the store knows about their terms. No Qt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from recepcja.domain.model import WARSAW
from recepcja.store.repos import Repositories


@dataclass(frozen=True, slots=True)
class ChangeLine:
    received_at: dt.datetime | None  # when the notification reached us
    start: dt.datetime | None
    end: dt.datetime | None
    doctor: str  # the doctor or device of the term's schedule ("" if unknown here)
    place: str
    slot_id: int | None  # the term to show in the day view (None: not in this schedule)
    message: str  # the change in words (``Change.message()``)

    @property
    def day(self) -> dt.date | None:
        return self.start.astimezone(WARSAW).date() if self.start else None


def change_lines(repos: Repositories, changes: Iterable[Any]) -> list[ChangeLine]:
    """One line per ``Change``, in the order given."""
    names: dict[int, tuple[str, str]] = {}
    lines = []
    for change in changes:
        record = repos.notifications.get(change.notification_id)
        slot_id = change.slot_id
        if slot_id is None and change.visit_cer_id:
            visit = repos.visits.by_cer_id(change.visit_cer_id)
            slot_id = visit.slot_id if visit is not None else None
        slot = repos.slots.get(slot_id) if slot_id is not None else None
        doctor, place = ("", "") if slot is None else _names(repos, slot.schedule_id, names)
        lines.append(ChangeLine(
            received_at=record.received_at if record is not None else None,
            start=slot.start if slot is not None else change.start,
            end=slot.end if slot is not None else None,
            doctor=doctor,
            place=place,
            slot_id=slot.id if slot is not None else None,
            message=change.message(),
        ))
    return lines


def _names(repos: Repositories, schedule_id: int,
           known: dict[int, tuple[str, str]]) -> tuple[str, str]:
    if schedule_id not in known:
        schedule = repos.schedules.get(schedule_id)
        resource = repos.practice.resource(schedule.resource_id) if schedule else None
        place = repos.practice.place(schedule.place_id) if schedule else None
        known[schedule_id] = (resource.name if resource else (schedule.name if schedule else ""),
                              place.name if place else "")
    return known[schedule_id]
