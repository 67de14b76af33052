"""Practice set-up from a TOML file: provider, places, mobile points, resources, schedules.

Why a file: an administrator describes the practice once (``resources/practice.example.toml``
shows every field), keeps the file, and re-runs ``recepcja setup --config FILE`` after a change.
So the set-up is:

- validated completely before anything is written (unknown fields, unknown scopes, malformed
  RPWDL codes, templates overlapping themselves ...): the first problem comes back as one
  ``ValidationError`` naming the table and the entry, and the database is untouched;
- written in ONE transaction;
- idempotent: entries are matched with what is stored (places by their RPWDL codes, resources
  by kind and name, mobile points by place and code, schedules by name); the same file changes
  nothing, a changed template or address updates the stored entry. What CeR already knows about
  a schedule (its place, resource, scope, mobile point) cannot be changed here: a new schedule
  is the way, and the message says so.

Entries of a plan built by the settings area carry the id of the stored record they edit
(``stored_id``) and are matched by it instead: a renamed doctor stays the same resource, a
renamed schedule the same schedule. What CeR knows an entry by still cannot change: the RPWDL
codes of a registered place, the code of an imported mobile point, the place, resource, scope
or mobile point of a schedule created in CeR (``ConflictError``, nothing written); before
that, they are corrections.

Reading and validating the description is ``practice_plan``; its names are re-exported here
for the callers that only set a practice up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.scopes import ScopeRegistry
from recepcja.services.practice_plan import (
    Labels,
    PlaceSpec,
    PointSpec,
    PracticePlan,
    ResourceSpec,
    ScheduleSpec,
    format_address,
    load_plan,
    parse_address,
    plan_from_dict,
    rules_from_template,
    template_from_rules,
)
from recepcja.store.db import Database, atomic
from recepcja.store.logs import AuditLog
from recepcja.store.practice import PracticeRepo
from recepcja.store.records import MobilePoint, Place, Provider, Resource, Schedule
from recepcja.store.schedules import ScheduleRepo

__all__ = [
    "Labels", "PracticePlan", "SetupResult", "apply_plan", "format_address", "load_plan",
    "parse_address", "plan_from_dict", "rules_from_template", "setup_practice",
    "template_from_rules",
]

_T = TypeVar("_T")


@dataclass(slots=True)
class SetupResult:
    """What a set-up run did: ``changes`` are (kind, name, "created"|"updated") lines."""

    changes: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.changes)

# ----------------------------------------------------------------------------------------------
# Writing


def apply_plan(
    db: Database, plan: PracticePlan, user: str, *, oid: tuple[str | None, str | None] = (None,
                                                                                         None)
) -> SetupResult:
    """Write the plan in one transaction, matching what is stored; returns what changed.
    ``ConflictError`` (nothing written) when a schedule CeR knows would change its identity."""
    practice, schedules = PracticeRepo(db), ScheduleRepo(db)
    result = SetupResult()
    with atomic(db):
        provider = Provider(plan.provider.name, plan.provider.nip, plan.provider.regon, *oid)
        if practice.provider() != provider:
            practice.save_provider(provider)
            result.changes.append(("provider", provider.name, "saved"))
        else:
            result.unchanged += 1
        place_ids = {spec.key: _apply_place(practice, spec, result) for spec in plan.places}
        point_ids = {
            (spec.key, point.code): _apply_point(practice, place_ids[spec.key], point, result)
            for spec in plan.places for point in spec.mobile_points
        }
        resource_ids = {spec.key: _apply_resource(practice, spec, result)
                        for spec in plan.resources}
        for spec in plan.schedules:
            _apply_schedule(schedules, spec, place_id=place_ids[spec.place],
                            resource_id=resource_ids[spec.resource],
                            point_id=point_ids.get((spec.place, spec.mobile_point or "")),
                            user=user, result=result)
        if result.changed:
            AuditLog(db).record(user, "practice.setup",
                                detail=f"{len(result.changes)} changes")
    return result


def _apply_place(practice: PracticeRepo, spec: PlaceSpec, result: SetupResult) -> int:
    wanted = Place(spec.name, dict(spec.rpwdl), format_address(spec.address), list(spec.scopes))
    place: Place | None
    if spec.stored_id is not None:
        place = _stored(practice.place(spec.stored_id), spec.name)
        if place.cer_registered_at is not None and place.rpwdl_codes != spec.rpwdl:
            raise ConflictError(N_("The place \"{name}\" is registered in CeR: its RPWDL codes "
                                   "cannot change; add a new place instead."), name=spec.name)
    else:
        place = next((p for p in practice.places() if p.rpwdl_codes == spec.rpwdl), None)
    if place is None:
        result.changes.append(("place", spec.name, "created"))
        return practice.add_place(wanted)
    assert place.id is not None
    if (place.name, place.rpwdl_codes, place.address, place.scopes) != (
            wanted.name, wanted.rpwdl_codes, wanted.address, wanted.scopes):
        wanted.id = place.id
        practice.update_place(wanted)
        result.changes.append(("place", spec.name, "updated"))
    else:
        result.unchanged += 1
    return place.id


def _apply_point(practice: PracticeRepo, place_id: int, spec: PointSpec,
                 result: SetupResult) -> int:
    address = format_address(spec.address)
    if spec.stored_id is not None:
        point = next((p for p in practice.mobile_points(place_id) if p.id == spec.stored_id),
                     None)
        point = _stored(point, spec.name)
        if point.cer_imported_at is not None and point.code != spec.code:
            raise ConflictError(N_("The mobile point \"{name}\" is known to CeR: its code "
                                   "cannot change; add a new mobile point instead."),
                                name=spec.name)
    else:
        point = next((p for p in practice.mobile_points(place_id) if p.code == spec.code), None)
    if point is None:
        result.changes.append(("mobile point", spec.code, "created"))
        return practice.add_mobile_point(MobilePoint(place_id, spec.name, spec.code, address))
    assert point.id is not None
    if (point.name, point.code, point.address, point.active) != (spec.name, spec.code, address,
                                                                  True):
        point.name, point.code, point.address, point.active = spec.name, spec.code, address, True
        practice.update_mobile_point(point)
        result.changes.append(("mobile point", spec.code, "updated"))
    else:
        result.unchanged += 1
    return point.id


def _apply_resource(practice: PracticeRepo, spec: ResourceSpec, result: SetupResult) -> int:
    resource: Resource | None
    if spec.stored_id is not None:
        resource = _stored(practice.resource(spec.stored_id), spec.name)
        if resource.kind != spec.kind:
            raise ConflictError(N_("The resource \"{name}\" cannot change its kind; add a new "
                                   "resource instead."), name=spec.name)
    else:
        resource = next((r for r in practice.resources(spec.kind) if r.name == spec.name), None)
    if resource is None:
        result.changes.append(("resource", spec.name, "created"))
        return practice.add_resource(Resource(spec.kind, spec.name, spec.licence_number))
    assert resource.id is not None
    if (resource.name, resource.licence_number, resource.active) != (
            spec.name, spec.licence_number, True):
        resource.name, resource.licence_number, resource.active = (spec.name,
                                                                   spec.licence_number, True)
        practice.update_resource(resource)
        result.changes.append(("resource", spec.name, "updated"))
    else:
        result.unchanged += 1
    return resource.id


def _stored(record: _T | None, name: str) -> _T:
    if record is None:
        raise ConflictError(N_("\"{name}\" was removed from the database meanwhile; close the "
                               "settings and open them again."), name=name)
    return record


def _apply_schedule(
    schedules: ScheduleRepo, spec: ScheduleSpec, *, place_id: int, resource_id: int,
    point_id: int | None, user: str, result: SetupResult,
) -> None:
    template = template_from_rules(spec.rules)
    if spec.stored_id is not None:
        existing: Schedule | None = _stored(schedules.get(spec.stored_id), spec.name)
    else:
        existing = next((s for s in schedules.list(active_only=False) if s.name == spec.name),
                        None)
    if existing is None:
        schedule_id = schedules.add(Schedule(resource_id, place_id, spec.scope, spec.name,
                                             template, mobile_point_id=point_id))
        result.changes.append(("schedule", spec.name, "created"))
    else:
        assert existing.id is not None
        schedule_id = existing.id
        identity = (existing.place_id, existing.resource_id, existing.scope_code,
                    existing.mobile_point_id)
        changed = False
        if identity != (place_id, resource_id, spec.scope, point_id):
            if existing.cer_id is not None:
                raise ConflictError(
                    N_("The schedule \"{name}\": its place, resource, scope or mobile point "
                       "cannot change (CeR knows the schedule by them); describe a new schedule "
                       "instead."),
                    name=spec.name,
                )
            # Not in CeR yet: a correction (the wrong doctor picked), not a new schedule.
            schedules.set_identity(schedule_id, place_id=place_id, resource_id=resource_id,
                                   scope_code=spec.scope, mobile_point_id=point_id)
            changed = True
        if existing.name != spec.name:
            schedules.rename(schedule_id, spec.name)
            changed = True
        if existing.template != template:
            schedules.set_template(schedule_id, template)
            changed = True
        if not existing.active:
            schedules.set_active(schedule_id, True)
            changed = True
        if changed:
            result.changes.append(("schedule", spec.name, "updated"))
        else:
            result.unchanged += 1
    stored = {(e.first_day, e.last_day, e.reason) for e in schedules.exceptions(schedule_id)}
    for exception in spec.exceptions:
        if (exception.first_day, exception.last_day, exception.reason) not in stored:
            schedules.add_exception(schedule_id, exception, user)
            result.changes.append(("exception", f"{spec.name} {exception.first_day}", "created"))


def setup_practice(
    db: Database, path: Path, user: str, *, oid: tuple[str | None, str | None] = (None, None),
    scopes: ScopeRegistry | None = None,
) -> SetupResult:
    """``recepcja setup --config FILE``: validate the file, then write it in one transaction."""
    return apply_plan(db, load_plan(path, scopes), user, oid=oid)

