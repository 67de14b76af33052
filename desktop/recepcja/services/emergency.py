"""The emergency queue: what was booked while CeR could not be reached, as a list and as Excel.

The FAQ's emergency procedure asks for the local patient ID and the booking data "e.g. in an
Excel file"; here the spreadsheet is a view of the outbox (``OutboxRepo.queue_rows``), never a
second source of truth, and it can be read back: ``import_queue`` takes the same layout (entries
written on another computer during the outage), validates it row by row, reports bad rows by
row number and reason, and stores all good rows in ONE transaction — or none. Each row carries
the visit's own identifier, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recepcja.domain.cell_text import restore
from recepcja.domain.contract import check
from recepcja.domain.entities import Slot
from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import WARSAW, SlotState, Urgency, VisitSource
from recepcja.domain.referral import kind_problem, known_scope, split_referral
from recepcja.domain.scopes import ScopeRegistry
from recepcja.domain.urgency import parse_urgency
from recepcja.domain.workstation import canonical_local_id, parse_local_id
from recepcja.i18n import _, translate_error
from recepcja.services.booking import book
from recepcja.services.desk_words import identifier_from_text, identifier_text
from recepcja.services.patients import PatientInput, validate_patient
from recepcja.services.spreadsheet import excel_time, read_rows, write_workbook
from recepcja.store.codec import optional_parse_utc, parse_utc
from recepcja.store.db import atomic
from recepcja.store.repos import Repositories
from recepcja.sync.terms import configuration_problem

# Column keys and their Polish headers (the file's layout; import matches by header text).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "Lp."),
    ("local_id", "ID lokalny pacjenta"),
    ("identifier", "PESEL lub dokument"),
    ("first_name", "Imię"),
    ("last_name", "Nazwisko"),
    ("phone", "Telefon"),
    ("scope", "Zakres"),
    ("place", "Miejsce"),
    ("doctor", "Lekarz"),
    ("term", "Termin"),
    ("urgency", "Kategoria medyczna"),
    ("request_id", "ID zgłoszenia centralnego"),
    ("request_date", "Data zgłoszenia"),
    ("referral", "Skierowanie"),
    ("created_at", "Utworzono"),
    ("created_by", "Przez"),
    ("state", "Stan wysyłki"),
    ("outcome", "Wynik"),
    ("visit_uid", "Identyfikator wizyty"),
    ("slot_cer_id", "ID terminu w CeR"),
    ("schedule_id", "ID harmonogramu"),
)
HEADERS = tuple(header for _, header in COLUMNS)
SHEET_TITLE = "Kolejka awaryjna"

_URGENCY_PL = {Urgency.URGENT: "pilny", Urgency.STABLE: "stabilny"}
_STATE_PL = {
    "queued": "czeka", "sending": "wysyłanie", "sent": "wysłane", "done": "w CeR",
    "failed": "ponowi", "rejected": "odrzucone", "ambiguous": "do sprawdzenia",
}
_OUTCOME_PL = {
    "booked": "zarezerwowano ten termin", "moved": "zmieniono termin",
    "waiting_list": "centralny wykaz oczekujących", "skipped": "anulowano przed wysłaniem",
}


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One line of the emergency queue (the list, the spreadsheet, the GUI's queue view)."""

    entry_id: int
    visit_id: int
    visit_uid: str
    patient_local_id: str
    identifier: str
    first_name: str
    last_name: str
    phone: str | None
    scope: str | None
    place: str | None
    doctor: str | None
    schedule_id: int | None
    slot_id: int | None
    slot_cer_id: str | None
    term: dt.datetime | None
    urgency: Urgency
    request_id: str | None
    request_date: dt.datetime | None
    referral: str | None
    created_at: dt.datetime
    created_by: str
    state: str
    outcome: str | None
    last_error: str | None
    # Why it is not in CeR, for the desk (Polish): CeR's refusal of a rejected entry, or what
    # the administrator must fix while it waits (``waiting_for`` = "administrator").
    reason: str | None = None
    waiting_for: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def queue_entries(repos: Repositories, *, include_finished: bool = False) -> list[QueueEntry]:
    """The emergency queue, oldest first: waiting entries and bookings CeR rejected whose term
    is still held here, or with ``include_finished`` also those already replayed (with their
    outcome). Waiting entries carry the set-up problem an administrator must fix, if any."""
    entries = []
    problem = configuration_problem(repos)
    for row in repos.outbox.queue_rows(include_finished):
        result = row["result"]
        outcome = json.loads(result).get("outcome") if result else None
        identifier = identifier_text(row["pesel"], row["document_type"], row["document_number"])
        reason, waiting_for = _reason(row["state"], row["last_error"], problem)
        entries.append(QueueEntry(
            entry_id=row["entry_id"], visit_id=row["visit_id"], visit_uid=row["visit_uid"],
            patient_local_id=row["patient_local_id"], identifier=identifier,
            first_name=row["first_name"], last_name=row["last_name"], phone=row["phone"],
            scope=row["scope_code"], place=row["place_name"], doctor=row["resource_name"],
            schedule_id=row["schedule_id"], slot_id=row["slot_id"],
            slot_cer_id=row["slot_cer_id"],
            term=optional_parse_utc(row["start_utc"]), urgency=Urgency(row["urgency"]),
            request_id=row["central_request_id"],
            request_date=optional_parse_utc(row["central_request_date"]),
            referral=row["referral_id"], created_at=parse_utc(row["created_at"]),
            created_by=row["created_by"], state=row["state"], outcome=outcome,
            last_error=row["last_error"], reason=reason, waiting_for=waiting_for,
        ))
    return entries


