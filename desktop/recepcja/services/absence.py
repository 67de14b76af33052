"""Doctor absence as ONE decision: the window's dialog and ``recepcja absence`` both call this.

The visits must still take place under the contract (the FAQ's "doctor absent" case), so an
absence never cancels anything. Three steps:

1. ``affected_visits``: the live visits of the resource in the period that have not started,
   each with its options, and no term offered to two patients: a substitute on the same term
   first (another doctor of the scope, the same place first), then the nearest term the rules
   allow - urgent patients before stable ones, then by their booked term. A visit with no
   option left says so (the desk calls the patient).
2. ``apply_absence``: ONE transaction or nothing - the schedule exception on every schedule of
   the resource, its free terms blocked, each chosen move as a provider-side ``change`` for CeR
   (CeR notifies the patient), the terms the moves leave blocked, and the withdrawal of every
   blocked term from CeR queued in the outbox (``sync.withdrawals``), so it survives an outage
   or a crash and is retried by the sync machinery, never forgotten.
3. ``absence_progress``: what CeR has of it so far, read from the outbox rows - moved in CeR,
   queued, refused - and whom to call.

A visit left on the absent day stays visible to the desk until it is moved or cancelled
(``sync.absence_watch``), as does a portal booking that lands there before CeR withdrew the term.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from recepcja.domain.entities import Patient, ScheduleException, Slot
from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.domain.model import WARSAW, ResourceKind, SlotState
from recepcja.domain.referral import known_scope, move_problem
from recepcja.domain.urgency import URGENCY_RANK
from recepcja.services import booking
from recepcja.store.db import atomic
from recepcja.store.records import OutboxOp, Schedule
from recepcja.store.repos import Repositories
from recepcja.store.working_records import VisitRecord
from recepcja.sync.absence_watch import VisitOnAbsence, visits_on_absence
from recepcja.sync.withdrawals import queue_withdrawal

__all__ = [
    "NEAREST", "SUBSTITUTE", "AbsencePlan", "AffectedVisit", "AppliedAbsence", "AppliedMove",
    "MoveOption", "VisitOnAbsence", "absence_resources", "affected_visits", "apply_absence",
    "plan_absence", "visits_on_absence",
]

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
    options: list[MoveOption] = field(default_factory=list)  # the first one is the proposal

    @property
    def proposal(self) -> MoveOption | None:
        return self.options[0] if self.options else None


@dataclass(frozen=True, slots=True)
class AbsencePlan:
    """What the desk decided: the period, and per visit a move or a phone call."""

    resource_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str
    moves: tuple[tuple[int, MoveOption], ...]  # (visit id, chosen option)
    unresolved: tuple[AffectedVisit, ...] = ()  # left where they are: the desk calls them


@dataclass(frozen=True, slots=True)
class AppliedMove:
    visit_id: int
    patient: Patient
    was: dt.datetime  # the term on the absent doctor's day
    to: MoveOption
    change_id: int  # the outbox row that tells CeR


@dataclass(slots=True)
class AppliedAbsence:
    """What one ``apply_absence`` wrote (plain data: it may cross threads)."""

    resource_id: int
    first_day: dt.date
    last_day: dt.date
    schedules: int = 0
    blocked: list[int] = field(default_factory=list)  # free terms taken out of use now
    moves: list[AppliedMove] = field(default_factory=list)
    unresolved: list[AffectedVisit] = field(default_factory=list)
    withdrawal_ids: list[int] = field(default_factory=list)  # outbox rows (withdraw_slots)


def _check(first_day: dt.date, last_day: dt.date) -> None:
    if last_day < first_day:
        raise ValidationError(N_("The absence ends before it starts."))


def absence_resources(repos: Repositories) -> list[tuple[int, str]]:
    """(id, name) of the resources with an active schedule: doctors first, then devices and
    rooms (named as such), so the dialog's default is a doctor."""
    used = {s.resource_id for s in repos.schedules.list()}
    resources = [r for r in repos.practice.resources() if r.id in used]
    doctors = [(int(r.id or 0), r.name) for r in resources if r.kind == ResourceKind.DOCTOR]
    others = [(int(r.id or 0), f"{r.name} ({_kind_label(r.kind)})") for r in resources
              if r.kind != ResourceKind.DOCTOR]
    return doctors + others


def _kind_label(kind: ResourceKind) -> str:
    from recepcja.i18n import _

    return _("device") if kind == ResourceKind.DEVICE else _("room")


# --- 1. the affected visits and distinct proposals ------------------------------------------------


@dataclass(slots=True)
class _Context:
    """What proposing needs to know about the practice, read once."""

    own: list[Schedule]
    period: set[int]  # the absent resource's terms in the period: never offered
    names: dict[int | None, str]  # resource id -> name
    taken: set[int] = field(default_factory=set)  # terms already offered to somebody


