"""The store side of merging a desk's offline changes into the practice database.

Two ledgers make the merge exactly once (``sync/practice_merge.py`` runs it):

- on the practice database, ``practice_merges``: one row per merged change, keyed by the
  desk's outbox idempotency key (``book:<visit_uid>``, ``cancel:<uuid>``...), written in the
  SAME transaction as the change it applies. A key found there is never applied again -
  whether the desk was killed before it noted the merge, or restored from an old backup;
- on the desk's local copy, the outbox row itself: ``done`` (or ``rejected``) with what became
  of it in ``result``, once the practice database has committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from recepcja.domain.entities import Patient, Slot, Visit
from recepcja.domain.model import VisitSource, VisitState
from recepcja.store.codec import from_json, optional_parse_utc, to_json, utc_now, utc_text
from recepcja.store.db import Database, atomic, fetch_all, fetch_one
from recepcja.store.records import OutboxOp
from recepcja.store.visits import VisitRepo
from recepcja.store.working_records import OutboxEntry

# The local copy's offline rows the merge takes, oldest first.
_OPEN = "('queued', 'sending', 'sent', 'failed', 'ambiguous')"
CALL_OUTCOMES = ("moved", "waiting_list")


@dataclass(frozen=True, slots=True)
class MergeRecord:
    key: str
    workstation: str
    op: str
    outcome: str
    visit_id: int | None
    original_start: dt.datetime | None
    detail: dict[str, Any]
    merged_at: dt.datetime


class PracticeMerges:
    """``practice_merges`` on the practice database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str) -> MergeRecord | None:
        row = fetch_one(self.db, "SELECT * FROM practice_merges WHERE key = ?", (key,))
        return None if row is None else _record(row)

    def known(self, keys: Iterable[str]) -> dict[str, MergeRecord]:
        wanted = list(keys)
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        rows = fetch_all(self.db, f"SELECT * FROM practice_merges WHERE key IN ({marks})",
                         wanted)
        return {row["key"]: _record(row) for row in rows}

    def record(self, merged: Iterable[tuple[str, str, dict[str, Any]]], *, workstation: str,
               now: dt.datetime | None = None) -> None:
        """``(key, op, result)`` of each merged row, inside the caller's transaction (the one
        applying the changes): one batch (psycopg sends it pipelined)."""
        moment = utc_text(now or utc_now())
        rows = [(key, workstation, op, result["outcome"], result.get("visit_id"),
                 _utc(result.get("original_start")), to_json(result), moment)
                for key, op, result in merged]
        if rows:
            self.db.conn.executemany(
                "INSERT INTO practice_merges (key, workstation, op, outcome, visit_id, "
                "original_start, detail, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def calls(self) -> list[MergeRecord]:
        """Merged bookings that did not keep their term, oldest first (the call list's)."""
        rows = fetch_all(self.db, "SELECT * FROM practice_merges WHERE outcome IN "
                         "('moved', 'waiting_list') ORDER BY merged_at, key")
        return [_record(row) for row in rows]

    def count(self) -> int:
        row = self.db.conn.execute("SELECT count(*) FROM practice_merges").fetchone()
        return int(row[0])


def known_visits(db: Database, uids: Iterable[str | None]) -> dict[str, int]:
    """Visit ids by ``visit_uid`` of those among ``uids`` the database already has."""
    wanted = [uid for uid in uids if uid]
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = db.conn.execute(f"SELECT visit_uid, id FROM visits WHERE visit_uid IN ({marks})",
                           wanted).fetchall()
    return {str(uid): int(visit_id) for uid, visit_id in rows}


@dataclass
class KnownPatients:
    """The practice's patients a chunk of offline bookings may name, read in two queries:
    by local ID (their own or an alias another desk gave them), PESEL and document."""

    by_local_id: dict[str, int]
    by_pesel: dict[str, int]
    by_document: dict[tuple[str, str], int]
    merged_into: dict[int, int]

    def find(self, patient: Patient) -> int | None:
        """The practice's patient with this PESEL or document (what CeR knows a patient by;
        every patient has one), else None."""
        ident = patient.identifier
        found = self.by_pesel.get(ident.pesel) if ident.pesel else None
        if found is None and ident.document_type and ident.document_number:
            found = self.by_document.get((str(ident.document_type), ident.document_number))
        return self.merged_into.get(found, found) if found is not None else None

    def local_id_taken(self, local_id: str | None) -> bool:
        return bool(local_id) and local_id in self.by_local_id

    def add(self, patient_id: int, patient: Patient) -> None:
        """A patient registered during the chunk (a later row may name it again)."""
        ident = patient.identifier
        if patient.local_id:
            self.by_local_id[patient.local_id] = patient_id
        if ident.pesel:
            self.by_pesel[ident.pesel] = patient_id
        if ident.document_type and ident.document_number:
            self.by_document[(str(ident.document_type), ident.document_number)] = patient_id


def known_patients(db: Database, patients: Iterable[Patient]) -> KnownPatients:
    wanted = list(patients)
    known = KnownPatients({}, {}, {}, {})
    local_ids = sorted({p.local_id for p in wanted if p.local_id})
    pesels = sorted({p.identifier.pesel for p in wanted if p.identifier.pesel})
    documents = sorted({p.identifier.document_number for p in wanted
                        if p.identifier.document_number})
    terms, params = [], []
    for column, values in (("local_id", local_ids), ("pesel", pesels),
                           ("document_number", documents)):
        if values:
            terms.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params += values
    if not terms:
        return known
    for row in db.conn.execute(
            "SELECT id, local_id, pesel, document_type, document_number, merged_into "
            f"FROM patients WHERE {' OR '.join(terms)}", params).fetchall():
        patient_id, local_id, pesel, doc_type, doc_number, merged_into = row
        known.by_local_id[local_id] = patient_id
        if pesel:
            known.by_pesel[pesel] = patient_id
        if doc_type and doc_number:
            known.by_document[(doc_type, doc_number)] = patient_id
        if merged_into is not None:
            known.merged_into[patient_id] = merged_into
    if local_ids:
        marks = ", ".join("?" for _ in local_ids)
        for alias, patient_id in db.conn.execute(
                f"SELECT alias, patient_id FROM patient_aliases WHERE alias IN ({marks})",
                local_ids).fetchall():
            known.by_local_id.setdefault(alias, patient_id)
    return known


def slots_by_id(db: Database, slot_ids: Iterable[int]) -> dict[int, Slot]:
    """The slots ``slot_ids`` name, in one query."""
    from recepcja.store.schedules import _SLOT_COLUMNS, _slot

    wanted = sorted({int(slot_id) for slot_id in slot_ids})
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = fetch_all(db, f"SELECT {_SLOT_COLUMNS} FROM slots WHERE id IN ({marks})", wanted)
    return {row["id"]: _slot(row) for row in rows}


def book_on_waiting_list(db: Database, visit: Visit, *, user: str, scope_code: str | None,
                         payload: dict[str, Any], emergency: bool = False) -> int:
    """A visit that found no term: stored on the waiting list with its ``book`` row, which the
    CeR replay turns into CeR's central waiting list (``sync/replay_booking.py``)."""
    visits = VisitRepo(db)
    visit.state = VisitState.WAITING_LIST
    with atomic(db):
        visit_id = visits._insert(visit, None, source=VisitSource.DESK, user=user,
                                  scope_code=scope_code, central_request_date=None)
        visits.outbox.enqueue(OutboxOp.BOOK, {**payload, "slot_id": None}, user=user,
                              visit_id=visit_id, emergency=emergency,
                              idempotency_key=f"book:{visit.visit_uid}")
        visits.audit.record(user, "visit.waiting_list", patient_id=visit.patient_id,
                            visit_id=visit_id, detail="merged from a desk's offline queue")
    visit.id = visit_id
    return visit_id


# --- the desk's side: its local copy's outbox --------------------------------------------------


def offline_rows(copy: Database, limit: int = 100) -> list[OutboxEntry]:
    """The desk's offline changes not merged yet, in the order they were made."""
    from recepcja.store.outbox import _entry

    rows = fetch_all(copy, f"SELECT * FROM outbox WHERE state IN {_OPEN} ORDER BY id LIMIT ?",
                     (limit,))
    return [_entry(row) for row in rows]


def mark_merged(copy: Database, results: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
    """Note in the desk's queue, in one transaction, what became of merged rows:
    ``(row id, 'done' | 'rejected', result)``."""
    now = utc_text(utc_now())
    with atomic(copy):
        copy.conn.executemany(
            "UPDATE outbox SET state = ?, result = ?, updated_at = ?, last_error = ? "
            "WHERE id = ?",
            [(state, to_json(result), now, result.get("reason") if state == "rejected" else None,
              row_id) for row_id, state, result in results])


def _utc(text: Any) -> str | None:
    """An ISO time (any offset) as the store's UTC text."""
    if not isinstance(text, str) or not text:
        return None
    return utc_text(dt.datetime.fromisoformat(text))


def _record(row: dict[str, Any]) -> MergeRecord:
    return MergeRecord(
        key=row["key"],
        workstation=row["workstation"],
        op=row["op"],
        outcome=row["outcome"],
        visit_id=row["visit_id"],
        original_start=optional_parse_utc(row["original_start"]),
        detail=from_json(row["detail"]) or {},
        merged_at=optional_parse_utc(row["merged_at"]) or utc_now(),
    )
