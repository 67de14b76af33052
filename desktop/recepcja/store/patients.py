"""Patients: identity (PESEL or document), the desk's local ID, and search as you type.

Validation of PESELs and phone numbers is the domain's job (``recepcja.domain``); the store
keeps what it is given, enforces uniqueness, and makes the three searches the desk types into
(PESEL prefix, surname prefix, phone) index lookups.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.domain.model import DocumentType, Sex
from recepcja.domain.workstation import (
    LocalIdQuery,
    canonical_local_id,
    format_local_id,
    parse_local_id,
)
from recepcja.store.codec import day_text, fold, parse_day, prefix_upper_bound, utc_now, utc_text
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, insert_id, scalar
from recepcja.store.dialect import PATIENT_DOCUMENT, PATIENT_LOCAL_ID, PATIENT_PESEL
from recepcja.store.logs import AuditLog

Clock = Callable[[], dt.datetime]

_PHONE_DECOR = re.compile(r"[\s\-()./]")
_DIGITS = re.compile(r"\+?\d+")
_MIN_PHONE_DIGITS = 3  # fewer digits match half the register: only the PESEL prefix then

_COLUMNS = (
    "id, local_id, pesel, document_type, document_number, first_name, last_name, phone, "
    "birth_date, sex"
)


class PatientRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock)

    # --- writes ----------------------------------------------------------------------------

    def add(self, patient: Patient, user: str) -> int:
        """Store a new patient and give it a local ID (kept if the patient brings one, e.g. from
        an outage spreadsheet). Sets ``patient.id`` and ``patient.local_id``; returns the id.

        Raises ConflictError when the PESEL, document or local ID is already registered.
        """
        with atomic(self.db):
            patient_id, local_id = self._insert(patient)
            self.audit.record(user, "patient.add", patient_id=patient_id)
        patient.id, patient.local_id = patient_id, local_id  # only once it is really stored
        return patient_id

    def add_many(self, patients: Iterable[Patient], user: str) -> int:
        """Bulk import in one transaction (initial load from an old system, bench data); one
        summary audit row. All or nothing: any conflict rolls the whole batch back."""
        stored: list[tuple[Patient, int, str]] = []
        with atomic(self.db):
            for patient in patients:
                stored.append((patient, *self._insert(patient)))
            self.audit.record(user, "patient.import", detail=f"{len(stored)} patients")
        for patient, patient_id, local_id in stored:
            patient.id, patient.local_id = patient_id, local_id
        return len(stored)

    def update(self, patient: Patient, user: str) -> None:
        """Save edited names, identifier, phone, birth date and sex of a stored patient."""
        if patient.id is None:
            raise ValueError("patient has no id")
        ident = patient.identifier
        with atomic(self.db):
            try:
                cursor = self.db.conn.execute(
                    "UPDATE patients SET pesel = ?, document_type = ?, document_number = ?, "
                    "first_name = ?, last_name = ?, first_name_folded = ?, "
                    "last_name_folded = ?, phone = ?, birth_date = ?, sex = ?, updated_at = ? "
                    "WHERE id = ?",
                    (
                        ident.pesel,
                        _doc_type(ident),
                        ident.document_number if not ident.pesel else None,
                        patient.first_name,
                        patient.last_name,
                        fold(patient.first_name),
                        fold(patient.last_name),
                        patient.phone,
                        day_text(patient.birth_date),
                        str(patient.sex),
                        utc_text(self.clock()),
                        patient.id,
                    ),
                )
            except self.db.IntegrityError as error:
                raise _identity_conflict(self.db, error) from error
            if cursor.rowcount == 0:
                raise ConflictError(N_("This patient no longer exists."))
            self.audit.record(user, "patient.update", patient_id=patient.id)

    def merge(self, duplicate_id: int, into_id: int, user: str) -> int:
        """Merge a duplicate into ``into_id`` in one transaction and return the number of visits
        moved. Everything the app finds a patient by moves to the survivor:

        - the visits - and with them everything read through ``visits.patient_id``: the
          emergency queue (outbox joined to visits), the call list, day sheets, printouts,
          and what the replay sends to CeR for a visit not sent yet;
        - the ``patient_id`` copied into the payload of outbox rows not finished yet;
        - the patient card's call history, and the duplicate's notes (appended);
        - patients merged earlier into the duplicate (``merged_into`` stays one hop).

        The duplicate row stays, with its identifier, marked ``merged_into``: CeR data naming
        that identity (a notification, a read-back) still resolves to the survivor, and the
        audit trail keeps what was recorded about it. Audit rows are history and stay on the
        patient they were written about; the merge adds one row per moved visit (with the CeR
        id it is held under) and one ``patient.merge`` row. Whether CeR allows the merge at
        all is the service's decision (``services.patients.merge_patients``).

        Raises ConflictError when either patient is missing or already merged."""
        if duplicate_id == into_id:
            raise ValueError("cannot merge a patient into itself")
        with atomic(self.db):
            duplicate, into = self.live(duplicate_id), self.live(into_id)
            now = utc_text(self.clock())
            visits = fetch_all(
                self.db, "SELECT id, cer_id FROM visits WHERE patient_id = ? ORDER BY id",
                (duplicate_id,),
            )
            self.db.conn.execute(
                "UPDATE visits SET patient_id = ?, updated_at = ?, version = version + 1 "
                "WHERE patient_id = ?",
                (into_id, now, duplicate_id),
            )
            json = self.db.dialect
            self.db.conn.execute(
                f"UPDATE outbox SET payload = {json.json_set_int('payload', 'patient_id')}, "
                "updated_at = ? WHERE state NOT IN ('done', 'rejected') "
                f"AND {json.json_int('payload', 'patient_id')} = ?",
                (into_id, now, duplicate_id),
            )
            self.db.conn.execute(
                "UPDATE patients SET merged_into = ?, updated_at = ? WHERE merged_into = ?",
                (into_id, now, duplicate_id),
            )
            self._merge_card(duplicate_id, into_id)
            self.db.conn.execute(
                "UPDATE patients SET merged_into = ?, updated_at = ? WHERE id = ?",
                (into_id, now, duplicate_id),
            )
            for visit in visits:
                held = ""
                if visit["cer_id"]:
                    held = (f"; CeR {visit['cer_id']} holds it under the identity of "
                            f"{duplicate.local_id}")
                self.audit.record(user, "patient.merge.visit", patient_id=into_id,
                                  visit_id=visit["id"],
                                  detail=f"moved from patient {duplicate.local_id}{held}")
            self.audit.record(
                user, "patient.merge", patient_id=into_id,
                detail=f"merged patient {duplicate_id} ({duplicate.local_id}) into "
                f"{into.local_id}: {len(visits)} visits moved",
            )
        return len(visits)

    def _merge_card(self, duplicate_id: int, into_id: int) -> None:
        """The patient card moves too: the duplicate's calls, and its notes appended."""
        self.db.conn.execute("UPDATE patient_calls SET patient_id = ? WHERE patient_id = ?",
                             (into_id, duplicate_id))
        notes = [str(scalar(self.db, "SELECT notes FROM patients WHERE id = ?", (pid,)) or "")
                 for pid in (into_id, duplicate_id)]
        if notes[1]:
            self.db.conn.execute("UPDATE patients SET notes = ? WHERE id = ?",
                                 ("\n".join(n for n in notes if n), into_id))

    def live(self, patient_id: int) -> Patient:
        """A stored patient that is not merged into another, or ConflictError."""
        patient = self.get(patient_id)
        if patient is None:
            raise ConflictError(N_("This patient no longer exists."))
        if self.merged_into(patient_id) is not None:
            raise ConflictError(
                N_("Patient {local_id} has already been merged into another patient."),
                local_id=patient.local_id,
            )
        return patient

    def _insert(self, patient: Patient) -> tuple[int, str]:
        now = utc_text(self.clock())
        ident = patient.identifier
        local_id = patient.local_id or self._next_local_id()
        try:
            patient_id = insert_id(
                self.db,
                "INSERT INTO patients (local_id, pesel, document_type, document_number, "
                "first_name, last_name, first_name_folded, last_name_folded, phone, birth_date, "
                "sex, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (
                    local_id,
                    ident.pesel,
                    _doc_type(ident),
                    ident.document_number if not ident.pesel else None,
                    patient.first_name,
                    patient.last_name,
                    fold(patient.first_name),
                    fold(patient.last_name),
                    patient.phone,
                    day_text(patient.birth_date),
                    str(patient.sex),
                    now,
                    now,
                ),
            )
        except self.db.IntegrityError as error:
            raise _identity_conflict(self.db, error) from error
        return int(patient_id or 0), local_id

    def _next_local_id(self) -> str:
        """Next free ``L-<workstation prefix>-nnnnnn`` (``L-nnnnnn`` without a workstation):
        one past the highest number of that form in use (one index seek; not the row id, which
        a PostgreSQL sequence advances even for a refused insert). Called under the write lock
        (SQLite's, or the practice database's), so no other writer can take it between the
        check and the insert; skips numbers imported from elsewhere or known as another desk's
        ID."""
        prefix = self.db.workstation.prefix if self.db.workstation is not None else None
        stem = format_local_id(0, prefix)[:-6]  # "L-R1-" or "L-"
        highest = scalar(
            self.db,
            "SELECT local_id FROM patients WHERE local_id >= ? AND local_id < ? "
            "ORDER BY local_id DESC LIMIT 1",  # an index seek (six digits sort as numbers)
            (stem + "0", stem + ":"),  # the digits after the stem, nothing else
        )
        digits = str(highest or "")[len(stem):]
        number = int(digits) + 1 if digits.isdigit() else 1
        while self._local_id_known(format_local_id(number, prefix)):
            number += 1
        return format_local_id(number, prefix)

    def _local_id_known(self, local_id: str) -> bool:
        return bool(scalar(
            self.db, "SELECT EXISTS (SELECT 1 FROM patients WHERE local_id = :id) OR "
            "EXISTS (SELECT 1 FROM patient_aliases WHERE alias = :id)", {"id": local_id}))

    def add_alias(self, patient_id: int, local_id: str, user: str, *, source: str = "") -> bool:
        """Remember that another desk knows this patient as ``local_id`` (canonical form), so
        ``holders_of_local_id`` and the search find them by it. False when it is the patient's
        own ID or already known. One transaction with its audit row."""
        alias = canonical_local_id(local_id)
        with atomic(self.db):
            if scalar(self.db, "SELECT 1 FROM patients WHERE id = ? AND local_id = ?",
                      (patient_id, alias)):
                return False
            added: bool = self.db.conn.execute(
                "INSERT INTO patient_aliases (alias, patient_id, source, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (alias, patient_id, source, utc_text(self.clock())),
            ).rowcount == 1
            if added:
                self.audit.record(user, "patient.alias", patient_id=patient_id,
                                  detail=f"also known as {alias} ({source})".strip())
        return added

    def aliases(self, patient_id: int) -> list[str]:
        """Local IDs other desks gave this patient (and patients merged into it)."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT alias FROM patient_aliases WHERE patient_id = ? OR patient_id IN "
            "(SELECT id FROM patients WHERE merged_into = ?) ORDER BY alias",
            (patient_id, patient_id)).fetchall()
        return [row[0] for row in rows]

    def local_id_is_free(self, local_id: str) -> bool:
        """Whether no patient here has ``local_id`` as its own ID or as another desk's."""
        return not self._local_id_known(canonical_local_id(local_id))

    # --- reads -----------------------------------------------------------------------------

    def get(self, patient_id: int) -> Patient | None:
        return self._one("id = ?", (patient_id,))

    def by_pesel(self, pesel: str) -> Patient | None:
        return self._one("pesel = ?", (pesel,))

    def by_local_id(self, local_id: str) -> Patient | None:
        """The patient whose OWN local ID this is (typed in any case, zeros left out)."""
        return self._one("local_id = ?", (canonical_local_id(local_id),))

    def holders_of_local_id(self, local_id: str) -> list[Patient]:
        """Every patient known by ``local_id``: as their own ID, or as the ID another desk
        gave them (a queue import). Merged duplicates resolve to the patient they went into.
        Normally one; two means the ID is ambiguous here (two desks counted alike before
        workstation prefixes), and the desk must use the PESEL."""
        wanted = canonical_local_id(local_id)
        rows = fetch_all(
            self.db,
            f"SELECT {_COLUMNS} FROM patients WHERE local_id = :id OR id IN "
            "(SELECT patient_id FROM patient_aliases WHERE alias = :id) ORDER BY id",
            {"id": wanted},
        )
        found: dict[int, Patient] = {}
        for patient in (_patient(row) for row in rows):
            survivor = self.survivor(patient.id or 0)
            if survivor not in found:
                found[survivor] = patient if survivor == patient.id else (
                    self.get(survivor) or patient)
        return list(found.values())

    def holder_of_local_id(self, local_id: str) -> Patient | None:
        """The one patient known by ``local_id`` (see ``holders_of_local_id``; typed without a
        prefix, on a desk with one, also this desk's own ``L-R1-…`` of that number), None when
        nobody is; ``ValidationError`` naming both when two are (use the PESEL then)."""
        holders = self.holders_of_local_id(local_id)
        query, own = parse_local_id(local_id), self.db.workstation
        if query is not None and query.prefix is None and query.digits and own is not None:
            for patient in self.holders_of_local_id(format_local_id(int(query.digits),
                                                                    own.prefix)):
                if all(patient.id != other.id for other in holders):
                    holders.append(patient)
        if len(holders) > 1:
            raise ValidationError(
                N_("The local ID {local_id} names more than one patient here ({names}): "
                   "another desk gave the same ID. Use the PESEL or document instead."),
                local_id=canonical_local_id(local_id),
                names=", ".join(f"{p.first_name} {p.last_name} ({p.local_id})"
                                for p in holders))
        return holders[0] if holders else None

    def by_document(self, document_type: DocumentType, number: str) -> Patient | None:
        return self._one("document_type = ? AND document_number = ?", (str(document_type), number))

    def merged_into(self, patient_id: int) -> int | None:
        """The patient a merged duplicate now lives on, or None."""
        value = scalar(self.db, "SELECT merged_into FROM patients WHERE id = ?", (patient_id,))
        return None if value is None else int(value)

    def survivor(self, patient_id: int) -> int:
        """Where a patient lives now: itself, or the patient it was merged into."""
        return self.merged_into(patient_id) or patient_id

    def visit_count(self, patient_id: int) -> int:
        return int(scalar(self.db, "SELECT COUNT(*) FROM visits WHERE patient_id = ?",
                          (patient_id,)))

    def visits_known_to_cer(self, patient_id: int, since: dt.datetime) -> list[tuple[int, str]]:
        """(visit id, CeR id or "") of the patient's visits that CeR holds, or may hold, under
        this patient's identity and that reconciliation still compares: not cancelled, on the
        waiting list or on a term starting at ``since`` or later, and confirmed (a CeR id) or
        with an outbox row that may have reached CeR or did."""
        rows = fetch_all(
            self.db,
            "SELECT v.id, v.cer_id FROM visits AS v LEFT JOIN slots AS s ON s.id = v.slot_id "
            "WHERE v.patient_id = ? AND v.state <> 'cancelled' "
            "AND (v.slot_id IS NULL OR s.start_utc >= ?) "
            "AND (v.cer_id IS NOT NULL OR EXISTS (SELECT 1 FROM outbox AS o "
            "WHERE o.visit_id = v.id AND o.op <> 'cancel' "
            "AND o.state IN ('sending', 'sent', 'ambiguous', 'done'))) ORDER BY v.id",
            (patient_id, utc_text(since)),
        )
        return [(int(row["id"]), row["cer_id"] or "") for row in rows]

    def count(self) -> int:
        return int(scalar(self.db, "SELECT COUNT(*) FROM patients WHERE merged_into IS NULL"))

    def search(self, text: str, limit: int = 20) -> list[Patient]:
        """What the desk's search box finds, best guess first:

        - ``L-000123`` (or ``l-12``): local ID prefix;
        - digits (spaces, dashes allowed): PESEL prefix, then phone numbers containing those
          digits from the start of the national number (``600 123`` finds ``+48600123456``);
        - ``+48...``: phone prefix;
        - anything else: surname prefix, optionally followed by a first-name prefix
          ("kowal j"), or a first name followed by a surname ("zofia kowalczyk"), case- and
          diacritic-insensitive ("zolw" finds "Żółw").
        Merged duplicates are never returned.
        """
        text = text.strip()
        if not text or limit <= 0:
            return []
        query = parse_local_id(text)
        if query is not None:
            return self._search_local_id(query, limit)
        compact = _PHONE_DECOR.sub("", text)
        if _DIGITS.fullmatch(compact):
            return self._search_digits(compact, limit)
        return self._search_name(text, limit)

    def _search_local_id(self, query: LocalIdQuery, limit: int) -> list[Patient]:
        """``L-12`` means L-000012 (the desk reads IDs off paper without the zeros) and, on a
        desk with a workstation prefix, also this desk's ``L-R1-000012``; ``L-R2-7`` means
        L-R2-000007, also when another desk gave it (a queue import); a longer zero-padded
        fragment (``L-0001``, ``L-R1-00``) is a prefix."""
        exact = [query.exact()] if query.exact() else []
        own = self.db.workstation
        if query.prefix is None and query.digits and own is not None:
            exact.append(format_local_id(int(query.digits), own.prefix))
        found: list[Patient] = []
        for local_id in filter(None, exact):
            for patient in self.holders_of_local_id(local_id):
                if all(patient.id != other.id for other in found):
                    found.append(patient)
        for patient in self._prefix("local_id", query.start(), "local_id", limit):
            if len(found) < limit and all(patient.id != other.id for other in found):
                found.append(patient)
        return found[:limit]

    def _search_digits(self, compact: str, limit: int) -> list[Patient]:
        found: list[Patient] = []
        if not compact.startswith("+"):
            found = self._prefix("pesel", compact, "pesel", limit)
        digits = compact.lstrip("+")
        if len(digits) >= _MIN_PHONE_DIGITS and len(found) < limit:
            prefixes = [compact] if compact.startswith("+") else ["+48" + digits, "+" + digits]
            seen = {patient.id for patient in found}
            for prefix in prefixes:
                for patient in self._prefix("phone", prefix, "phone, last_name_folded", limit):
                    if patient.id not in seen and len(found) < limit:
                        seen.add(patient.id)
                        found.append(patient)
        return found

    def _search_name(self, text: str, limit: int) -> list[Patient]:
        """Surname first ("kowalczyk zofia"), then - for two or more words - first name first
        ("zofia kowalczyk": the last word as the surname), as people say a name."""
        folded = fold(text)
        found = self._names(*_surname_first(folded.split(" ", 1)), limit)
        if " " in folded and len(found) < limit:
            first, surname = folded.rsplit(" ", 1)
            seen = {patient.id for patient in found}
            found += [patient for patient in self._names(surname, first, limit - len(found))
                      if patient.id not in seen]
        return found

    def _names(self, surname: str, first: str, limit: int) -> list[Patient]:
        sql = (
            f"SELECT {_COLUMNS} FROM patients WHERE last_name_folded >= ? "
            "AND last_name_folded < ? AND merged_into IS NULL"
        )
        params: list[Any] = [surname, prefix_upper_bound(surname)]
        if first:
            sql += " AND first_name_folded >= ? AND first_name_folded < ?"
            params += [first, prefix_upper_bound(first)]
        sql += " ORDER BY last_name_folded, first_name_folded, id LIMIT ?"
        params.append(limit)
        return [_patient(row) for row in fetch_all(self.db, sql, params)]

    def _prefix(self, column: str, prefix: str, order: str, limit: int) -> list[Patient]:
        # Column names come from this module only, never from input.
        rows = fetch_all(
            self.db,
            f"SELECT {_COLUMNS} FROM patients WHERE {column} >= ? AND {column} < ? "
            f"AND merged_into IS NULL ORDER BY {order} LIMIT ?",
            (prefix, prefix_upper_bound(prefix), limit),
        )
        return [_patient(row) for row in rows]

    def _one(self, where: str, params: tuple[Any, ...]) -> Patient | None:
        row = fetch_one(self.db, f"SELECT {_COLUMNS} FROM patients WHERE {where}", params)
        return None if row is None else _patient(row)


