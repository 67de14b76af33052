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

Templates are stored as JSON rules (``template_from_rules``); ``rules_from_template`` reads
them back for slot generation.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from recepcja.cer.types import Address
from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.domain.model import ScheduleException, TermKind, WeeklyRule
from recepcja.domain.scopes import ScopeRegistry
from recepcja.domain.slots import validate_template
from recepcja.i18n import translate_error
from recepcja.store.db import atomic
from recepcja.store.logs import AuditLog
from recepcja.store.practice import PracticeRepo
from recepcja.store.records import MobilePoint, Place, Provider, Resource, ResourceKind, Schedule
from recepcja.store.schedules import ScheduleRepo

RPWDL_PATTERNS = {"part_i": re.compile(r"[0-9]{12}"), "part_v": re.compile(r"[0-9]{2}"),
                  "part_vii": re.compile(r"[0-9]{3}")}
POSTAL_CODE = re.compile(r"[0-9]{2}-[0-9]{3}")
IDENTIFIER = re.compile(r"[A-Za-z0-9_.:\-]{1,40}")  # CeR's Identyfikator, shorter
NPWZ = re.compile(r"[0-9]{7}")
_ADDRESS_TEXT = re.compile(r"^(?P<street>.+), (?P<postal>[0-9]{2}-[0-9]{3}) (?P<city>.+)$")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
WEEKDAYS = {name: index for index, names in enumerate((
    ("mon", "monday", "pn", "poniedzialek", "poniedziałek"),
    ("tue", "tuesday", "wt", "wtorek"),
    ("wed", "wednesday", "sr", "śr", "sroda", "środa"),
    ("thu", "thursday", "cz", "czwartek"),
    ("fri", "friday", "pt", "piatek", "piątek"),
    ("sat", "saturday", "sb", "sobota"),
    ("sun", "sunday", "nd", "niedziela"),
)) for name in names}

_TOP = frozenset({"provider", "places", "resources", "schedules"})
_PROVIDER = frozenset({"name", "nip", "regon"})
_PLACE = frozenset({"key", "name", "rpwdl", "address", "scopes", "mobile_points"})
_ADDRESS = frozenset({"street", "postal_code", "city"})
_POINT = frozenset({"code", "name", "address"})
_RESOURCE = frozenset({"key", "kind", "name", "licence_number"})
_SCHEDULE = frozenset({"name", "place", "resource", "scope", "mobile_point", "rules",
                       "exceptions"})
_RULE = frozenset({"weekday", "start", "end", "slot_minutes", "term_kind"})
_EXCEPTION = frozenset({"first_day", "last_day", "reason"})


# ----------------------------------------------------------------------------------------------
# The validated plan


