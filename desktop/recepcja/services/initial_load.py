"""Initial load: visits booked in the previous system, imported from CSV or Excel.

CeR wants every term already booked in a schedule before the place joins (``zasilInicjalnie``).
The practice exports them from its old software into the template
(``resources/initial_load_template.csv``, columns in docs/ONBOARDING.md); this module:

- reads CSV (``;`` or ``,``, UTF-8 or Windows-1250, as Polish Excel writes it) or ``.xlsx``;
- checks every row on its own; a bad row is reported with its row number and reason and kept
  out, the others go on (a file of 2,000 visits with three typos must not block the rest);
- stores the good rows in ONE transaction as visits with source ``initial_load`` (patients
  created or found by PESEL/document, a slot created where the template has none yet);
- is re-runnable: a visit is known by ``visit_id`` (the previous system's number), so the
  corrected file imports only the rows that were missing.

The onboarding step 4 then sends the stored visits to CeR. Only before activation: CeR takes no
initial load for an active place, so rows for such a place are refused (and the whole file when
every place is active) — a visit must never be stored where it can only stay local.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recepcja.domain.cell_text import restore
from recepcja.domain.contract import check
from recepcja.domain.entities import Patient, ScheduleException, SlotSpec, Visit
from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import WARSAW, SlotState, TermKind, Urgency, VisitSource
from recepcja.domain.referral import kind_problem, known_scope, split_referral
from recepcja.domain.slots import (
    WEEKDAY_NAMES,
    ClosedDays,
    is_unambiguous_local,
    polish_holidays,
    template_rule_at,
)
from recepcja.domain.urgency import parse_urgency
from recepcja.i18n import _, ngettext
from recepcja.services.patients import PatientInput, validate_patient
from recepcja.services.practice_setup import rules_from_template
from recepcja.store.db import atomic
from recepcja.store.records import OutboxOp, Schedule
from recepcja.store.repos import Repositories

REQUIRED = ("visit_id", "schedule", "date", "time", "first_name", "last_name")
OPTIONAL = ("minutes", "pesel", "document_type", "document_number", "phone", "urgency",
            "referral_id", "central_request_id", "term_kind")
COLUMNS = REQUIRED + OPTIONAL
UID_PREFIX = "IL-"
_VISIT_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,60}")
# A date in one of the accepted shapes that the calendar does not have (2026-02-30).
_DATE_SHAPES = (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}"))


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as a spreadsheet shows it: the header is row 1
    error: DomainError


@dataclass(slots=True)
class InitialLoadResult:
    imported: int = 0
    already_imported: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class _Row:
    number: int
    uid: str
    schedule: Schedule
    spec: SlotSpec
    patient: Patient
    urgency: Urgency
    referral_id: str | None
    central_request_id: str | None
    referral_key: str | None = None  # an e-referral: taken into realisation through the outbox


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, {column: value}) from a CSV or .xlsx file; ``ValidationError`` when the
    file itself is unusable (missing columns, unknown columns, unreadable)."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(N_("The file {path} does not exist."), path=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        rows = _csv_rows(path)
    try:
        header = next(rows)
    except StopIteration:
        raise ValidationError(N_("The file {path} is empty."), path=str(path)) from None
    names = [str(h or "").strip().lower() for h in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [n for n in REQUIRED if n not in names]
    if unknown or missing:
        raise ValidationError(
            N_("The file {path} does not follow the template: missing columns {missing}, "
               "unknown columns {unknown} (columns: {columns})."),
            path=str(path), missing=", ".join(missing) or "—", unknown=", ".join(unknown) or "—",
            columns=", ".join(COLUMNS),
        )
    for number, values in enumerate(rows, 2):
        if not any(v not in (None, "") for v in values):
            continue
        yield number, {name: value for name, value in zip(names, values, strict=False) if name}


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1250")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    import openpyxl

    from recepcja.services.spreadsheet import refuse_unsafe_workbook

    data = path.read_bytes()
    refuse_unsafe_workbook(data, path)  # no DTD, no zip bomb: before openpyxl parses anything
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    except Exception as error:  # any unreadable workbook is the same to the user
        raise ValidationError(N_("The file {path} cannot be read as Excel: {error}"),
                              path=str(path), error=type(error).__name__) from None
    yield from rows


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps numbers as floats: 1234.0 is "1234"
    return restore(" ".join(str(value).split()))


def _pesel(values: Mapping[str, Any]) -> str | None:
    """The PESEL column; one that Excel turned into a number lost its leading zeros (born
    1900-1909 or 2000-2009: ``02070803628`` became ``2070803628``): padded back to 11 digits.
    The checksum still decides whether it is a PESEL."""
    text = _text(values, "pesel")
    if text.isdigit() and 9 <= len(text) < 11:
        return text.zfill(11)
    return text or None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    if any(shape.fullmatch(text) for shape in _DATE_SHAPES):
        raise ValidationError(N_("the date \"{value}\" does not exist in the calendar"),
                              value=text)
    raise ValidationError(N_("the date \"{value}\" is not YYYY-MM-DD (or DD.MM.YYYY)"),
                          value=text)


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    text = str(value or "").strip()
    try:
        return dt.datetime.strptime(text[:5] if len(text) > 5 else text, "%H:%M").time()
    except ValueError:
        raise ValidationError(N_("the time \"{value}\" is not HH:MM"), value=text) from None


class _Check:
    """Row checks against the store and against the rows accepted before (same file)."""

    def __init__(self, repos: Repositories, now: dt.datetime) -> None:
        self.repos, self.now = repos, now
        self.schedules = {s.name: s for s in repos.schedules.list()}
        # A place active in CeR takes no initial load any more (CeR refuses zasilInicjalnie
        # after aktywujMus): its visits would stay here only, never reaching CeR.
        self.active = {p.id: p.name for p in repos.practice.places()
                       if p.cer_active_at is not None}
        self.uids: set[str] = set()
        self.taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        self.patients: dict[str, Patient] = {}
        self.closed: dict[int, ClosedDays] = {}

    def row(self, number: int, values: Mapping[str, Any]) -> _Row | None:
        visit_id = _text(values, "visit_id")
        if not _VISIT_ID.fullmatch(visit_id):
            raise ValidationError(N_("visit_id \"{value}\" is missing or holds characters other "
                                     "than letters, digits and _ . : -"), value=visit_id)
        uid = UID_PREFIX + visit_id
        if uid in self.uids:
            raise ValidationError(N_("visit_id \"{value}\" appears twice in the file"),
                                  value=visit_id)
        if self.repos.visits.by_uid(uid) is not None:
            return None
        name = _text(values, "schedule")
        schedule = self.schedules.get(name)
        if schedule is None or schedule.id is None:
            raise ValidationError(N_("unknown schedule \"{value}\" (known: {known})"),
                                  value=name, known=", ".join(self.schedules))
        if schedule.place_id in self.active:
            raise ValidationError(
                N_("the place \"{place}\" is already active in CeR: the initial load holds only "
                   "visits booked before joining; book this visit with recepcja book"),
                place=self.active[schedule.place_id])
        start = dt.datetime.combine(_date(values.get("date")), _time(values.get("time")),
                                    tzinfo=WARSAW)
        if not is_unambiguous_local(start):
            raise ValidationError(N_("{value} does not exist or is ambiguous on the clock "
                                     "(daylight saving time change)"), value=start)
        if start <= self.now:
            raise ValidationError(N_("the visit at {value} is in the past; the initial load "
                                     "holds only future visits"),
                                  value=start.strftime("%Y-%m-%d %H:%M"))
        urgency = self._urgency(values)
        spec = SlotSpec(start, start + dt.timedelta(minutes=self._minutes(values, schedule,
                                                                           start)),
                        self._kind(values, schedule, start))
        self._check_slot(schedule, spec)
        patient = self._patient(values)
        paper, key = split_referral(_text(values, "referral_id"))
        referral = check("referral_id", paper or key)
        scope = known_scope(schedule.scope_code)
        if kind_problem(scope, spec.term_kind, bool(referral)) is not None:
            # As at the desk: CeR refuses a first visit without a referral.
            raise ValidationError(
                N_("{value}: a first visit of {scope} needs a referral: put the e-referral's "
                   "key (44 digits) in the referral_id column, or book the visit on a "
                   "continuation term (term_kind {kind})"),
                value=start.strftime("%Y-%m-%d %H:%M"), scope=scope.name_pl if scope else "?",
                kind=TermKind.CONTINUING_TREATMENT.value)
        request = check("central_request_id", _text(values, "central_request_id") or None)
        self.uids.add(uid)
        self.taken.setdefault(schedule.id, []).append((spec.start, spec.end))
        return _Row(number, uid, schedule, spec, patient, urgency, referral, request, key)

    @staticmethod
    def _urgency(values: Mapping[str, Any]) -> Urgency:
        text = _text(values, "urgency")
        if not text:
            return Urgency.STABLE
        try:
            return parse_urgency(text)
        except ValidationError:
            raise ValidationError(N_("urgency \"{value}\" is neither stable (stabilny) nor "
                                     "urgent (pilny)"), value=text) from None

    def _minutes(self, values: Mapping[str, Any], schedule: Schedule, start: dt.datetime) -> int:
        text = _text(values, "minutes")
        if text and (not text.isdigit() or not 5 <= int(text) <= 240):
            raise ValidationError(N_("minutes \"{value}\" is not a number from 5 to 240"),
                                  value=text)
        assert schedule.id is not None
        existing = self.repos.slots.at(schedule.id, start)
        if existing is not None:  # a term the schedule already has (from its template)
            return int(text) if text else int((existing.end - existing.start).total_seconds()
                                               // 60)
        return self._template_minutes(schedule, start, int(text) if text else None)

    def _template_minutes(self, schedule: Schedule, start: dt.datetime,
                          minutes: int | None) -> int:
        """The length of the template's term at ``start``: a visit must sit on a term the
        schedule offers, not on its day off, not between two terms, not outside its hours."""
        assert schedule.id is not None
        when = start.strftime("%Y-%m-%d %H:%M")
        day = start.date()
        if schedule.id not in self.closed:
            self.closed[schedule.id] = ClosedDays(
                ScheduleException(e.first_day, e.last_day, e.reason)
                for e in self.repos.schedules.exceptions(schedule.id))
        if day in self.closed[schedule.id] or day in polish_holidays([day.year]):
            raise ValidationError(N_("{value}: the schedule does not work on that day (a day off "
                                     "or a public holiday)"), value=when)
        rules = rules_from_template(schedule.template)
        rule = template_rule_at(rules, start)
        if rule is None:
            hours = "; ".join(f"{r.start:%H:%M}-{r.end:%H:%M} / {r.slot_minutes} min"
                              for r in rules if r.weekday == start.weekday()) or "—"
            raise ValidationError(N_("{value} is not a term of the schedule's template (its "
                                     "terms that {weekday}: {hours})"), value=when,
                                  weekday=WEEKDAY_NAMES[start.weekday()], hours=hours)
        if minutes is not None and minutes != rule.slot_minutes:
            raise ValidationError(N_("{value}: the schedule's terms then last {length} minutes, "
                                     "not {minutes}"), value=when, length=rule.slot_minutes,
                                  minutes=minutes)
        return rule.slot_minutes

    def _kind(self, values: Mapping[str, Any], schedule: Schedule,
              start: dt.datetime) -> TermKind:
        """The row's kind of term: the schedule's term's own when it has one at ``start`` (a
        row may name it, and must then name it right), else the column's (first visit unless
        told)."""
        text = _text(values, "term_kind")
        try:
            given = TermKind(text) if text else None
        except ValueError:
            raise ValidationError(N_("unknown kind of term \"{value}\" (known: {known})"),
                                  value=text, known=", ".join(k.value for k in TermKind)) from None
        assert schedule.id is not None
        existing = self.repos.slots.at(schedule.id, start)
        if existing is None:
            return given or TermKind.DEFAULT_PROCEDURE
        kind = TermKind(existing.term_kind)
        if given is not None and given != kind:
            raise ValidationError(
                N_("term_kind \"{given}\" does not match the schedule's term {value}, which is "
                   "{kind}"), given=given.value, value=start.strftime("%Y-%m-%d %H:%M"),
                kind=kind.value)
        return kind

    def _check_slot(self, schedule: Schedule, spec: SlotSpec) -> None:
        assert schedule.id is not None
        when = spec.start.strftime("%Y-%m-%d %H:%M")
        for start, end in self.taken.get(schedule.id, []):
            if start < spec.end and spec.start < end:
                raise ValidationError(N_("another row of the file books {value} in this "
                                         "schedule"), value=when)
        day = spec.start.date()
        for slot in self.repos.slots.for_days(schedule.id, day - dt.timedelta(days=1), day):
            if not (slot.start < spec.end and spec.start < slot.end):
                continue
            if (slot.start, slot.end) != (spec.start, spec.end):
                raise ValidationError(N_("{value} overlaps the term {start}-{end} of this "
                                         "schedule"), value=when,
                                      start=slot.start.strftime("%H:%M"),
                                      end=slot.end.strftime("%H:%M"))
            if slot.state != SlotState.FREE:
                raise ValidationError(N_("the term {value} is already taken or blocked"),
                                      value=when)

    def _patient(self, values: Mapping[str, Any]) -> Patient:
        patient = validate_patient(PatientInput(
            first_name=_text(values, "first_name"), last_name=_text(values, "last_name"),
            pesel=_pesel(values),
            document_type=_text(values, "document_type") or None,
            document_number=_text(values, "document_number") or None,
            phone=_text(values, "phone") or None,
        ), today=self.now.astimezone(WARSAW).date())
        key = patient.identifier.key
        if key in self.patients:
            return self.patients[key]
        ident = patient.identifier
        stored = (self.repos.patients.by_pesel(ident.pesel) if ident.pesel
                  else self.repos.patients.by_document(ident.document_type,  # type: ignore[arg-type]
                                                       ident.document_number or ""))
        self.patients[key] = stored or patient
        return self.patients[key]


def refuse_after_activation(repos: Repositories) -> None:
    """The whole file is refused (nothing read, nothing written) once every place with
    schedules is active in CeR: the initial load is the file of terms booked BEFORE joining
    (DOMAIN.md), and CeR takes it only before activation."""
    places = {s.place_id for s in repos.schedules.list()}
    active = [p for p in repos.practice.places() if p.id in places and p.cer_active_at]
    if places and len(active) == len(places):
        raise ValidationError(
            N_("Every place of service is already active in CeR, so it takes no initial load "
               "any more (that is only for visits booked before joining). Book these visits "
               "with recepcja book: they then go to CeR like any other booking."))


def import_initial_load(
    repos: Repositories, path: Path, user: str, *, now: dt.datetime | None = None
) -> InitialLoadResult:
    """Check every row, then store the good ones in one transaction; see the module docstring."""
    now = now or dt.datetime.now(dt.UTC)
    check = _Check(repos, now)
    refuse_after_activation(repos)
    result = InitialLoadResult()
    good: list[_Row] = []
    for number, values in read_rows(path):
        try:
            row = check.row(number, values)
        except DomainError as error:
            result.errors.append(RowError(number, error))
            continue
        if row is None:
            result.already_imported += 1
        else:
            good.append(row)
    if not good:
        return result
    with atomic(repos.db):
        for patient in {id(r.patient): r.patient for r in good}.values():
            if patient.id is None:
                repos.patients.add(patient, user)
        for row in good:
            assert row.schedule.id is not None
            repos.slots.add_many(row.schedule.id, [row.spec])
        visits = []
        for row in good:
            assert row.schedule.id is not None and row.patient.id is not None
            slot = repos.slots.at(row.schedule.id, row.spec.start)
            assert slot is not None
            visits.append(Visit(visit_uid=row.uid, patient_id=row.patient.id, slot_id=slot.id,
                                urgency=row.urgency, central_request_id=row.central_request_id,
                                referral_id=row.referral_id, referral_key=row.referral_key))
        result.imported = repos.visits.import_many(visits, user, source=VisitSource.INITIAL_LOAD)
        kinds = {row.uid: row.spec.term_kind for row in good}
        for visit in visits:  # e-referrals: checked and taken as the desk's bookings' are
            if visit.referral_key and kinds[visit.visit_uid] != TermKind.CONTINUING_TREATMENT:
                repos.outbox.enqueue(OutboxOp.REFERRAL_TAKE,
                                     {"key": visit.referral_key, "refunded": None}, user=user,
                                     visit_id=visit.id,
                                     idempotency_key=f"referral_take:{visit.visit_uid}")
    return result


def import_summary(result: InitialLoadResult) -> str:
    """The one-line summary of an import, each number with its noun's Polish plural form."""
    return _("Initial load: {imported}, {known}, {errors}").format(
        imported=ngettext("{count} visit imported", "{count} visits imported",
                          result.imported).format(count=result.imported),
        known=ngettext("{count} already imported", "{count} already imported",
                       result.already_imported).format(count=result.already_imported),
        errors=ngettext("{count} row with errors", "{count} rows with errors",
                        len(result.errors)).format(count=len(result.errors)))