def _surname_first(parts: list[str]) -> tuple[str, str]:
    return parts[0], parts[1] if len(parts) > 1 else ""


def _doc_type(ident: PatientIdentifier) -> str | None:
    if ident.pesel or ident.document_type is None:
        return None
    return str(ident.document_type)


def _patient(row: dict[str, Any]) -> Patient:
    if row["pesel"]:
        identifier = PatientIdentifier(pesel=row["pesel"])
    else:
        identifier = PatientIdentifier(
            document_type=DocumentType(row["document_type"]),
            document_number=row["document_number"],
        )
    return Patient(
        identifier=identifier,
        first_name=row["first_name"],
        last_name=row["last_name"],
        phone=row["phone"],
        birth_date=parse_day(row["birth_date"]),
        sex=Sex(row["sex"]),
        local_id=row["local_id"],
        id=row["id"],
    )


def _identity_conflict(db: Database, error: Exception) -> Exception:
    """The user-facing conflict behind a UNIQUE failure (on either engine); any other integrity
    error (a CHECK: a caller's bug) is returned as it is."""
    violated = db.violation(error)
    if violated == PATIENT_PESEL:
        return ConflictError(N_("A patient with this PESEL is already registered."))
    if violated == PATIENT_DOCUMENT:
        return ConflictError(N_("A patient with this identity document is already registered."))
    if violated == PATIENT_LOCAL_ID:
        return ConflictError(N_("This local patient ID is already in use."))
    return error
