"""The six onboarding steps of obligation 1, per place, resumable and idempotent.

1 ``zapiszDaneMus`` register the place · 2 ``importujMobilnePunktyObslugi`` its mobile points ·
3 ``zapiszHarmonogram`` its schedules · 4 ``zasilInicjalnie`` the visits booked before joining ·
5 ``zapiszSloty`` free terms to the horizon (``services.publishing``) · 6 ``aktywujMus``.

Each CeR answer is written to the store as soon as it arrives (CeR ids, registered/active
stamps, confirmed visits, published slots, ``sync_state`` markers), and every step is skipped
when the store says it is done. Every CeR operation used here is idempotent by an identifier we
choose (RPWDL codes, local ids, visit uids), so a crash between CeR's commit and our write is
repaired by simply running again: CeR finds what the first call did, nothing is duplicated.

The GUI drives ``run_onboarding`` from a worker thread: ``on_step`` gets each ``StepResult`` as
it is known, ``progress`` the batches of the long steps.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from recepcja.cer.errors import MINOR_HORIZON, CerError, CerRejected
from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import (
    PLACE_STATE_TO_WIRE,
    CerPatient,
    InitialVisit,
    ItemResult,
    MobilePoint,
    PlaceRegistration,
    PlaceState,
    ScheduleRegistration,
)
from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.horizon import horizon_deadline, required_months
from recepcja.domain.model import WARSAW, VisitSource
from recepcja.i18n import _
from recepcja.services.practice_setup import parse_address
from recepcja.services.publishing import Progress, Rejection, first_day_past, publish_all
from recepcja.store.records import Place
from recepcja.store.repos import Repositories
from recepcja.sync.in_flight import DEFAULT_MAX_IN_FLIGHT

log = logging.getLogger(__name__)


class Step(StrEnum):
    REGISTER = "register_place"
    MOBILE_POINTS = "mobile_points"
    SCHEDULES = "schedules"
    INITIAL_LOAD = "initial_load"
    PUBLISH = "publish"
    ACTIVATE = "activate"


class StepStatus(StrEnum):
    DONE = "done"  # CeR answered now
    ALREADY_DONE = "already_done"  # the store says an earlier run did it
    SKIPPED = "skipped"  # nothing to do (no mobile points...) or not allowed any more
    FAILED = "failed"


def step_label(step: str) -> str:
    """A step as people read it (the window's rows, the CLI's lines)."""
    return {
        Step.REGISTER: _("register the place (zapiszDaneMus)"),
        Step.MOBILE_POINTS: _("mobile points (importujMobilnePunktyObslugi)"),
        Step.SCHEDULES: _("schedules (zapiszHarmonogram)"),
        Step.INITIAL_LOAD: _("initial load (zasilInicjalnie)"),
        Step.PUBLISH: _("free terms (zapiszSloty)"),
        Step.ACTIVATE: _("activation (aktywujMus)"),
    }.get(Step(step), str(step))


def status_label(status: str) -> str:
    return {
        StepStatus.DONE: _("done"),
        StepStatus.ALREADY_DONE: _("already done"),
        StepStatus.SKIPPED: _("nothing to do"),
        StepStatus.FAILED: _("FAILED"),
    }.get(StepStatus(status), str(status))


@dataclass(slots=True)
class StepResult:
    place_id: int
    place: str
    step: Step
    status: StepStatus
    answer: str = ""  # CeR's own words in short: ids, states as CeR names them
    accepted: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    error: Exception | None = None  # DomainError or CerError: translated by the front end
    summary: str = ""  # an N_-marked English line ("accepted {accepted}, ...") ...
    summary_params: dict[str, object] = field(default_factory=dict)  # ... and its values

    def answer_text(self) -> str:
        """What CeR answered, for people: CeR's ids and states, then the translated summary."""
        parts = [self.answer] if self.answer else []
        if self.summary:
            parts.append(_(self.summary).format(**self.summary_params))
        return "; ".join(parts)


@dataclass(slots=True)
class OnboardingResult:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(s.status == StepStatus.FAILED for s in self.steps)


class ActivationRefused(DomainError):
    """CeR refused ``aktywujMus``: the message names the schedules and how far they reach."""


StepCallback = Callable[[StepResult], None]


