"""Patients: local IDs, identity uniqueness, and the desk's three searches."""

from __future__ import annotations

import datetime as dt

import pytest
from store_helpers import NOW_TEXT, make_patient, refused

from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import DocumentType, Sex
from recepcja.domain.pesel import make_pesel
from recepcja.store import Repositories


@pytest.fixture
def register(repos: Repositories) -> list[Patient]:
    people = [
        make_patient("Żółw", "Łucja", make_pesel(dt.date(1980, 1, 15), 1002), "+48600123456"),
        make_patient("Zołnierczyk", "Adam", make_pesel(dt.date(1980, 1, 20), 1011), "+48601000000"),
        make_patient("Kowalski", "Jan", make_pesel(dt.date(1975, 6, 1), 2031), "+48500999888"),
        make_patient("Kowalska", "Anna", make_pesel(dt.date(2003, 2, 2), 2042)),
        make_patient("Nowak-Kowalska", "Ewa", make_pesel(dt.date(1990, 9, 9), 3002)),
        make_patient("Smith", "John", None, "+447700900123", document_number="GB123"),
    ]
    for person in people:
        repos.patients.add(person, "ania")
    return people


def names(found: list[Patient]) -> list[str]:
    return [patient.last_name for patient in found]


def test_add_assigns_local_ids_and_round_trips(repos: Repositories) -> None:
    first = make_patient()
    first.birth_date, first.sex = dt.date(1944, 5, 14), Sex.MALE
    repos.patients.add(first, "ania")
    second = make_patient("Nowak", pesel=make_pesel(dt.date(1990, 1, 1), 1234))
    repos.patients.add(second, "ania")
    assert (first.local_id, second.local_id) == ("L-000001", "L-000002")
    assert repos.patients.get(first.id or 0) == first
    assert repos.patients.by_pesel("44051401359") == first
    assert repos.patients.by_local_id("l-000002") == second


def test_imported_local_id_is_kept_and_skipped_later(repos: Repositories) -> None:
    imported = make_patient()
    imported.local_id = "L-000002"
    repos.patients.add(imported, "ania")
    nxt = make_patient("Nowak", pesel=make_pesel(dt.date(1990, 1, 1), 1234))
    repos.patients.add(nxt, "ania")
    third = make_patient("Lis", pesel=make_pesel(dt.date(1991, 1, 1), 1234))
    repos.patients.add(third, "ania")
    assert (imported.local_id, nxt.local_id, third.local_id) == ("L-000002", "L-000003", "L-000004")
    clash = make_patient("Wolf", pesel=make_pesel(dt.date(1992, 1, 1), 1234))
    clash.local_id = "L-000003"
    with pytest.raises(ConflictError, match="local patient ID"):
        repos.patients.add(clash, "ania")


def test_duplicate_identity_is_a_conflict(repos: Repositories) -> None:
    repos.patients.add(make_patient(), "ania")
    with pytest.raises(ConflictError, match="PESEL") as caught:
        repos.patients.add(make_patient("Inny"), "ania")
    assert caught.value.params == {}
    repos.patients.add(make_patient("Smith", pesel=None), "ania")
    with pytest.raises(ConflictError, match="identity document"):
        repos.patients.add(make_patient("Smyth", pesel=None), "ania")
    assert repos.patients.count() == 2


def test_failed_add_leaves_the_object_untouched(repos: Repositories) -> None:
    repos.patients.add(make_patient(), "ania")
    duplicate = make_patient()
    with pytest.raises(ConflictError):
        repos.patients.add(duplicate, "ania")
    assert duplicate.id is None and duplicate.local_id is None


def test_database_requires_exactly_one_identifier(repos: Repositories) -> None:
    insert = (
        "INSERT INTO patients (local_id, pesel, document_type, document_number, first_name, "
        f"last_name, created_at, updated_at) VALUES (?, ?, ?, ?, 'A', 'B', '{NOW_TEXT}', "
        f"'{NOW_TEXT}')"
    )
    with refused(repos.db, match="check"):
        repos.db.conn.execute(insert, ("L-9", None, None, None))
    with refused(repos.db, match="check"):
        repos.db.conn.execute(insert, ("L-9", "44051401359", "passport", "X"))
    with refused(repos.db, match="check"):
        repos.db.conn.execute(insert, ("L-9", "4405140135X", None, None))


def test_search_by_pesel_prefix(repos: Repositories, register: list[Patient]) -> None:
    assert names(repos.patients.search("8001")) == ["Żółw", "Zołnierczyk"]
    assert names(repos.patients.search("800115")) == ["Żółw"]
    assert names(repos.patients.search("0322")) == ["Kowalska"]  # born 2003: month + 20


