"""Patient use cases: register with validation, find as the desk types.

Validation happens here, before anything touches the store, so bad input writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.domain.model import DocumentType, Patient, Sex
from recepcja.domain.pesel import patient_identifier, pesel_birth_date, pesel_sex
from recepcja.domain.phone import normalize_optional_phone
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


def _name(value: str, label: str) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise ValidationError(N_("The {field} is required."), field=label)
    if len(cleaned) > MAX_NAME:
        raise ValidationError(N_("The {field} is too long."), field=label)
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
    return patient


def register_patient(
    db: sqlite_utils.Database, data: PatientInput, user: str, today: dt.date | None = None
) -> Patient:
    """Validate and store a new patient (one transaction with its audit row); returns it with
    its id and local ID. A second patient with the same PESEL is a ConflictError."""
    patient = validate_patient(data, today)
    PatientRepo(db).add(patient, user)
    return patient


def find_patients(db: sqlite_utils.Database, text: str, limit: int = 20) -> list[Patient]:
    return PatientRepo(db).search(text, limit)


def update_patient(
    db: sqlite_utils.Database,
    patient_id: int,
    data: PatientInput,
    user: str,
    today: dt.date | None = None,
) -> Patient:
    """Validate and save an edited patient (same checks as registering; a PESEL another
    patient already has is a ConflictError). The local ID never changes."""
    patient = validate_patient(data, today)
    repo = PatientRepo(db)
    stored = repo.get(patient_id)
    if stored is None:
        raise ConflictError(N_("This patient no longer exists."))
    patient.id, patient.local_id = patient_id, stored.local_id
    repo.update(patient, user)
    return patient