def _key(place_id: int, what: str) -> str:
    return f"onboarding.place.{place_id}.{what}"


def _summary(results: list[ItemResult]) -> tuple[int, int, list[Rejection]]:
    rejections = [
        Rejection(r.local_id, (r.code or "?").rsplit(":", 1)[-1], r.message or "")
        for r in results if not r.accepted
    ]
    return len(results) - len(rejections), len(rejections), rejections


def registration_for(place: Place) -> PlaceRegistration:
    address = parse_address(place.address)
    if address is None:
        raise ValidationError(
            N_("The place \"{place}\" has no address of the form \"street, 00-000 city\"; "
               "run recepcja setup again."), place=place.name,
        )
    codes = place.rpwdl_codes
    return PlaceRegistration(codes.get("part_i", ""), codes.get("part_v", ""),
                             codes.get("part_vii", ""), place.name, address, tuple(place.scopes))


class _Run:
    """One onboarding run: the store, the gateway and the clock, step by step."""

    def __init__(self, repos: Repositories, gateway: CerGateway, *, now: dt.datetime,
                 months: int, margin_days: int, progress: Progress | None,
                 max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        self.repos, self.gateway, self.now = repos, gateway, now
        self.max_in_flight = max_in_flight
        self.months, self.margin_days, self.progress = months, margin_days, progress
        self.today = now.astimezone(WARSAW).date()

    def result(self, place: Place, step: Step, status: StepStatus, **values: object) -> StepResult:
        assert place.id is not None
        return StepResult(place.id, place.name, step, status, **values)  # type: ignore[arg-type]

    # 1
    def register(self, place: Place) -> StepResult:
        assert place.id is not None
        registration = registration_for(place)
        fingerprint = json.dumps([registration.rpwdl_part_i, registration.rpwdl_part_v,
                                  registration.rpwdl_part_vii, registration.name,
                                  registration.address.street,
                                  registration.address.postal_code, registration.address.city,
                                  list(registration.scopes)], ensure_ascii=False)
        state = self.repos.sync_state
        if place.cer_id and state.get(_key(place.id, "registered_as")) == fingerprint:
            return self.result(place, Step.REGISTER, StepStatus.ALREADY_DONE, answer=place.cer_id)
        cer_id, cer_state = self.gateway.register_place(registration)
        self.repos.practice.mark_place_registered(place.id, cer_id)
        state.set(_key(place.id, "registered_as"), fingerprint)
        if cer_state == PlaceState.ACTIVE and place.cer_active_at is None:
            self.repos.practice.mark_place_active(place.id)  # activated before a crash
        place.cer_id = cer_id
        return self.result(place, Step.REGISTER, StepStatus.DONE,
                           answer=f"{cer_id} {PLACE_STATE_TO_WIRE[cer_state]}", accepted=1)

    # 2
    def mobile_points(self, place: Place) -> StepResult:
        points = [p for p in self.repos.practice.mobile_points(place.id) if p.active]
        todo = [p for p in points if p.cer_imported_at is None]
        if not points:
            return self.result(place, Step.MOBILE_POINTS, StepStatus.SKIPPED)
        if not todo:
            return self.result(place, Step.MOBILE_POINTS, StepStatus.ALREADY_DONE,
                               answer=", ".join(p.cer_id or "?" for p in points))
        assert place.cer_id is not None
        sent = []
        for point in todo:
            address = parse_address(point.address)
            if address is None:
                raise ValidationError(
                    N_("The place \"{place}\" has no address of the form \"street, 00-000 "
                       "city\"; run recepcja setup again."), place=point.name)
            sent.append(MobilePoint(point.code or f"P{point.id}", point.name, address,
                                    self.today))
        results = self.gateway.import_mobile_points(place.cer_id, sent)
        by_local = {m.local_id: p for m, p in zip(sent, todo, strict=True)}
        for item in results:
            if item.accepted and item.local_id in by_local:
                point_id = by_local[item.local_id].id
                assert point_id is not None
                self.repos.practice.mark_mobile_point_imported(point_id, item.cer_id)
        accepted, rejected, rejections = _summary(results)
        return self.result(place, Step.MOBILE_POINTS,
                           StepStatus.FAILED if rejected else StepStatus.DONE,
                           answer=", ".join(r.cer_id or "-" for r in results if r.accepted),
                           accepted=accepted, rejected=rejected, rejections=rejections)

    # 3
    def schedules(self, place: Place) -> StepResult:
        assert place.cer_id is not None
        schedules = self.repos.schedules.list(place_id=place.id)
        todo = [s for s in schedules if s.cer_id is None]
        if not schedules:
            return self.result(place, Step.SCHEDULES, StepStatus.SKIPPED)
        if not todo:
            return self.result(place, Step.SCHEDULES, StepStatus.ALREADY_DONE,
                               answer=", ".join(s.cer_id or "?" for s in schedules))
        points = {p.id: p for p in self.repos.practice.mobile_points(place.id)}
        created = []
        for schedule in todo:
            assert schedule.id is not None
            resource = self.repos.practice.resource(schedule.resource_id)
            assert resource is not None
            point = points.get(schedule.mobile_point_id)
            cer_id = self.gateway.save_schedule(place.cer_id, ScheduleRegistration(
                local_id=f"H{schedule.id}",
                scope_code=schedule.scope_code,
                resource_kind=resource.kind,
                resource_name=resource.name,
                licence_number=resource.licence_number,
                mobile_point_cer_id=point.cer_id if point else None,
                description=schedule.name[:500] or None,
            ))
            self.repos.schedules.mark_created_in_cer(schedule.id, cer_id)
            created.append(cer_id)
        return self.result(place, Step.SCHEDULES, StepStatus.DONE, answer=", ".join(created),
                           accepted=len(created))

    # 4
    def initial_load(self, place: Place) -> StepResult:
        assert place.id is not None and place.cer_id is not None
        schedules = {s.id: s for s in self.repos.schedules.list(place_id=place.id,
                                                                active_only=False)}
        pending = [v for v in self.repos.visits.unconfirmed(limit=1_000_000)
                   if v.source == VisitSource.INITIAL_LOAD and v.slot_id is not None]
        visits: list[tuple[int, InitialVisit]] = []
        stranded = 0  # this place's, whether their schedule is in CeR or not
        for visit in pending:
            slot = self.repos.slots.get(visit.slot_id or 0)
            schedule = None if slot is None else schedules.get(slot.schedule_id)
            stranded += schedule is not None
            if slot is None or schedule is None or schedule.cer_id is None:
                continue
            patient = self.repos.patients.get(visit.patient_id)
            assert patient is not None
            visits.append((visit.id, InitialVisit(
                visit_uid=visit.visit_uid, schedule_cer_id=schedule.cer_id, start=slot.start,
                end=slot.end, term_kind=slot.term_kind, urgency=visit.urgency,
                central_request_id=visit.central_request_id, referral_id=visit.referral_id,
                patient=CerPatient(patient.identifier, patient.first_name, patient.last_name,
                                   patient.phone, patient.birth_date),
            )))
        marker = _key(place.id, "initial_load_sent")
        if place.cer_active_at is not None:
            if not stranded:
                return self.result(place, Step.INITIAL_LOAD, StepStatus.ALREADY_DONE)
            # Stored before the import refused this (an older version): CeR takes no initial
            # load after activation, so they can only stay here. Said, never "nothing to do".
            return self.result(place, Step.INITIAL_LOAD, StepStatus.FAILED, error=ValidationError(
                N_("{count} visits of the initial load were imported after \"{place}\" became "
                   "active in CeR and can never reach CeR that way. Cancel each of them and "
                   "book it again with recepcja book."), count=stranded, place=place.name))
        if self.repos.sync_state.get(marker) and not visits:
            return self.result(place, Step.INITIAL_LOAD, StepStatus.ALREADY_DONE)
        if self.progress:
            self.progress(f"{place.name}: initial load", 0, len(visits))
        results = self.gateway.initial_load(place.cer_id, [v for _id, v in visits])
        ids = {v.visit_uid: visit_id for visit_id, v in visits}
        for item in results:
            if item.accepted and item.cer_id and item.local_id in ids:
                self.repos.visits.confirm(ids[item.local_id], item.cer_id)
        slot_of = {visit.visit_uid: visit.slot_id for visit in pending}
        accepted_uids = {item.local_id for item in results if item.accepted}
        try:
            self._adopt_initial_slots([(slot_of[v.visit_uid], v) for _id, v in visits
                                       if v.visit_uid in accepted_uids])
        except CerError as error:  # a convenience: reconciliation adopts the terms later
            log.warning("reading back the initial-load terms failed: %r", error)
        self.repos.sync_state.set_time(marker, self.now)
        accepted, rejected, rejections = _summary(results)
        if self.progress:
            self.progress(f"{place.name}: initial load", len(visits), len(visits))
        # Rejected visits are reported, not fatal: CeR has the rest, activation may go on.
        return self.result(place, Step.INITIAL_LOAD, StepStatus.DONE,
                           summary=N_("accepted {accepted}, rejected {rejected}"),
                           summary_params={"accepted": accepted, "rejected": rejected},
                           accepted=accepted, rejected=rejected, rejections=rejections)

    def _adopt_initial_slots(self, loaded: list[tuple[int | None, InitialVisit]]) -> None:
        """CeR booked each initial-load visit on a term of its own (or on a published one):
        read those terms back, one call per schedule, and give the local slots their CeR ids,
        so publishing skips them and reconciliation finds both sides already in agreement."""
        by_schedule: dict[str, list[tuple[int | None, InitialVisit]]] = {}
        for slot_id, visit in loaded:
            by_schedule.setdefault(visit.schedule_cer_id, []).append((slot_id, visit))
        pairs: list[tuple[int, str | None]] = []
        for schedule_cer_id, items in by_schedule.items():
            wanted = {visit.visit_uid: slot_id for slot_id, visit in items if slot_id}
            first = min(visit.start for _s, visit in items)
            last = max(visit.end for _s, visit in items)
            for cer_slot in self.gateway.read_slots(schedule_cer_id, first,
                                                    last + dt.timedelta(seconds=1)):
                pairs.extend((wanted[v.visit_uid], cer_slot.cer_id) for v in cer_slot.visits
                             if v.visit_uid in wanted and not v.cancelled)
        if pairs:
            self.repos.slots.mark_published(pairs, at=self.now)

    # 5
    def publish(self, place: Place) -> StepResult:
        result = publish_all(self.repos, self.gateway, now=self.now, months=self.months,
                             margin_days=self.margin_days, place_id=place.id,
                             progress=self.progress, max_in_flight=self.max_in_flight)
        rejections = [r for s in result.schedules for r in (*s.rejected, *s.withdraw_rejected)]
        reach = "; ".join(f"{s.name}: {s.published_until or '-'}" for s in result.schedules)
        # Rejected items are reported (and retried next time); activation checks the horizon.
        return self.result(
            place, Step.PUBLISH, StepStatus.DONE,
            answer=reach,
            summary=N_("accepted {accepted}, rejected {rejected}, withdrawn {withdrawn}"),
            summary_params={"accepted": result.published, "rejected": len(rejections),
                            "withdrawn": result.withdrawn},
            accepted=result.published, rejected=len(rejections), rejections=rejections)

    # 6
    def activate(self, place: Place) -> StepResult:
        assert place.id is not None and place.cer_id is not None
        if place.cer_active_at is not None:
            return self.result(place, Step.ACTIVATE, StepStatus.ALREADY_DONE,
                               answer=PLACE_STATE_TO_WIRE[PlaceState.ACTIVE])
        try:
            state = self.gateway.activate_place(place.cer_id)
        except CerRejected as error:
            if error.code != MINOR_HORIZON:
                raise
            return self.result(place, Step.ACTIVATE, StepStatus.FAILED, answer=error.reason,
                               rejected=1, error=self.refusal(place, error))
        self.repos.practice.mark_place_active(place.id)
        return self.result(place, Step.ACTIVATE, StepStatus.DONE,
                           answer=PLACE_STATE_TO_WIRE[state], accepted=1)

    def refusal(self, place: Place, error: CerRejected) -> ActivationRefused:
        months = required_months(self.months)  # CeR checks at least the legal 3 months
        deadline = horizon_deadline(self.today, months)
        reach, idle = [], []
        for schedule in self.repos.schedules.list(place_id=place.id):
            assert schedule.id is not None
            last = self.repos.slots.last_published_start(schedule.id, free_only=True)
            until = last.astimezone(WARSAW).date() if last else None
            if until is None or until < deadline:
                reach.append(f"{schedule.name}: {until.isoformat() if until else '—'}")
                if first_day_past(self.repos, schedule, deadline) is None:
                    idle.append(schedule.name)
        if idle:
            # Publishing again cannot help (it would only loop): the schedule must change.
            return ActivationRefused(
                N_("CeR refused to activate \"{place}\": free terms of every schedule must reach "
                   "at least {months} months ahead, past {deadline}, and these schedules do not "
                   "work at all after that day (weekly hours or days off): {schedules}. Give "
                   "them working days after {deadline} (recepcja setup or the practice "
                   "settings), then run recepcja onboard again. CeR said: {cer}"),
                place=place.name, months=months, deadline=deadline.isoformat(),
                schedules="; ".join(idle), cer=error.description,
            )
        return ActivationRefused(
            N_("CeR refused to activate \"{place}\": free terms of every schedule must reach at "
               "least {months} months ahead, until {deadline}. Published too briefly (schedule: "
               "last free term): {schedules}. Run recepcja publish, then recepcja onboard "
               "again. CeR said: {cer}"),
            place=place.name, months=months, deadline=deadline.isoformat(),
            schedules="; ".join(reach) or "—", cer=error.description,
        )


STEPS = (Step.REGISTER, Step.MOBILE_POINTS, Step.SCHEDULES, Step.INITIAL_LOAD, Step.PUBLISH,
         Step.ACTIVATE)


def recorded_steps(repos: Repositories, place: Place) -> dict[Step, StepStatus]:
    """What the store says earlier runs finished for ``place`` (the onboarding view shows it
    before a run, not "waiting" for steps long done - e.g. by training mode's set-up). Publishing
    goes on after activation; an active place has published its horizon."""
    if place.id is None or not place.cer_id:
        return {}
    done = StepStatus.ALREADY_DONE
    found = {Step.REGISTER: done}
    points = [p for p in repos.practice.mobile_points(place.id) if p.active]
    if all(p.cer_imported_at is not None for p in points):
        found[Step.MOBILE_POINTS] = done if points else StepStatus.SKIPPED
    schedules = repos.schedules.list(place_id=place.id)
    if all(s.cer_id for s in schedules):
        found[Step.SCHEDULES] = done if schedules else StepStatus.SKIPPED
    if place.cer_active_at is not None or repos.sync_state.get(
            _key(place.id, "initial_load_sent")):
        found[Step.INITIAL_LOAD] = done
    if place.cer_active_at is not None:
        found[Step.PUBLISH] = found[Step.ACTIVATE] = done
    return found


def run_onboarding(
    repos: Repositories,
    gateway: CerGateway,
    *,
    now: dt.datetime | None = None,
    months: int = 3,
    margin_days: int = 14,
    steps: tuple[Step, ...] = STEPS,
    on_step: StepCallback | None = None,
    progress: Progress | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
) -> OnboardingResult:
    """All places through the steps (``steps`` may stop early, e.g. to publish before
    activating in a test). Stops at the first failed step of a place: its later steps need it.
    CeR being unreachable ends the run with a failed step carrying the ``CerError``."""
    run = _Run(repos, gateway, now=now or dt.datetime.now(dt.UTC), months=months,
               margin_days=margin_days, progress=progress, max_in_flight=max_in_flight)
    handlers = {Step.REGISTER: run.register, Step.MOBILE_POINTS: run.mobile_points,
                Step.SCHEDULES: run.schedules, Step.INITIAL_LOAD: run.initial_load,
                Step.PUBLISH: run.publish, Step.ACTIVATE: run.activate}
    result = OnboardingResult()
    for place in repos.practice.places():
        for step in steps:
            fresh = repos.practice.place(place.id or 0) or place  # earlier steps wrote to it
            try:
                outcome = handlers[step](fresh)
            except (CerError, DomainError) as error:
                outcome = run.result(fresh, step, StepStatus.FAILED, error=error,
                                     answer=getattr(error, "reason", "") or "")
            result.steps.append(outcome)
            if on_step:
                on_step(outcome)
            if outcome.status == StepStatus.FAILED:
                if isinstance(outcome.error, CerError) and not isinstance(outcome.error,
                                                                           CerRejected):
                    return result  # CeR unreachable or broken: the other places would fail too
                break
    return result