def affected_visits(
    repos: Repositories, resource_id: int, first_day: dt.date, last_day: dt.date, *,
    now: dt.datetime,
) -> list[AffectedVisit]:
    """Live visits of the resource in the period that have not started, in time order, with
    their options; no term is offered to two patients (see the module docstring)."""
    _check(first_day, last_day)
    own = repos.schedules.list(resource_id=resource_id)
    context = _Context(
        own=own,
        period={slot.id for s in own for slot in repos.slots.for_days(int(s.id or 0), first_day,
                                                                       last_day)
                if slot.id is not None},
        names={r.id: r.name for r in repos.practice.resources()},
    )
    found: list[tuple[AffectedVisit, Schedule, Slot]] = []
    for schedule in own:
        for row in repos.visits.live_in_schedule(int(schedule.id or 0), first_day, last_day):
            patient = repos.patients.get(row.visit.patient_id)
            slot = repos.slots.get(int(row.visit.slot_id or 0))
            if row.start <= now or patient is None or slot is None:
                continue
            item = AffectedVisit(row.visit, patient, row.start.astimezone(WARSAW), schedule.name)
            found.append((item, schedule, slot))
    found.sort(key=lambda entry: (entry[0].start, entry[0].visit.id))
    for item, schedule, slot in found:  # 1. the same term with another doctor
        substitute = _substitute(repos, item, schedule, slot, context)
        if substitute is not None:
            item.options.append(substitute)
    by_rules = sorted(found, key=lambda entry: (URGENCY_RANK[entry[0].visit.urgency],
                                                entry[0].start, entry[0].visit.id))
    for wants_proposal in (True, False):  # 2. the nearest allowed term, 3. as an alternative
        for item, schedule, slot in by_rules:
            if bool(item.options) != wants_proposal:
                nearest = _nearest(repos, item, schedule, slot, context, now=now)
                if nearest is not None:
                    item.options.append(nearest)
    return [item for item, _schedule, _slot in found]


def _option(kind: str, slot: Slot, schedule: Schedule, context: _Context) -> MoveOption:
    assert slot.id is not None
    context.taken.add(slot.id)
    return MoveOption(kind, slot.id, slot.start.astimezone(WARSAW), schedule.name,
                      context.names.get(schedule.resource_id, ""))


def _fits(item: AffectedVisit, scope_code: str | None, slot: Slot) -> Callable[[Slot], bool]:
    """Whether the visit may move to a term: onto a first visit of a scope with referrals from
    another kind of term only with a referral (``domain.referral.move_problem``; CeR refuses
    the move without)."""
    scope = known_scope(item.visit.scope_code or scope_code)
    has_referral = bool(item.visit.referral_key or item.visit.referral_id)
    return lambda term: move_problem(scope, slot.term_kind, term.term_kind,
                                     has_referral) is None


def _substitute(repos: Repositories, item: AffectedVisit, schedule: Schedule, slot: Slot,
                context: _Context) -> MoveOption | None:
    own_ids = {s.id for s in context.own}
    others = [s for s in repos.schedules.list(scope_code=schedule.scope_code)
              if s.id not in own_ids]
    others.sort(key=lambda s: (s.place_id != schedule.place_id, s.id))  # same place first
    fits = _fits(item, schedule.scope_code, slot)
    for other in others:
        term = repos.slots.at(int(other.id or 0), slot.start)
        if (term is not None and term.id is not None and term.state == SlotState.FREE
                and term.id not in context.taken and (term.cer_id or not slot.cer_id)
                and fits(term)):
            return _option(SUBSTITUTE, term, other, context)
    return None


def _nearest(repos: Repositories, item: AffectedVisit, schedule: Schedule, slot: Slot,
             context: _Context, *, now: dt.datetime) -> MoveOption | None:
    term = booking.propose_term(
        repos, item.visit.scope_code or schedule.scope_code, item.visit.urgency, now=now,
        exclude=context.period | context.taken,
        published_only=slot.cer_id is not None,  # CeR can only move the visit to a term it has
        fits=_fits(item, schedule.scope_code, slot),
    )
    if term is None or term.id is None:
        return None
    owner = repos.schedules.get(term.schedule_id)
    if owner is None:
        return None
    return _option(NEAREST, term, owner, context)


def plan_absence(
    resource_id: int, first_day: dt.date, last_day: dt.date, reason: str,
    affected: list[AffectedVisit], *, move: bool,
) -> AbsencePlan:
    """The plan the CLI applies: each visit to its proposal (``move``), or none moved."""
    moves = tuple((item.visit.id, item.proposal) for item in affected
                  if move and item.proposal is not None)
    moved = {visit_id for visit_id, _option in moves}
    unresolved = tuple(item for item in affected if item.visit.id not in moved)
    return AbsencePlan(resource_id, first_day, last_day, reason.strip(), moves, unresolved)


