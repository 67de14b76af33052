"""Visits that sit on a day their doctor (or device) is absent: the desk must move them.

A schedule exception (an absence, a day off) takes the day out of the schedule, but a live
visit may still hold one of its terms: a portal patient booked a term CeR still offered before
the absence reached CeR, the desk left a visit for a phone call, or a day off was added later.
Every such visit is work for the desk, and this module finds them straight from the store: the
flag cannot drift from the truth, and it clears itself once the visit is moved or cancelled.

Used by the notification applier (a booking CeR reports on such a day is flagged at once), by
reconciliation (found on every pass), and by ``status`` and the window's sync view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recepcja.domain.model import WARSAW
from recepcja.store.records import Schedule
from recepcja.store.working_records import ScheduleExceptionRecord, VisitRecord
from recepcja.sync.reconcile_report import Drift, DriftItem, Resolution

if TYPE_CHECKING:
    from recepcja.store.repos import Repositories


@dataclass(frozen=True, slots=True)
class VisitOnAbsence:
    """A live visit on a term of an absent resource (no PESEL: shown on screens and logs)."""

    visit: VisitRecord
    schedule_id: int
    schedule_name: str
    start: dt.datetime
    slot_cer_id: str | None
    patient_name: str
    reason: str  # the exception's reason (e.g. "choroba")


def absence_on(
    repos: Repositories, schedule_id: int, day: dt.date
) -> ScheduleExceptionRecord | None:
    """The schedule's exception covering ``day`` (a Warsaw calendar day), if any."""
    for exception in repos.schedules.exceptions(schedule_id, since=day):
        if exception.first_day <= day <= exception.last_day:
            return exception
    return None


def slot_on_absence(repos: Repositories, slot_id: int | None) -> ScheduleExceptionRecord | None:
    """The exception covering the day of ``slot_id``, if its schedule is absent that day."""
    slot = repos.slots.get(slot_id) if slot_id is not None else None
    if slot is None:
        return None
    return absence_on(repos, slot.schedule_id, slot.start.astimezone(WARSAW).date())


def visits_on_absence(
    repos: Repositories, *, now: dt.datetime, until: dt.date | None = None
) -> list[VisitOnAbsence]:
    """Live visits not started yet whose term falls on an exception of its schedule, in time
    order (``until``: the last day looked at, default: every recorded exception)."""
    today = now.astimezone(WARSAW).date()
    found: dict[int, VisitOnAbsence] = {}
    for schedule in repos.schedules.list(active_only=False):
        assert schedule.id is not None
        for exception in repos.schedules.exceptions(schedule.id, since=today):
            first = max(exception.first_day, today)
            last = exception.last_day if until is None else min(exception.last_day, until)
            if last < first:
                continue
            for row in repos.visits.live_in_schedule(schedule.id, first, last):
                if row.start <= now or row.visit.id in found:
                    continue
                found[row.visit.id] = VisitOnAbsence(
                    visit=row.visit,
                    schedule_id=schedule.id,
                    schedule_name=schedule.name,
                    start=row.start,
                    slot_cer_id=row.slot_cer_id,
                    patient_name=row.patient_name,
                    reason=exception.reason,
                )
    return sorted(found.values(), key=lambda item: (item.start, item.visit.id))


def absence_items(repos: Repositories, schedules: list[Schedule], *, now: dt.datetime,
                  until: dt.date) -> list[DriftItem]:
    """Reconciliation's items for these (CeR) schedules: each live visit on an absent day is
    for a person - CeR and the store may agree about it, but the patient would come to a
    doctor who is not there."""
    cer_ids = {s.id: s.cer_id for s in schedules}
    return [
        DriftItem(
            Drift.VISIT_ON_ABSENCE, Resolution.HUMAN, cer_ids[item.schedule_id] or "",
            start=item.start, slot_cer_id=item.slot_cer_id, slot_id=item.visit.slot_id,
            visit_cer_id=item.visit.cer_id, visit_uid=item.visit.visit_uid,
            visit_id=item.visit.id,
            detail=f"the doctor is absent ({item.reason or '-'}); source {item.visit.source}",
        )
        for item in visits_on_absence(repos, now=now, until=until)
        if item.schedule_id in cer_ids
    ]