def _reason(state: str, last_error: str | None, problem: dict[str, Any] | None
            ) -> tuple[str | None, str | None]:
    if state == "rejected":
        return last_error, None
    if state == "done":
        return None, None
    if problem is not None:
        return str(problem["reason"]), "administrator"
    return (last_error if state in ("failed", "ambiguous") else None), None


def _scope_name(code: str | None) -> str | None:
    """The scope as the desk names it ("kardiologia"), not its code."""
    registry = ScopeRegistry.default()
    return registry.get(code).name_pl if code and code in registry else code


def queue_row(number: int, entry: QueueEntry) -> list[Any]:
    outcome = _OUTCOME_PL.get(entry.outcome or "", entry.outcome or "")
    if entry.state == "rejected" and entry.reason:
        outcome = entry.reason
    elif entry.waiting_for == "administrator":
        outcome = _("waiting for the administrator: {reason}").format(reason=entry.reason)
    return [
        number, entry.patient_local_id, entry.identifier, entry.first_name, entry.last_name,
        entry.phone, _scope_name(entry.scope), entry.place, entry.doctor, excel_time(entry.term),
        _URGENCY_PL[entry.urgency], entry.request_id, excel_time(entry.request_date),
        entry.referral, excel_time(entry.created_at), entry.created_by,
        _STATE_PL.get(entry.state, entry.state), outcome, entry.visit_uid, entry.slot_cer_id,
        entry.schedule_id,
    ]


def export_queue(repos: Repositories, path: Path, *, password: str | None = None,
                 include_finished: bool = True, overwrite: bool = False) -> int:
    """Write the emergency queue to ``path`` (.xlsx; an existing file only with
    ``overwrite``); returns how many entries it holds."""
    entries = queue_entries(repos, include_finished=include_finished)
    rows = (queue_row(number, entry) for number, entry in enumerate(entries, 1))
    return write_workbook(path, [(SHEET_TITLE, HEADERS, rows)], password=password,
                          overwrite=overwrite)


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # the spreadsheet's row number (the header is row 1)
    reason: str  # translated, for the desk


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    already_present: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "already_present": self.already_present,
                "problems": [{"row": p.row, "reason": p.reason} for p in self.problems]}


@dataclass(slots=True)
class _GoodRow:
    row: int
    visit_uid: str
    patient_input: PatientInput
    slot: Slot
    urgency: Urgency
    request_id: str | None
    request_date: dt.datetime | None
    referral: str | None
    local_id: str | None = None  # the ID the other desk gave the patient (on the paper slip)


