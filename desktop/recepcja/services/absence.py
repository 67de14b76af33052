"""Doctor absence: mark a resource absent for a period, list the visits it affects, and move
each one to a substitute on the same term or to the nearest term the rules allow.

The visits must still take place under the contract (the FAQ's "doctor absent" case), so the
absence never cancels anything: each move is ``booking.reschedule`` - one transaction with a
``change`` outbox row, the provider-side change CeR then notifies the patient about - and every
moved patient is on the list the desk calls. Marking the absence itself is local (a schedule
exception, the free terms blocked); taking those free terms out of CeR is a separate network
step (``withdraw_from_cer``) the caller runs off the UI thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import WARSAW, Patient, ScheduleException, SlotState
from recepcja.services import booking
from recepcja.store.db import atomic
from recepcja.store.records import Schedule, VisitRecord
from recepcja.store.repos import Repositories

SUBSTITUTE = "substitute"
NEAREST = "nearest"


@dataclass(frozen=True, slots=True)
class MoveOption:
    kind: str  # SUBSTITUTE (another resource, same term) or NEAREST (the first allowed term)
    slot_id: int
    start: dt.datetime
    schedule_name: str
    resource_name: str


@dataclass(slots=True)
class AffectedVisit:
    visit: VisitRecord
    patient: Patient
    start: dt.datetime
    schedule_name: str
    options: list[MoveOption] = field(default_factory=list)


@dataclass(slots=True)
class AbsenceResult:
    schedules: int = 0
    blocked: list[int] = field(default_factory=list)  # free slot ids taken out of use


def _check(first_day: dt.date, last_day: dt.date) -> None:
    if last_day < first_day:
        raise ValidationError(N_("The absence ends before it starts."))


def mark_absence(
    repos: Repositories, resource_id: int, first_day: dt.date, last_day: dt.date, *,
    user: str, reason: str = "",
) -> AbsenceResult:
    """Record the absence on every active schedule of the resource and block its free terms
    in the period (booked terms stay: their visits are moved one by one). One transaction:
    a crash never leaves an absence half-recorded."""
    _check(first_day, last_day)
    result = AbsenceResult()
    with atomic(repos.db):
        for schedule in repos.schedules.list(resource_id=resource_id):
            schedule_id = int(schedule.id or 0)
            repos.schedules.add_exception(
                schedule_id, ScheduleException(first_day, last_day, reason), user)
            result.schedules += 1
            for slot in repos.slots.for_days(schedule_id, first_day, last_day):
                if slot.state == SlotState.FREE and slot.id is not None:
                    repos.slots.set_state(slot.id, SlotState.BLOCKED)
                    result.blocked.append(slot.id)
        if not result.schedules:
            raise ValidationError(N_("This doctor has no active schedule."))
    return result


def affected_visits(
    repos: Repositories, resource_id: int, first_day: dt.date, last_day: dt.date, *,
    now: dt.datetime,
) -> list[AffectedVisit]:
    """Live visits of the resource in the period that have not started, with their options."""
    _check(first_day, last_day)
    names = {r.id: r.name for r in repos.practice.resources()}
    own = repos.schedules.list(resource_id=resource_id)
    own_ids = {s.id for s in own}
    found: list[AffectedVisit] = []
    for schedule in own:
        day = first_day
        while day <= last_day:
            for entry in repos.visits.day_sheet(int(schedule.id or 0), day):
                if entry.visit_id is None or entry.start <= now:
                    continue
                visit = repos.visits.get(entry.visit_id)
                patient = repos.patients.get(int(entry.patient_id or 0))
                if visit is None or patient is None:
                    continue
                item = AffectedVisit(visit, patient, entry.start.astimezone(WARSAW), schedule.name)
                item.options = _options(repos, schedule, entry.start, visit, own_ids=own_ids,
                                        names=names, first_day=first_day, last_day=last_day,
                                        now=now)
                found.append(item)
            day += dt.timedelta(days=1)
    found.sort(key=lambda item: item.start)
    return found


def _options(
    repos: Repositories, schedule: Schedule, start: dt.datetime, visit: VisitRecord, *,
    own_ids: set[int | None], names: dict[int | None, str], first_day: dt.date,
    last_day: dt.date, now: dt.datetime,
) -> list[MoveOption]:
    options: list[MoveOption] = []
    others = [s for s in repos.schedules.list(scope_code=schedule.scope_code)
              if s.id not in own_ids]
    for other in others:
        slot = repos.slots.at(int(other.id or 0), start)
        if slot is not None and slot.state == SlotState.FREE and slot.id is not None:
            options.append(MoveOption(SUBSTITUTE, slot.id, start.astimezone(WARSAW), other.name,
                                      names.get(other.resource_id, "")))
    exclude = {s.id for sid in own_ids
               for s in repos.slots.for_days(int(sid or 0), first_day, last_day)}
    nearest = booking.propose_term(repos, schedule.scope_code, visit.urgency, now=now,
                                   exclude={i for i in exclude if i is not None})
    if nearest is not None and nearest.id is not None and all(
        o.slot_id != nearest.id for o in options
    ):
        owner = repos.schedules.get(nearest.schedule_id)
        options.append(MoveOption(NEAREST, nearest.id, nearest.start.astimezone(WARSAW),
                                  owner.name if owner else "",
                                  names.get(owner.resource_id, "") if owner else ""))
    return options


def resolve(
    repos: Repositories, visit_id: int, option: MoveOption, *, user: str, now: dt.datetime
) -> tuple[VisitRecord, int | None]:
    """Move the visit to the chosen option (a ``change`` for CeR, which notifies the patient).
    The term it leaves belongs to the absent doctor: it is blocked, not freed. Returns the
    moved visit and that term's id (to withdraw from CeR with the others)."""
    before = repos.visits.get(visit_id)
    moved = booking.reschedule(repos, visit_id, option.slot_id, user=user, now=now)
    old = before.slot_id if before is not None else None
    if old is not None:
        slot = repos.slots.get(old)
        if slot is not None and slot.state == SlotState.FREE:
            repos.slots.set_state(old, SlotState.BLOCKED)
    return moved, old


def withdraw_from_cer(repos: Repositories, gateway: Any, slot_ids: list[int]) -> int:
    """Take the blocked free terms out of CeR (network: run it off the UI thread). Returns how
    many CeR withdrew; a CeR error propagates after the accepted ones are recorded."""
    from recepcja.services.publishing import ScheduleOutcome, withdraw

    by_schedule: dict[int, list[Any]] = {}
    for slot_id in slot_ids:
        slot = repos.slots.get(slot_id)
        if slot is not None and slot.cer_id:
            by_schedule.setdefault(slot.schedule_id, []).append(slot)
    withdrawn = 0
    for schedule_id, slots in by_schedule.items():
        schedule = repos.schedules.get(schedule_id)
        if schedule is None:
            continue
        outcome = ScheduleOutcome(schedule_id, schedule.name, schedule.cer_id)
        withdraw(repos, gateway, schedule, slots, outcome)
        withdrawn += outcome.withdrawn
    return withdrawn
