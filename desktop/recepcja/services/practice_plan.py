"""The practice description: reading and validating it, without touching the database.

A practice is described as a TOML-shaped mapping (``resources/practice.example.toml`` shows
every field): provider, places with their mobile points, resources and schedules. The same
mapping comes from a file (``recepcja setup --config FILE``) or from the settings area of the
window (``gui/settings``), so both get exactly the same checks: unknown fields, unknown scopes,
malformed RPWDL codes, templates overlapping themselves ... The first problem comes back as one
``ValidationError`` naming the entry (``where``) in the words of its caller (``Labels``).

Entries may carry the database ``id`` they edit when the caller asks for it (``with_ids``): the
settings area edits stored records in place (a renamed doctor stays the same resource), while a
file is matched by content (see ``practice_setup.apply_plan``).

Templates are stored as JSON rules (``template_from_rules``); ``rules_from_template`` reads
them back for slot generation.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from stdnum.pl import nip as stdnum_nip
from stdnum.pl import regon as stdnum_regon

from recepcja.cer.types import Address
from recepcja.config.toml_errors import toml_problem
from recepcja.domain.entities import ScheduleException, WeeklyRule
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import ResourceKind, TermKind
from recepcja.domain.scopes import ScopeRegistry
from recepcja.domain.slots import WEEKDAY_NAMES, shared_hours, validate_template
from recepcja.i18n import translate_error
from recepcja.store.records import Provider

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
_ID = frozenset({"id"})


class Labels(NamedTuple):
    """How an error names the entry it is about (``where``). The defaults are the file's own
    section names; the settings area passes the words on its tabs."""

    file: str = "file"
    provider: str = "[provider]"
    places: str = "[[places]]"
    resources: str = "[[resources]]"
    schedules: str = "[[schedules]]"
    number: str = "no. {number}"
    point: str = "mobile point no. {number}"
    rule: str = "rule no. {number}"
    exception: str = "exception no. {number}"
    named: str = '{section} "{name}"'
    address: str = "{where}.address"
    rpwdl: str = "{where}.rpwdl"


TOML_LABELS = Labels()


# ----------------------------------------------------------------------------------------------
# The validated plan


@dataclass(frozen=True, slots=True)
class PointSpec:
    code: str
    name: str
    address: Address
    stored_id: int | None = None  # the mobile point this entry edits (settings area only)


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    key: str
    name: str
    rpwdl: dict[str, str]
    address: Address
    scopes: tuple[str, ...]
    mobile_points: tuple[PointSpec, ...] = ()
    stored_id: int | None = None


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    key: str
    kind: ResourceKind
    name: str
    licence_number: str | None
    stored_id: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    name: str
    place: str
    resource: str
    scope: str
    mobile_point: str | None
    rules: tuple[WeeklyRule, ...]
    exceptions: tuple[ScheduleException, ...]
    stored_id: int | None = None


@dataclass(frozen=True, slots=True)
class PracticePlan:
    provider: Provider
    places: tuple[PlaceSpec, ...]
    resources: tuple[ResourceSpec, ...]
    schedules: tuple[ScheduleSpec, ...]



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


@dataclass(frozen=True, slots=True)
class _Reading:
    scopes: ScopeRegistry
    labels: Labels
    with_ids: bool

    def allowed(self, fields: frozenset[str]) -> frozenset[str]:
        return fields | _ID if self.with_ids else fields

    def stored_id(self, table: Mapping[str, Any], where: str) -> int | None:
        value = table.get("id")
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _fail(where, N_("{where}: the field {field} must be a whole number."),
                        field="id")
        return value

    def numbered(self, section: str, index: int) -> str:
        return f"{section} {self.labels.number.format(number=index)}"

    def named(self, section: str, name: object) -> str:
        return self.labels.named.format(section=section, name=name)


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


def _address(value: object, where: str, labels: Labels) -> Address:
    inner = labels.address.format(where=where)
    table = _table(value, inner, _ADDRESS)
    street = _text(table, "street", inner)
    postal = _text(table, "postal_code", inner)
    city = _text(table, "city", inner)
    assert street and postal and city
    if not POSTAL_CODE.fullmatch(postal):
        raise _fail(where, N_("{where}: the postal code \"{value}\" is not of the form 00-000."),
                    value=postal)
    return Address(street, postal, city)


def _place(value: object, index: int, reading: _Reading) -> PlaceSpec:
    scopes, section = reading.scopes, reading.labels.places
    where = reading.numbered(section, index)
    table = _table(value, where, reading.allowed(_PLACE))
    name = _text(table, "name", where)
    where = reading.named(section, name)
    key = _text(table, "key", where)
    assert key and name
    rpwdl_table = _table(table.get("rpwdl", {}), reading.labels.rpwdl.format(where=where),
                         frozenset(RPWDL_PATTERNS))
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
        point_where = f"{where} {reading.labels.point.format(number=number)}"
        point = _table(raw_point, point_where, reading.allowed(_POINT))
        point_code = _text(point, "code", point_where)
        assert point_code
        if not IDENTIFIER.fullmatch(point_code):
            raise _fail(point_where, N_("{where}: the code \"{value}\" may hold only letters, "
                                        "digits and _ . : - (at most 40)."), value=point_code)
        point_name = _text(point, "name", point_where)
        assert point_name
        address = _address(point.get("address"), point_where, reading.labels)
        points.append(PointSpec(point_code, point_name, address,
                                reading.stored_id(point, point_where)))
    if points and not any(scopes.get(code).mobile_points_allowed for code in codes):
        raise _fail(where, N_("{where}: mobile points need a scope that allows them "
                              "(mammography, HPV HR)."))
    _unique([p.code for p in points], where, N_("{where}: the mobile point code \"{value}\" is "
                                                "used twice."))
    return PlaceSpec(key, name, rpwdl, _address(table.get("address"), where, reading.labels),
                     codes, tuple(points), reading.stored_id(table, where))


def _scope(value: object, where: str, scopes: ScopeRegistry) -> str:
    if not isinstance(value, str):
        raise _fail(where, N_("{where}: a scope must be text (found: {value})."), value=value)
    try:
        return scopes.get(value).code
    except ValidationError:
        raise _fail(where, N_("{where}: unknown scope \"{value}\" (known: {known})."),
                    value=value, known=", ".join(scopes.codes())) from None


def _resource(value: object, index: int, reading: _Reading) -> ResourceSpec:
    section = reading.labels.resources
    where = reading.numbered(section, index)
    table = _table(value, where, reading.allowed(_RESOURCE))
    name = _text(table, "name", where)
    where = reading.named(section, name)
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
    return ResourceSpec(key, kind, name, licence, reading.stored_id(table, where))


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


def _schedule(value: object, index: int, reading: _Reading) -> ScheduleSpec:
    scopes, labels = reading.scopes, reading.labels
    where = reading.numbered(labels.schedules, index)
    table = _table(value, where, reading.allowed(_SCHEDULE))
    name = _text(table, "name", where)
    where = reading.named(labels.schedules, name)
    place = _text(table, "place", where)
    resource = _text(table, "resource", where)
    assert name and place and resource
    scope = _scope(table.get("scope"), where, scopes)
    rules = tuple(_rule(rule, f"{where} {labels.rule.format(number=n)}")
                  for n, rule in enumerate(_list(table, "rules", where), 1))
    if not rules:
        raise _fail(where, N_("{where}: a schedule needs at least one weekly rule."))
    try:
        validate_template(rules)
    except ValidationError as error:
        raise _fail(where, N_("{where}: {problem}"), problem=translate_error(error)) from None
    exceptions = []
    for n, raw in enumerate(_list(table, "exceptions", where), 1):
        ex_where = f"{where} {labels.exception.format(number=n)}"
        ex = _table(raw, ex_where, _EXCEPTION)
        first = _day(ex.get("first_day"), ex_where, "first_day")
        last = _day(ex.get("last_day", ex.get("first_day")), ex_where, "last_day")
        if last < first:
            raise _fail(ex_where, N_("{where}: last_day is before first_day."))
        exceptions.append(ScheduleException(first, last, _text(ex, "reason", ex_where,
                                                               required=False) or ""))
    return ScheduleSpec(name, place, resource, scope,
                        _text(table, "mobile_point", where, required=False), rules,
                        tuple(exceptions), reading.stored_id(table, where))


def _unique(values: Sequence[str], where: str, message: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise _fail(where, message, value=value)
        seen.add(value)


def plan_from_dict(
    data: Mapping[str, Any], scopes: ScopeRegistry | None = None, *,
    labels: Labels = TOML_LABELS, with_ids: bool = False,
) -> PracticePlan:
    """A validated plan from parsed TOML (or the settings area's mapping); ``ValidationError``
    names the first problem. ``with_ids`` accepts an ``id`` field naming the stored entry an
    entry edits (never from a file: ids mean nothing in another database)."""
    reading = _Reading(scopes or ScopeRegistry.default(), labels, with_ids)
    scopes = reading.scopes
    top = _table(data, labels.file, _TOP)
    provider_where = labels.provider
    provider_table = _table(top.get("provider"), provider_where, _PROVIDER)
    provider_name = _text(provider_table, "name", provider_where)
    assert provider_name
    nip = _text(provider_table, "nip", provider_where, required=False)
    regon = _text(provider_table, "regon", provider_where, required=False)
    if nip is not None and not re.fullmatch(r"[0-9]{10}", nip.replace("-", "")):
        raise _fail(provider_where, N_("{where}: NIP must have 10 digits (found: {value})."),
                    value=nip)
    if nip is not None and not stdnum_nip.is_valid(nip):
        raise _fail(provider_where, N_("{where}: NIP {value} has a wrong check digit (a typo?)."),
                    value=nip)
    if regon is not None and not re.fullmatch(r"[0-9]{9}|[0-9]{14}", regon):
        raise _fail(provider_where,
                    N_("{where}: REGON must have 9 or 14 digits (found: {value})."), value=regon)
    if regon is not None and not stdnum_regon.is_valid(regon):
        raise _fail(provider_where,
                    N_("{where}: REGON {value} has a wrong check digit (a typo?)."), value=regon)
    places = tuple(_place(p, n, reading)
                   for n, p in enumerate(_list(top, "places", labels.file), 1))
    if not places:
        raise _fail(labels.places, N_("{where}: the practice has no places of service."))
    resources = tuple(_resource(r, n, reading)
                      for n, r in enumerate(_list(top, "resources", labels.file), 1))
    schedules = tuple(_schedule(s, n, reading)
                      for n, s in enumerate(_list(top, "schedules", labels.file), 1))
    _unique([p.key for p in places], labels.places,
            N_("{where}: the key \"{value}\" is used twice."))
    _unique(["/".join(p.rpwdl.values()) for p in places], labels.places,
            N_("{where}: the RPWDL codes {value} are used twice."))
    _unique([r.key for r in resources], labels.resources,
            N_("{where}: the key \"{value}\" is used twice."))
    described: set[tuple[str, str]] = set()
    for resource in resources:
        if (resource.kind, resource.name) in described:
            raise _fail(reading.named(labels.resources, resource.name),
                        N_("{where}: this resource is described twice."))
        described.add((resource.kind, resource.name))
    _unique([s.name for s in schedules], labels.schedules,
            N_("{where}: the name \"{value}\" is used twice."))
    by_place = {p.key: p for p in places}
    resource_keys = {r.key for r in resources}
    for schedule in schedules:
        where = reading.named(labels.schedules, schedule.name)
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
    _one_resource_one_place_at_a_time(schedules, {r.key: r.name for r in resources}, reading)
    provider = Provider(provider_name, nip, regon)
    return PracticePlan(provider, places, resources, schedules)


def _one_resource_one_place_at_a_time(schedules: Sequence[ScheduleSpec],
                                      names: Mapping[str, str], reading: _Reading) -> None:
    """A doctor (or device) in two schedules whose hours overlap would be offered to two
    patients at once, in two places or two scopes: refused, naming both and the hours."""
    labels = reading.labels
    for number, first in enumerate(schedules):
        for second in schedules[number + 1:]:
            if first.resource != second.resource:
                continue
            shared = shared_hours(first.rules, second.rules)
            if shared is not None:
                weekday, start, end = shared
                raise _fail(reading.named(labels.schedules, second.name),
                            N_("{where}: the resource \"{value}\" already works in the schedule "
                               "\"{other}\" at that time ({weekday} {start}-{end})."),
                            value=names.get(second.resource, second.resource), other=first.name,
                            weekday=WEEKDAY_NAMES[weekday], start=f"{start:%H:%M}",
                            end=f"{end:%H:%M}")


def load_plan(path: Path, scopes: ScopeRegistry | None = None) -> PracticePlan:
    """Read and validate a practice file."""
    text = ""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ValidationError(N_("The practice file {path} does not exist."),
                              path=str(path)) from None
    except IsADirectoryError:
        raise ValidationError(N_("{path} is a folder; give the practice file (.toml)."),
                              path=str(path)) from None
    except OSError as error:
        raise ValidationError(N_("Cannot read the file {path}: {error}"), path=str(path),
                              error=error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise ValidationError(N_("The practice file {path} is not UTF-8 text: save it as "
                                 "UTF-8."), path=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(N_("The practice file {path}, line {line}: {what}."),
                              path=str(path), **toml_problem(error, text)) from None
    return plan_from_dict(data, scopes)


