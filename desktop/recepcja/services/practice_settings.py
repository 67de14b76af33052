"""The practice set-up as the settings area edits it: read what is stored as the same mapping a
practice file holds, save an edited mapping through the same validation and writing as
``recepcja setup --config FILE``, and export the stored practice as such a file.

The mapping read here carries the ``id`` of every stored entry, so an edit (a renamed doctor, a
renamed schedule) updates that entry instead of adding a new one; ``ids`` are dropped when the
practice is exported to a file, because they mean nothing in another database.

Only active resources and schedules are part of the mapping: saving makes every entry of the
mapping active, so an inactive one must not come back by being shown and saved.

``locks`` says which fields CeR already knows an entry by (a registered place's RPWDL codes,
an imported mobile point's code, a created schedule's place, resource, scope and mobile point),
so the settings area can show them read-only; ``apply_plan`` refuses such changes anyway.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.scopes import ScopeRegistry
from recepcja.services.practice_plan import Labels, parse_address, plan_from_dict
from recepcja.services.practice_setup import SetupResult, apply_plan
from recepcja.store.db import Database
from recepcja.store.practice import PracticeRepo
from recepcja.store.schedules import ScheduleRepo


@dataclass(slots=True)
class PracticeLocks:
    """Stored ids of entries whose identity CeR already knows."""

    places: set[int] = field(default_factory=set)  # RPWDL codes fixed
    points: set[int] = field(default_factory=set)  # code fixed
    schedules: set[int] = field(default_factory=set)  # created in CeR


@dataclass(slots=True)
class PracticeSnapshot:
    data: dict[str, Any]
    locks: PracticeLocks
    oid: tuple[str | None, str | None] = (None, None)


def _address(text: str | None) -> dict[str, str]:
    address = parse_address(text)
    if address is None:  # stored before addresses were structured: keep it editable
        return {"street": text or "", "postal_code": "", "city": ""}
    return {"street": address.street, "postal_code": address.postal_code, "city": address.city}


def read_practice(db: Database) -> PracticeSnapshot:
    """What is stored, as a practice mapping with ``id`` fields (``plan_from_dict`` reads it
    back with ``with_ids=True``)."""
    practice, schedules = PracticeRepo(db), ScheduleRepo(db)
    locks = PracticeLocks()
    provider = practice.provider()
    data: dict[str, Any] = {"provider": {"name": provider.name if provider else ""}}
    if provider is not None:
        data["provider"].update({k: v for k, v in (("nip", provider.nip),
                                                   ("regon", provider.regon)) if v})
    place_keys: dict[int, str] = {}
    point_codes: dict[int, str] = {}
    places = []
    for place in practice.places():
        assert place.id is not None
        place_keys[place.id] = key = f"place-{place.id}"
        if place.cer_registered_at is not None:
            locks.places.add(place.id)
        points = []
        for point in practice.mobile_points(place.id):
            assert point.id is not None
            if not point.active:
                continue
            point_codes[point.id] = point.code or ""
            if point.cer_imported_at is not None:
                locks.points.add(point.id)
            points.append({"id": point.id, "code": point.code or "", "name": point.name,
                           "address": _address(point.address)})
        places.append({"id": place.id, "key": key, "name": place.name,
                       "rpwdl": dict(place.rpwdl_codes), "address": _address(place.address),
                       "scopes": list(place.scopes), "mobile_points": points})
    data["places"] = places
    resource_keys: dict[int, str] = {}
    resources = []
    for resource in practice.resources(active_only=True):
        assert resource.id is not None
        resource_keys[resource.id] = key = f"resource-{resource.id}"
        entry: dict[str, Any] = {"id": resource.id, "key": key, "kind": str(resource.kind),
                                 "name": resource.name}
        if resource.licence_number:
            entry["licence_number"] = resource.licence_number
        resources.append(entry)
    data["resources"] = resources
    entries = []
    for schedule in schedules.list(active_only=True):
        assert schedule.id is not None
        if schedule.cer_id is not None:
            locks.schedules.add(schedule.id)
        entry = {"id": schedule.id, "name": schedule.name,
                 "place": place_keys.get(schedule.place_id, ""),
                 "resource": resource_keys.get(schedule.resource_id, ""),
                 "scope": schedule.scope_code, "rules": copy.deepcopy(schedule.template),
                 "exceptions": [{"first_day": e.first_day, "last_day": e.last_day,
                                 "reason": e.reason}
                                for e in schedules.exceptions(schedule.id)]}
        if schedule.mobile_point_id is not None:
            entry["mobile_point"] = point_codes.get(schedule.mobile_point_id, "")
        entries.append(entry)
    data["schedules"] = entries
    oid = (provider.oid_root, provider.oid_extension) if provider else (None, None)
    return PracticeSnapshot(data, locks, oid)


def save_practice(
    db: Database, data: Mapping[str, Any], user: str, *, oid: tuple[str | None, str | None],
    labels: Labels, scopes: ScopeRegistry | None = None,
) -> SetupResult:
    """Validate the edited mapping (``ValidationError`` naming the entry in ``labels``' words)
    and write it in one transaction (``ConflictError``: nothing written)."""
    plan = plan_from_dict(data, scopes, labels=labels, with_ids=True)
    return apply_plan(db, plan, user, oid=oid)


def without_ids(data: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping as a practice file holds it: no database ids, no empty optional lists."""
    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items()
                    if k != "id" and not (k in ("mobile_points", "exceptions") and not v)}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def export_practice(db: Database, path: Path, *, overwrite: bool = False) -> int:
    """Write the stored practice as a practice file ``recepcja setup --config`` reads back
    (an existing file only with ``overwrite``); returns the number of schedules written."""
    from recepcja.config.private_files import check_target, write_file

    target = check_target(path, overwrite=overwrite)
    data = without_ids(read_practice(db).data)
    if not data["places"]:
        raise ValidationError(N_("There is no practice to export yet."))
    header = ("# The practice as stored by Recepcja; `recepcja setup --config FILE` reads it "
              "back.\n# Fields: resources/practice.example.toml.\n\n")
    write_file(target, (header + tomli_w.dumps(data)).encode("utf-8"), overwrite=overwrite,
               checked=True)
    return len(data["schedules"])