@dataclass(frozen=True, slots=True)
class PointSpec:
    code: str
    name: str
    address: Address


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    key: str
    name: str
    rpwdl: dict[str, str]
    address: Address
    scopes: tuple[str, ...]
    mobile_points: tuple[PointSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    key: str
    kind: ResourceKind
    name: str
    licence_number: str | None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    name: str
    place: str
    resource: str
    scope: str
    mobile_point: str | None
    rules: tuple[WeeklyRule, ...]
    exceptions: tuple[ScheduleException, ...]


@dataclass(frozen=True, slots=True)
class PracticePlan:
    provider: Provider
    places: tuple[PlaceSpec, ...]
    resources: tuple[ResourceSpec, ...]
    schedules: tuple[ScheduleSpec, ...]


@dataclass(slots=True)
class SetupResult:
    """What a set-up run did: ``changes`` are (kind, name, "created"|"updated") lines."""

    changes: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# ----------------------------------------------------------------------------------------------
# Helpers other services share


def format_address(address: Address) -> str:
    """The stored text form of an address: ``street, 00-000 City`` (read by ``parse_address``)."""
    return f"{address.street}, {address.postal_code} {address.city}"


def parse_address(text: str | None) -> Address | None:
    match = _ADDRESS_TEXT.match(text or "")
    if match is None:
        return None
    return Address(match["street"], match["postal"], match["city"])


def template_from_rules(rules: Sequence[WeeklyRule]) -> list[dict[str, Any]]:
    return [
        {"weekday": r.weekday, "start": r.start.strftime("%H:%M"), "end": r.end.strftime("%H:%M"),
         "slot_minutes": r.slot_minutes, "term_kind": str(TermKind(r.term_kind))}
        for r in sorted(rules, key=lambda rule: (rule.weekday, rule.start))
    ]


def rules_from_template(template: Sequence[Mapping[str, Any]]) -> list[WeeklyRule]:
    return [
        WeeklyRule(
            weekday=int(rule["weekday"]),
            start=dt.time.fromisoformat(str(rule["start"])),
            end=dt.time.fromisoformat(str(rule["end"])),
            slot_minutes=int(rule["slot_minutes"]),
            term_kind=TermKind(rule.get("term_kind", TermKind.DEFAULT_PROCEDURE)),
        )
        for rule in template
    ]


# ----------------------------------------------------------------------------------------------
# Reading and validating


def _fail(where: str, message: str, **params: object) -> ValidationError:
    return ValidationError(message, where=where, **params)


def _table(value: object, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, N_("{where}: expected a table of fields."))
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(where, N_("{where}: unknown fields {fields} (known: {known})."),
                    fields=", ".join(unknown), known=", ".join(sorted(allowed)))
    return value


def _text(table: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = table.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(where, N_("{where}: the field {field} is required."), field=name)
        return None
    if not isinstance(value, str):
        raise _fail(where, N_("{where}: the field {field} must be text."), field=name)
    return " ".join(value.split())


def _list(table: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = table.get(name, [])
    if not isinstance(value, list):
        raise _fail(where, N_("{where}: the field {field} must be a list."), field=name)
    return value


def _address(value: object, where: str) -> Address:
    table = _table(value, f"{where}.address", _ADDRESS)
    street = _text(table, "street", f"{where}.address")
    postal = _text(table, "postal_code", f"{where}.address")
    city = _text(table, "city", f"{where}.address")
    assert street and postal and city
    if not POSTAL_CODE.fullmatch(postal):
        raise _fail(where, N_("{where}: the postal code \"{value}\" is not of the form 00-000."),
                    value=postal)
    return Address(street, postal, city)


def _place(value: object, index: int, scopes: ScopeRegistry) -> PlaceSpec:
    where = f"[[places]] no. {index}"
    table = _table(value, where, _PLACE)
    name = _text(table, "name", where)
    where = f"[[places]] \"{name}\""
    key = _text(table, "key", where)
    assert key and name
    rpwdl_table = _table(table.get("rpwdl", {}), f"{where}.rpwdl", frozenset(RPWDL_PATTERNS))
    rpwdl: dict[str, str] = {}
    for part, pattern in RPWDL_PATTERNS.items():
        raw = rpwdl_table.get(part)
        code = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        if not pattern.fullmatch(code):
            raise _fail(where, N_("{where}: the RPWDL code {part} \"{value}\" is malformed "
                                  "(part I has 12 digits, part V 2 digits, part VII 3 digits)."),
                        part=part, value=raw if raw is not None else "")
        rpwdl[part] = code
    place_scopes = _list(table, "scopes", where)
    if not place_scopes:
        raise _fail(where, N_("{where}: a place needs at least one scope (known: {known})."),
                    known=", ".join(scopes.codes()))
    codes = tuple(dict.fromkeys(_scope(scope, where, scopes) for scope in place_scopes))
    points = []
    for number, raw_point in enumerate(_list(table, "mobile_points", where), 1):
        point_where = f"{where} mobile point no. {number}"
        point = _table(raw_point, point_where, _POINT)
        code = _text(point, "code", point_where)
        assert code
        if not IDENTIFIER.fullmatch(code):
            raise _fail(point_where, N_("{where}: the code \"{value}\" may hold only letters, "
                                        "digits and _ . : - (at most 40)."), value=code)
        point_name = _text(point, "name", point_where)
        assert point_name
        points.append(PointSpec(code, point_name, _address(point.get("address"), point_where)))
    if points and not any(scopes.get(code).mobile_points_allowed for code in codes):
        raise _fail(where, N_("{where}: mobile points need a scope that allows them "
                              "(mammography, HPV HR)."))
    _unique([p.code for p in points], where, N_("{where}: the mobile point code \"{value}\" is "
                                                "used twice."))
    return PlaceSpec(key, name, rpwdl, _address(table.get("address"), where), codes, tuple(points))


def _scope(value: object, where: str, scopes: ScopeRegistry) -> str:
    if not isinstance(value, str):
        raise _fail(where, N_("{where}: a scope must be text (found: {value})."), value=value)
    try:
        return scopes.get(value).code
    except ValidationError:
        raise _fail(where, N_("{where}: unknown scope \"{value}\" (known: {known})."),
                    value=value, known=", ".join(scopes.codes())) from None


def _resource(value: object, index: int) -> ResourceSpec:
    where = f"[[resources]] no. {index}"
    table = _table(value, where, _RESOURCE)
    name = _text(table, "name", where)
    where = f"[[resources]] \"{name}\""
    key = _text(table, "key", where)
    kind_text = _text(table, "kind", where)
    assert key and name and kind_text
    try:
        kind = ResourceKind(kind_text)
    except ValueError:
        raise _fail(where, N_("{where}: unknown kind \"{value}\" (known: {known})."),
                    value=kind_text, known=", ".join(k.value for k in ResourceKind)) from None
    licence = _text(table, "licence_number", where, required=False)
    if licence is not None and not NPWZ.fullmatch(licence):
        raise _fail(where, N_("{where}: the licence number (NPWZ) \"{value}\" must have 7 "
                              "digits."), value=licence)
    return ResourceSpec(key, kind, name, licence)


def _time(value: object, where: str, name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _fail(where, N_("{where}: {field} must be a time HH:MM (found: {value})."),
                    field=name, value=value)
    return dt.time(int(match[1]), int(match[2]))


def _day(value: object, where: str, name: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(where, N_("{where}: {field} must be a date YYYY-MM-DD (found: {value})."),
                    field=name, value=value) from None


def _rule(value: object, where: str) -> WeeklyRule:
    table = _table(value, where, _RULE)
    weekday = table.get("weekday")
    if isinstance(weekday, str):
        weekday = WEEKDAYS.get(weekday.strip().lower(), weekday)
    kind = table.get("term_kind", str(TermKind.DEFAULT_PROCEDURE))
    if kind not in {k.value for k in TermKind}:
        raise _fail(where, N_("{where}: unknown kind of term \"{value}\" (known: {known})."),
                    value=kind, known=", ".join(k.value for k in TermKind))
    return WeeklyRule(
        weekday=weekday,  # type: ignore[arg-type] # checked by validate_template
        start=_time(table.get("start"), where, "start"),
        end=_time(table.get("end"), where, "end"),
        slot_minutes=table.get("slot_minutes"),  # type: ignore[arg-type]
        term_kind=TermKind(kind),
    )


def _schedule(value: object, index: int, scopes: ScopeRegistry) -> ScheduleSpec:
    where = f"[[schedules]] no. {index}"
    table = _table(value, where, _SCHEDULE)
    name = _text(table, "name", where)
    where = f"[[schedules]] \"{name}\""
    place = _text(table, "place", where)
    resource = _text(table, "resource", where)
    assert name and place and resource
    scope = _scope(table.get("scope"), where, scopes)
    rules = tuple(_rule(rule, f"{where} rule no. {n}")
                  for n, rule in enumerate(_list(table, "rules", where), 1))
    if not rules:
        raise _fail(where, N_("{where}: a schedule needs at least one weekly rule."))
    try:
        validate_template(rules)
    except ValidationError as error:
        raise _fail(where, N_("{where}: {problem}"), problem=translate_error(error)) from None
    exceptions = []
    for n, raw in enumerate(_list(table, "exceptions", where), 1):
        ex_where = f"{where} exception no. {n}"
        ex = _table(raw, ex_where, _EXCEPTION)
        first = _day(ex.get("first_day"), ex_where, "first_day")
        last = _day(ex.get("last_day", ex.get("first_day")), ex_where, "last_day")
        if last < first:
            raise _fail(ex_where, N_("{where}: last_day is before first_day."))
        exceptions.append(ScheduleException(first, last, _text(ex, "reason", ex_where,
                                                               required=False) or ""))
    return ScheduleSpec(name, place, resource, scope,
                        _text(table, "mobile_point", where, required=False), rules,
                        tuple(exceptions))


def _unique(values: Sequence[str], where: str, message: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise _fail(where, message, value=value)
        seen.add(value)


def plan_from_dict(data: Mapping[str, Any], scopes: ScopeRegistry | None = None) -> PracticePlan:
    """A validated plan from parsed TOML; ``ValidationError`` names the first problem."""
    scopes = scopes or ScopeRegistry.default()
    top = _table(data, "file", _TOP)
    provider_table = _table(top.get("provider"), "[provider]", _PROVIDER)
    provider_name = _text(provider_table, "name", "[provider]")
    assert provider_name
    nip = _text(provider_table, "nip", "[provider]", required=False)
    regon = _text(provider_table, "regon", "[provider]", required=False)
    if nip is not None and not re.fullmatch(r"[0-9]{10}", nip.replace("-", "")):
        raise _fail("[provider]", N_("{where}: NIP must have 10 digits (found: {value})."),
                    value=nip)
    if regon is not None and not re.fullmatch(r"[0-9]{9}|[0-9]{14}", regon):
        raise _fail("[provider]", N_("{where}: REGON must have 9 or 14 digits (found: {value})."),
                    value=regon)
    places = tuple(_place(p, n, scopes) for n, p in enumerate(_list(top, "places", "file"), 1))
    if not places:
        raise _fail("file", N_("{where}: the practice has no [[places]]."))
    resources = tuple(_resource(r, n) for n, r in enumerate(_list(top, "resources", "file"), 1))
    schedules = tuple(_schedule(s, n, scopes)
                      for n, s in enumerate(_list(top, "schedules", "file"), 1))
    _unique([p.key for p in places], "[[places]]", N_("{where}: the key \"{value}\" is used "
                                                      "twice."))
    _unique(["/".join(p.rpwdl.values()) for p in places], "[[places]]",
            N_("{where}: the RPWDL codes {value} are used twice."))
    _unique([r.key for r in resources], "[[resources]]", N_("{where}: the key \"{value}\" is "
                                                            "used twice."))
    _unique([f"{r.kind}/{r.name}" for r in resources], "[[resources]]",
            N_("{where}: the resource {value} is described twice."))
    _unique([s.name for s in schedules], "[[schedules]]", N_("{where}: the name \"{value}\" is "
                                                             "used twice."))
    by_place = {p.key: p for p in places}
    resource_keys = {r.key for r in resources}
    for schedule in schedules:
        where = f"[[schedules]] \"{schedule.name}\""
        place = by_place.get(schedule.place)
        if place is None:
            raise _fail(where, N_("{where}: no place with key \"{value}\" (known: {known})."),
                        value=schedule.place, known=", ".join(by_place))
        if schedule.resource not in resource_keys:
            raise _fail(where, N_("{where}: no resource with key \"{value}\" (known: {known})."),
                        value=schedule.resource, known=", ".join(sorted(resource_keys)))
        if schedule.scope not in place.scopes:
            raise _fail(where, N_("{where}: the place \"{place}\" does not offer the scope "
                                  "\"{value}\" (its scopes: {known})."),
                        place=place.name, value=schedule.scope, known=", ".join(place.scopes))
        if schedule.mobile_point is not None:
            if schedule.mobile_point not in {p.code for p in place.mobile_points}:
                raise _fail(where, N_("{where}: the place \"{place}\" has no mobile point "
                                      "\"{value}\"."), place=place.name,
                            value=schedule.mobile_point)
            if not scopes.get(schedule.scope).mobile_points_allowed:
                raise _fail(where, N_("{where}: the scope \"{value}\" cannot use mobile "
                                      "points."), value=schedule.scope)
    provider = Provider(provider_name, nip, regon)
    return PracticePlan(provider, places, resources, schedules)


def load_plan(path: Path, scopes: ScopeRegistry | None = None) -> PracticePlan:
    """Read and validate a practice file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(N_("The practice file {path} does not exist."),
                              path=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValidationError(N_("The practice file {path} is not valid TOML: {error}"),
                              path=str(path), error=str(error)) from None
    return plan_from_dict(data, scopes)


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
    for place in practice.places():
        if place.rpwdl_codes == spec.rpwdl:
            assert place.id is not None
            if (place.name, place.address, place.scopes) != (wanted.name, wanted.address,
                                                            wanted.scopes):
                wanted.id = place.id
                practice.update_place(wanted)
                result.changes.append(("place", spec.name, "updated"))
            else:
                result.unchanged += 1
            return place.id
    result.changes.append(("place", spec.name, "created"))
    return practice.add_place(wanted)


def _apply_point(practice: PracticeRepo, place_id: int, spec: PointSpec,
                 result: SetupResult) -> int:
    address = format_address(spec.address)
    for point in practice.mobile_points(place_id):
        if point.code == spec.code:
            assert point.id is not None
            if (point.name, point.address, point.active) != (spec.name, address, True):
                point.name, point.address, point.active = spec.name, address, True
                practice.update_mobile_point(point)
                result.changes.append(("mobile point", spec.code, "updated"))
            else:
                result.unchanged += 1
            return point.id
    result.changes.append(("mobile point", spec.code, "created"))
    return practice.add_mobile_point(MobilePoint(place_id, spec.name, spec.code, address))


def _apply_resource(practice: PracticeRepo, spec: ResourceSpec, result: SetupResult) -> int:
    for resource in practice.resources(spec.kind):
        if resource.name == spec.name:
            assert resource.id is not None
            if (resource.licence_number, resource.active) != (spec.licence_number, True):
                resource.licence_number, resource.active = spec.licence_number, True
                practice.update_resource(resource)
                result.changes.append(("resource", spec.name, "updated"))
            else:
                result.unchanged += 1
            return resource.id
    result.changes.append(("resource", spec.name, "created"))
    return practice.add_resource(Resource(spec.kind, spec.name, spec.licence_number))


def _apply_schedule(
    schedules: ScheduleRepo, spec: ScheduleSpec, *, place_id: int, resource_id: int,
    point_id: int | None, user: str, result: SetupResult,
) -> None:
    template = template_from_rules(spec.rules)
    existing = next((s for s in schedules.list(active_only=False) if s.name == spec.name), None)
    if existing is None:
        schedule_id = schedules.add(Schedule(resource_id, place_id, spec.scope, spec.name,
                                             template, mobile_point_id=point_id))
        result.changes.append(("schedule", spec.name, "created"))
    else:
        assert existing.id is not None
        schedule_id = existing.id
        identity = (existing.place_id, existing.resource_id, existing.scope_code,
                    existing.mobile_point_id)
        if identity != (place_id, resource_id, spec.scope, point_id):
            raise ConflictError(
                N_("[[schedules]] \"{name}\": its place, resource, scope or mobile point cannot "
                   "change (CeR knows the schedule by them); describe a new schedule instead."),
                name=spec.name,
            )
        changed = False
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