def import_queue(repos: Repositories, path: Path, *, user: str,
                 password: str | None = None, now: dt.datetime | None = None) -> ImportReport:
    """Import emergency entries from a spreadsheet in the export's layout (see module doc).

    Every row is checked first; bad rows are reported (row number, reason) and skipped; all
    good rows are then stored in ONE transaction. Rows whose visit identifier is already
    stored count as ``already_present`` (a re-import adds nothing)."""
    headers, rows = read_rows(path, password=password)
    index = _header_index(headers)
    moment = now or repos.visits.clock()
    report = ImportReport()
    good: list[_GoodRow] = []
    taken: dict[int, int] = {}
    for number, values in enumerate(rows, 2):
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        cells = {key: (values[i] if i < len(values) else None) for key, i in index.items()}
        try:
            parsed = _parse_row(repos, number, cells, moment)
        except DomainError as error:
            report.problems.append(RowProblem(number, translate_error(error)))
            continue
        if parsed is None:
            report.already_present += 1
            continue
        slot_id = int(parsed.slot.id or 0)
        if slot_id in taken:
            report.problems.append(RowProblem(number, _(
                "The same term as row {row}.").format(row=taken[slot_id])))
            continue
        taken[slot_id] = number
        good.append(parsed)
    with atomic(repos.db):
        for item in good:
            patient_id = _patient_id(repos, item.patient_input, user, item.local_id,
                                     source=path.name)
            paper, key = split_referral(item.referral)  # an e-referral: checked at replay
            book(repos, patient_id, int(item.slot.id or 0), item.urgency, user=user,
                 central_request_id=item.request_id, central_request_date=item.request_date,
                 referral_id=paper, emergency=True, source=VisitSource.EMERGENCY_IMPORT,
                 visit_uid=item.visit_uid, now=moment, referral_key=key)
    report.imported = len(good)
    return report


def _header_index(headers: Sequence[str]) -> dict[str, int]:
    by_header = {header.casefold(): position for position, header in enumerate(headers)}
    index = {}
    for key, header in COLUMNS:
        if header.casefold() in by_header:
            index[key] = by_header[header.casefold()]
    missing = [header for key, header in COLUMNS
               if key in ("identifier", "first_name", "last_name", "term", "urgency")
               and key not in index]
    if missing:
        raise ValidationError(N_("The file does not have the columns of the emergency queue "
                                 "(missing: {columns})."), columns=", ".join(missing))
    return index


def _referral(value: Any) -> str | None:
    """The referral column: a paper referral's number, or an e-referral's key (44 digits,
    separators dropped; checked in P1 when the queue is sent)."""
    paper, key = split_referral(_text(value))
    return paper or key


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = restore(str(value).strip())  # the apostrophe our export put before "=..." etc.
    return text or None


def _time(value: Any, label: str) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(N_("{column}: \"{value}\" is not a date and time "
                                     "(YYYY-MM-DD HH:MM)."), column=label, value=value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WARSAW)
    return moment


def _parse_row(repos: Repositories, number: int, cells: dict[str, Any],
               now: dt.datetime) -> _GoodRow | None:
    given_uid = _text(cells.get("visit_uid"))
    if given_uid is not None and repos.visits.by_uid(given_uid) is not None:
        return None  # stored already (our own export, or the same file imported twice)
    identifier = _text(cells.get("identifier")) or ""
    pesel, document_type, document_number = identifier_from_text(identifier)
    patient_input = PatientInput(
        first_name=_text(cells.get("first_name")) or "",
        last_name=_text(cells.get("last_name")) or "",
        pesel=pesel or None, document_type=document_type, document_number=document_number,
        phone=_text(cells.get("phone")),
    )
    validate_patient(patient_input, today=now.astimezone(WARSAW).date())
    urgency = parse_urgency(_text(cells.get("urgency")) or "")
    term = _time(cells.get("term"), "Termin")
    if term is None:
        raise ValidationError(N_("The term is missing."))
    slot = _slot(repos, cells, term)
    visit_uid = given_uid or _derived_uid(identifier, slot, term)
    if repos.visits.by_uid(visit_uid) is not None:
        return None
    if slot.state != SlotState.FREE:
        raise ValidationError(N_("The term {term} is already taken."),
                              term=term.strftime("%Y-%m-%d %H:%M"))
    if slot.start <= now:
        raise ValidationError(N_("The term {term} has already passed."),
                              term=term.strftime("%Y-%m-%d %H:%M"))
    referral = check("referral_id", _referral(cells.get("referral")))
    _check_kind(repos, slot, term, has_referral=referral is not None)
    return _GoodRow(
        row=number, visit_uid=check("visit_uid", visit_uid) or visit_uid,
        patient_input=patient_input, slot=slot, urgency=urgency,
        request_id=check("central_request_id", _text(cells.get("request_id"))),
        request_date=_time(cells.get("request_date"), "Data zgłoszenia"),
        referral=referral, local_id=_other_local_id(cells.get("local_id")),
    )