# --- 2. one transaction ---------------------------------------------------------------------------


def apply_absence(
    repos: Repositories, plan: AbsencePlan, *, user: str, now: dt.datetime
) -> AppliedAbsence:
    """Record the absence and make the chosen moves in ONE transaction (see the module
    docstring). Any refusal - a chosen term taken meanwhile, two patients on one term - raises
    a DomainError and writes nothing."""
    _check(plan.first_day, plan.last_day)
    if repos.practice.resource(plan.resource_id) is None:
        raise ValidationError(N_("There is no resource number {id}."), id=plan.resource_id)
    targets = [option.slot_id for _visit_id, option in plan.moves]
    if len(set(targets)) != len(targets):
        raise ValidationError(N_("Two patients cannot be moved to the same term; nothing was "
                                 "saved. Show the affected visits again."))
    applied = AppliedAbsence(plan.resource_id, plan.first_day, plan.last_day,
                             unresolved=list(plan.unresolved))
    with atomic(repos.db):
        schedules = repos.schedules.list(resource_id=plan.resource_id)
        if not schedules:
            raise ValidationError(N_("This doctor has no active schedule."))
        blocked: list[Slot] = []
        for schedule in schedules:
            blocked += _record_exception(repos, schedule, plan, user=user, now=now)
        applied.schedules = len(schedules)
        applied.blocked = [int(slot.id or 0) for slot in blocked]
        own = {s.id for s in schedules}
        for visit_id, option in plan.moves:
            applied.moves.append(_move(repos, visit_id, option, own, plan, user=user, now=now))
        entry = queue_withdrawal(repos, blocked, user=user)
        if entry is not None:
            applied.withdrawal_ids.insert(0, entry)
        for move in applied.moves:  # the terms the moves left, each after its visit's change
            left = _left_term(repos, move.change_id)
            if left is not None:
                entry = queue_withdrawal(repos, [left], user=user, visit_id=move.visit_id)
                if entry is not None:
                    applied.withdrawal_ids.append(entry)
    return applied


def _record_exception(repos: Repositories, schedule: Schedule, plan: AbsencePlan, *,
                      user: str, now: dt.datetime) -> list[Slot]:
    schedule_id = int(schedule.id or 0)
    known = repos.schedules.exceptions(schedule_id, since=plan.first_day)
    if not any(e.first_day == plan.first_day and e.last_day == plan.last_day for e in known):
        repos.schedules.add_exception(
            schedule_id, ScheduleException(plan.first_day, plan.last_day, plan.reason), user)
    blocked = []
    for slot in repos.slots.for_days(schedule_id, plan.first_day, plan.last_day):
        if slot.state == SlotState.FREE and slot.id is not None and slot.start > now:
            repos.slots.set_state(slot.id, SlotState.BLOCKED)
            blocked.append(slot)
    return blocked


def _move(repos: Repositories, visit_id: int, option: MoveOption, own: set[int | None],
          plan: AbsencePlan, *, user: str, now: dt.datetime) -> AppliedMove:
    before = repos.visits.get(visit_id)
    slot = repos.slots.get(before.slot_id) if before and before.slot_id is not None else None
    patient = repos.patients.get(before.patient_id) if before is not None else None
    day = slot.start.astimezone(WARSAW).date() if slot is not None else None
    if (before is None or slot is None or patient is None or slot.schedule_id not in own
            or day is None or not plan.first_day <= day <= plan.last_day):
        raise ConflictError(N_("A visit of this absence was changed meanwhile; nothing was "
                               "saved. Show the affected visits again."))
    try:
        booking.reschedule(repos, visit_id, option.slot_id, user=user, now=now)
    except ConflictError:
        raise ConflictError(
            N_("The term {when} chosen for {patient} is no longer free; nothing was saved. "
               "Show the affected visits again."),
            when=option.start.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M"),
            patient=f"{patient.first_name} {patient.last_name}",
        ) from None
    left = repos.slots.get(int(slot.id or 0))
    if left is not None and left.id is not None and left.state == SlotState.FREE:
        repos.slots.set_state(left.id, SlotState.BLOCKED)  # the absent doctor's: not bookable
    change = [e for e in repos.outbox.for_visit(visit_id) if e.op == OutboxOp.CHANGE]
    return AppliedMove(visit_id, patient, slot.start.astimezone(WARSAW), option,
                       change[-1].id)


def _left_term(repos: Repositories, change_id: int) -> Slot | None:
    entry = repos.outbox.get(change_id)
    slot_id = entry.payload.get("from_slot_id") if entry is not None else None
    return repos.slots.get(int(slot_id)) if slot_id is not None else None
