"""Patient use cases: register with validation, find as the desk types, merge duplicates.

Validation happens here, before anything touches the store, so bad input writes nothing.
A PESEL or document that already belongs to another patient is a ``DuplicatePatientError``
carrying a ``MergeOffer``; the desk confirms it by saving again with
``PatientInput.merge_into`` (the GUI) or runs ``merge_patients`` directly (the CLI).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from recepcja.domain.cell_text import is_formula_like
from recepcja.domain.contract import check
from recepcja.domain.entities import Patient
from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.domain.model import WARSAW, DocumentType, Sex
from recepcja.domain.pesel import (
    is_valid_pesel,
    patient_identifier,
    pesel_birth_date,
    pesel_sex,
)
from recepcja.domain.phone import normalize_optional_phone
from recepcja.store.db import Database, atomic
from recepcja.store.patients import PatientRepo

MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class PatientInput:
    """What the desk typed, as text: validated by ``register_patient``."""

    first_name: str
    last_name: str
    pesel: str | None = None
    document_type: DocumentType | str | None = None
    document_number: str | None = None
    phone: str | None = None
    # Set once the desk has confirmed a MergeOffer: if the identifier belongs to exactly this
    # patient, merge into it instead of refusing (any other holder is refused as before).
    merge_into: int | None = None


@dataclass(frozen=True, slots=True)
class MergeOffer:
    """What a merge would do, for the desk to confirm: ``duplicate`` goes into ``into``.

    When registering, ``duplicate`` is the patient as typed, never stored (no id, no visits).
    ``phone`` is the number the survivor gains (it has none, the duplicate has one).
    ``held_in_cer`` counts the duplicate's visits CeR holds under the duplicate's own
    identity: while there are any, the merge is refused (see ``merge_patients``)."""

    duplicate: Patient
    into: Patient
    duplicate_visits: int
    into_visits: int
    held_in_cer: int = 0
    phone: str | None = None

    @property
    def refusal(self) -> ConflictError | None:
        if not self.held_in_cer:
            return None
        return ConflictError(
            N_("Cannot merge: CeR holds upcoming visits of {name} ({local_id}) under that "
               "patient's own PESEL or document (number of visits: {count}), and CeR cannot "
               "move a visit to another patient. Cancel those visits and book them again for "
               "{into}, or merge once they have taken place."),
            name=_full_name(self.duplicate), local_id=self.duplicate.local_id or "-",
            count=self.held_in_cer, into=_full_name(self.into),
        )


@dataclass(frozen=True, slots=True)
class MergeResult:
    survivor: Patient
    merged: Patient
    visits_moved: int


class DuplicatePatientError(ConflictError):
    """The PESEL or document already belongs to another patient; ``offer`` is the merge the
    desk may confirm instead of giving up."""

    def __init__(self, message: str, offer: MergeOffer) -> None:
        super().__init__(message)
        self.offer = offer


def _full_name(patient: Patient) -> str:
    return f"{patient.first_name} {patient.last_name}"


def _name(value: str, label: str) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise ValidationError(N_("The {field} is required."), field=label)
    if len(cleaned) > MAX_NAME:
        raise ValidationError(N_("The {field} is too long."), field=label)
    if is_formula_like(cleaned):
        raise ValidationError(N_("The {field} must not start with =, +, - or @ (a spreadsheet "
                                 "would take it for a formula)."), field=label)
    if any(ch.isdigit() for ch in cleaned):
        raise ValidationError(N_("The {field} must not contain digits."), field=label)
    return cleaned


def validate_patient(data: PatientInput, today: dt.date | None = None) -> Patient:
    """A Patient built from desk input, or ValidationError naming the first problem."""
    identifier = patient_identifier(
        pesel=data.pesel,
        document_type=data.document_type,
        document_number=data.document_number,
        today=today,
    )
    patient = Patient(
        identifier=identifier,
        first_name=_name(data.first_name, N_("first name")),
        last_name=_name(data.last_name, N_("last name")),
        phone=normalize_optional_phone(data.phone),
    )
    if identifier.pesel:
        patient.birth_date = pesel_birth_date(identifier.pesel)
        patient.sex = pesel_sex(identifier.pesel)
    else:
        patient.sex = Sex.UNKNOWN
    # The desk's rules above are stricter than CeR's contract; this keeps it so whatever they
    # become: a patient CeR's schema would refuse is never stored.
    for name, value in (("pesel", identifier.pesel), ("document_number",
                                                      identifier.document_number),
                        ("first_name", patient.first_name), ("last_name", patient.last_name),
                        ("phone", patient.phone)):
        check(name, value)
    return patient


def register_patient(
    db: Database, data: PatientInput, user: str, today: dt.date | None = None
) -> Patient:
    """Validate and store a new patient (one transaction with its audit row); returns it with
    its id and local ID. A PESEL or document already registered is a DuplicatePatientError -
    unless ``data.merge_into`` names its holder: then nothing new is stored, the holder gains
    the typed phone if it had none, and the holder is returned."""
    patient = validate_patient(data, today)
    repo = PatientRepo(db)
    with atomic(db):
        holder = _holder(repo, patient)
        if holder is None:
            repo.add(patient, user)
            return patient
        offer = MergeOffer(patient, holder, 0, repo.visit_count(holder.id or 0),
                           phone=_gained_phone(holder, patient.phone))
        if data.merge_into != holder.id:
            raise DuplicatePatientError(_taken_message(patient), offer)
        if offer.phone:
            holder.phone = offer.phone
            repo.update(holder, user)
        repo.audit.record(user, "patient.merge", patient_id=holder.id,
                          detail=f"registration merged into {holder.local_id}")
    return holder


def find_patients(db: Database, text: str, limit: int = 20) -> list[Patient]:
    return PatientRepo(db).search(text, limit)


def patient_by_key(db: Database, key: str) -> Patient:
    """The patient stored under this PESEL or local ID, or ValidationError. Unlike
    ``booking.find_patient`` a merged duplicate is returned as itself: merging names it."""
    text = (key or "").strip()
    repo = PatientRepo(db)
    patient: Patient | None = None
    if text.isdigit() and len(text) == 11:
        if not is_valid_pesel(text):
            raise ValidationError(N_("\"{value}\" is not a valid PESEL."), value=text)
        patient = repo.by_pesel(text)
    elif text:
        patient = repo.by_local_id(text) or repo.holder_of_local_id(text)
    if patient is None:
        raise ValidationError(N_("No patient with PESEL or local ID \"{value}\"."), value=text)
    return patient


def update_patient(
    db: Database,
    patient_id: int,
    data: PatientInput,
    user: str,
    today: dt.date | None = None,
) -> Patient:
    """Validate and save an edited patient (same checks as registering). The local ID never
    changes. A PESEL or document another patient holds is a DuplicatePatientError offering
    to merge this patient into that one; with ``data.merge_into`` naming the holder the merge
    is done (``merge_patients``, the typed phone filling a missing one) and the survivor is
    returned."""
    patient = validate_patient(data, today)
    repo = PatientRepo(db)
    with atomic(db):
        stored = repo.get(patient_id)
        if stored is None:
            raise ConflictError(N_("This patient no longer exists."))
        holder = _holder(repo, patient)
        if holder is not None and holder.id != patient_id:
            into_id = holder.id or 0
            if data.merge_into != into_id:
                offer = merge_offer(db, patient_id, into_id, today=today, phone=patient.phone)
                raise DuplicatePatientError(_taken_message(patient), offer)
            return merge_patients(db, patient_id, into_id, user, today=today,
                                  phone=patient.phone).survivor
        patient.id, patient.local_id = patient_id, stored.local_id
        repo.update(patient, user)
    return patient


def merge_offer(
    db: Database,
    duplicate_id: int,
    into_id: int,
    *,
    today: dt.date | None = None,
    phone: str | None = None,
) -> MergeOffer:
    """What merging ``duplicate_id`` into ``into_id`` would do (writes nothing). ``phone``:
    what the desk typed for the duplicate, else its stored phone, fills a missing one."""
    if duplicate_id == into_id:
        raise ValidationError(N_("A patient cannot be merged into itself."))
    repo = PatientRepo(db)
    duplicate, into = repo.live(duplicate_id), repo.live(into_id)
    held = repo.visits_known_to_cer(duplicate_id, _start_of(today))
    return MergeOffer(
        duplicate, into, repo.visit_count(duplicate_id), repo.visit_count(into_id),
        held_in_cer=len(held), phone=_gained_phone(into, phone or duplicate.phone),
    )


def merge_patients(
    db: Database,
    duplicate_id: int,
    into_id: int,
    user: str,
    *,
    today: dt.date | None = None,
    phone: str | None = None,
) -> MergeResult:
    """Merge a duplicate into the patient who stays, in one transaction with its audit rows:
    every visit and every reference the app keeps moves to the survivor (``PatientRepo.merge``),
    the survivor gains the duplicate's phone if it had none, and the duplicate stays stored,
    hidden from searches, with its identifier (so CeR data naming it still finds the survivor).

    Visits CeR already holds under the duplicate's identity. CeR identifies a patient only by
    PESEL or document, the contract has no operation that moves a visit to another patient, and
    the data in CeR must be identical to the facility's at every moment (docs/DOMAIN.md). So:

    - a visit not sent yet (or sent and refused) simply moves: the replay reads the patient
      when it sends, so CeR receives it under the survivor's identity;
    - a live visit (booked, or on the central waiting list) that CeR holds or may hold (a CeR
      id, or an outbox row that is sending, sent, ambiguous or done), on a term from today on,
      would leave CeR naming another patient than the store - drift that reconciliation reports
      and nobody can repair. The merge is REFUSED (ConflictError, a Polish message saying how
      many visits and what to do: cancel them and book again for the survivor, or merge once
      they have taken place);
    - past and cancelled visits are history that reconciliation no longer compares: they
      move, and an audit row per visit records the CeR id and the local ID of the identity
      CeR keeps them under - the duplicate's row, with that identifier, is never deleted.
    """
    repo = PatientRepo(db)
    with atomic(db):
        offer = merge_offer(db, duplicate_id, into_id, today=today, phone=phone)
        refusal = offer.refusal
        if refusal is not None:
            raise refusal
        moved = repo.merge(duplicate_id, into_id, user)
        if offer.phone:
            survivor = offer.into
            survivor.phone = offer.phone
            repo.update(survivor, user)
        survivor = repo.get(into_id) or offer.into
    return MergeResult(survivor=survivor, merged=offer.duplicate, visits_moved=moved)


def _holder(repo: PatientRepo, patient: Patient) -> Patient | None:
    """The live patient who already has this PESEL or document (through a merge, if the
    record holding it was merged), or None."""
    ident = patient.identifier
    if ident.pesel:
        found = repo.by_pesel(ident.pesel)
    elif ident.document_type is not None:
        found = repo.by_document(ident.document_type, ident.document_number or "")
    else:
        found = None
    if found is None or found.id is None:
        return None
    return repo.get(repo.survivor(found.id))


def _taken_message(patient: Patient) -> str:
    if patient.identifier.pesel:
        return N_("A patient with this PESEL is already registered.")
    return N_("A patient with this identity document is already registered.")


def _gained_phone(into: Patient, phone: str | None) -> str | None:
    return phone if phone and not into.phone else None


def _start_of(today: dt.date | None) -> dt.datetime:
    """Midnight in Warsaw of ``today``: reconciliation compares terms from there on."""
    day = today or dt.datetime.now(WARSAW).date()
    return dt.datetime.combine(day, dt.time(0), WARSAW)