def _check_kind(repos: Repositories, slot: Slot, term: dt.datetime, *,
                has_referral: bool) -> None:
    """As at the desk: a first visit of a scope with referrals needs one (CeR refuses it
    without); a continuation does not."""
    schedule = repos.schedules.get(slot.schedule_id)
    scope = known_scope(schedule.scope_code if schedule else None)
    if kind_problem(scope, slot.term_kind, has_referral) is not None:
        raise ValidationError(
            N_("The term {term} is a first visit of {scope}: it needs a referral (the "
               "e-referral's key in the column Skierowanie)."),
            term=term.strftime("%Y-%m-%d %H:%M"), scope=scope.name_pl if scope else "?")


def _other_local_id(value: Any) -> str | None:
    """The sheet's local patient ID in its stored form, when it is one (``L-R2-000007``, or
    ``L-000007`` from a desk before workstation prefixes); anything else is not an ID the desk
    can type, and is left out."""
    text = _text(value)
    return canonical_local_id(text) if text and parse_local_id(text) else None


def _slot(repos: Repositories, cells: dict[str, Any], term: dt.datetime) -> Slot:
    cer_id = _text(cells.get("slot_cer_id"))
    slot = repos.slots.by_cer_id(cer_id) if cer_id else None
    if slot is None:
        schedule = _text(cells.get("schedule_id"))
        if schedule and schedule.isdigit():
            slot = repos.slots.at(int(schedule), term)
    if slot is None:
        raise ValidationError(N_("No such term in this practice's schedules: {term}."),
                              term=term.strftime("%Y-%m-%d %H:%M"))
    if abs((slot.start - term).total_seconds()) >= 60:
        raise ValidationError(N_("The term {term} does not match the term's id."),
                              term=term.strftime("%Y-%m-%d %H:%M"))
    return slot


def _derived_uid(identifier: str, slot: Slot, term: dt.datetime) -> str:
    """A row without a visit identifier gets one from its content, so importing it twice
    still stores it once."""
    digest = hashlib.sha256(f"{identifier}|{slot.id}|{term.isoformat()}".encode()).hexdigest()
    return f"IMP-{digest[:20].upper()}"


def _patient_id(repos: Repositories, data: PatientInput, user: str, other_id: str | None,
                *, source: str) -> int:
    """The patient of an imported row: found by PESEL/document or stored. The other desk's
    local ID stays findable: the new patient's own ID when it is free here, else (and for a
    patient already here) an alias that search and booking know."""
    patient = validate_patient(data)
    ident = patient.identifier
    existing = (repos.patients.by_pesel(ident.pesel) if ident.pesel else
                repos.patients.by_document(ident.document_type, ident.document_number or "")
                if ident.document_type else None)
    if existing is not None and existing.id is not None:
        patient_id = repos.patients.survivor(existing.id)  # a merged duplicate: its survivor
    elif other_id and repos.patients.local_id_is_free(other_id):
        patient.local_id = other_id  # one ID on both desks: the slip's
        return repos.patients.add(patient, user)
    else:
        patient_id = repos.patients.add(patient, user)
    if other_id:
        repos.patients.add_alias(patient_id, other_id, user, source=source)
    return patient_id