def test_search_by_surname_prefix_ignores_case_and_diacritics(
    repos: Repositories, register: list[Patient]
) -> None:
    assert names(repos.patients.search("Zolw")) == ["Żółw"]
    assert names(repos.patients.search("ŻÓŁW")) == ["Żółw"]
    assert names(repos.patients.search("zo")) == ["Zołnierczyk", "Żółw"]
    assert names(repos.patients.search("kowal")) == ["Kowalska", "Kowalski"]
    assert names(repos.patients.search("kowal j")) == ["Kowalski"]
    assert names(repos.patients.search("nowak-k")) == ["Nowak-Kowalska"]
    assert names(repos.patients.search("  smi ")) == ["Smith"]
    assert repos.patients.search("xyz") == []
    assert repos.patients.search("") == []


def test_search_by_phone(repos: Repositories, register: list[Patient]) -> None:
    assert names(repos.patients.search("600 123 456")) == ["Żółw"]
    assert names(repos.patients.search("600-12")) == ["Żółw"]
    assert names(repos.patients.search("60")) == []  # two digits: PESEL prefix only
    assert names(repos.patients.search("+44 7700")) == ["Smith"]
    assert names(repos.patients.search("48500999")) == ["Kowalski"]


def test_search_by_local_id(repos: Repositories, register: list[Patient]) -> None:
    assert names(repos.patients.search("L-3")) == ["Kowalski"]
    assert names(repos.patients.search("l-000003")) == ["Kowalski"]
    assert len(repos.patients.search("L-0000", limit=4)) == 4


def test_search_limit(repos: Repositories, register: list[Patient]) -> None:
    assert len(repos.patients.search("k", limit=1)) == 1


def test_update_refolds_names(repos: Repositories, register: list[Patient]) -> None:
    turtle = register[0]
    turtle.last_name = "Ślimak"
    turtle.phone = None
    repos.patients.update(turtle, "ania")
    assert names(repos.patients.search("slim")) == ["Ślimak"]
    assert repos.patients.search("zolw") == []
    assert repos.patients.get(turtle.id or 0).phone is None  # type: ignore[union-attr]


def test_update_to_a_taken_pesel_is_a_conflict(
    repos: Repositories, register: list[Patient]
) -> None:
    smith = register[-1]
    smith.identifier = PatientIdentifier(pesel=register[0].identifier.pesel)
    with pytest.raises(ConflictError, match="PESEL"):
        repos.patients.update(smith, "ania")
    smith.identifier = PatientIdentifier(pesel=make_pesel(dt.date(1985, 5, 5), 5555))
    repos.patients.update(smith, "ania")
    assert repos.patients.by_pesel(smith.identifier.pesel or "").last_name == "Smith"  # type: ignore[union-attr]
    assert repos.patients.by_document(DocumentType.PASSPORT, "GB123") is None


def test_merge_hides_the_duplicate(repos: Repositories, register: list[Patient]) -> None:
    keep, dup = register[2], register[3]
    repos.patients.merge(dup.id or 0, keep.id or 0, "ania")
    assert names(repos.patients.search("kowal")) == ["Kowalski"]
    assert repos.patients.merged_into(dup.id or 0) == keep.id
    assert repos.patients.get(dup.id or 0) is not None  # kept for the audit trail


def test_add_and_search_are_audited_without_pesel(
    repos: Repositories, register: list[Patient]
) -> None:
    entries = repos.audit.for_patient(register[0].id or 0)
    assert [entry.action for entry in entries] == ["patient.add"]
    assert entries[0].user == "ania"


def test_add_many_is_all_or_nothing(repos: Repositories) -> None:
    batch = [make_patient("A", pesel=make_pesel(dt.date(1970, 1, 1), 1000 + i)) for i in range(3)]
    batch.append(make_patient("B", pesel=batch[0].identifier.pesel))
    with pytest.raises(ConflictError):
        repos.patients.add_many(batch, "import")
    assert repos.patients.count() == 0
    assert repos.patients.add_many(batch[:3], "import") == 3
    # No number is burnt by the refused batch, on either engine.
    assert [p.local_id for p in batch[:3]] == ["L-000001", "L-000002", "L-000003"]


def test_update_of_a_missing_patient_is_a_conflict(repos: Repositories) -> None:
    ghost = make_patient()
    ghost.id = 999
    with pytest.raises(ConflictError, match="no longer exists"):
        repos.patients.update(ghost, "ania")
