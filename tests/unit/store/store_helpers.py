"""Helpers shared by the store tests (a unique module name: conftest files of other test
folders must not shadow it). The clock and the practice: ``support.practice``."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator

import pytest

from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.model import DocumentType
from recepcja.store.db import Database

DAY = dt.date(2026, 3, 2)  # a Monday


def make_patient(
    last_name: str = "Kowalski",
    first_name: str = "Jan",
    pesel: str | None = "44051401359",
    phone: str | None = None,
    document_number: str = "X1",
) -> Patient:
    if pesel:
        identifier = PatientIdentifier(pesel=pesel)
    else:
        identifier = PatientIdentifier(
            document_type=DocumentType.PASSPORT, document_number=document_number
        )
    return Patient(identifier=identifier, first_name=first_name, last_name=last_name, phone=phone)


NOW_TEXT = "2026-03-01T09:00:00Z"  # a valid stored time for raw INSERTs on either engine


@contextlib.contextmanager
def refused(db: Database, *constraints: str, match: str | None = None) -> Iterator[None]:
    """The database itself (not the code above it) refuses what the block does: the engine's
    integrity error (or, for a value of the wrong type such as bad JSON, PostgreSQL's data
    error), naming one of ``constraints`` (``store.dialect`` names) or matching ``match``."""
    errors: tuple[type[BaseException], ...] = (db.IntegrityError,)
    if db.engine == "postgresql":
        import psycopg

        errors += (psycopg.DataError,)
    with pytest.raises(errors) as caught:
        yield
    if constraints:
        assert db.violation(caught.value) in constraints, str(caught.value)
    if match:
        assert re.search(match, str(caught.value), re.IGNORECASE), str(caught.value)
