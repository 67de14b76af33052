"""Merging a desk's offline queue back into the practice database, each change exactly once.

While the practice server was away the desk booked, cancelled and rescheduled on its local
copy (``store/local_copy.py``); every change left a row in the copy's outbox, as in CeR
emergency mode. When the server answers again, :func:`merge` applies those rows, oldest first,
to the practice database with the CeR replay's rules (``sync/replay_booking.py``), the practice
database being the first upstream:

- ``book``: the same term if it is still free there (and has not started), else the nearest
  term the rules allow (``sync.terms.propose_term``: same scope and place, at least
  ``MIN_LEAD`` ahead, published in CeR when the schedule is), else the waiting list. A patient
  the desk registered offline keeps the local ID it was given (workstation-prefixed); one the
  practice already knows (same PESEL or document) is that patient.
  A booking the desk cancelled again before the merge is not booked at all.
- ``cancel``: the visit is cancelled if still live there.
- ``change``: the visit moves to the new term, else the nearest allowed one, else the waiting
  list.

A booking that did not keep its term is on the call list (``services/call_list.py`` reads
``practice_merges``). Every change goes through the practice database's own booking path, so
it writes the practice's CeR outbox row in the same transaction: if CeR is down too, the
entries simply wait in the practice's CeR queue after the merge.

Exactly once: rows go in chunks; one practice-database transaction applies a chunk AND records
each row's key in ``practice_merges`` (``store/practice_merge.py``); only then is the chunk
marked merged in the desk's copy. A kill between the two leaves keys the next merge finds and
skips; a desk restored from an old backup finds its old keys there too. The practice's writer
lock (``store.db.atomic``) makes two desks merging at the same moment take turns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from recepcja.crashpoints import crash_point
from recepcja.domain.entities import Patient, PatientIdentifier, Slot, Visit
from recepcja.domain.errors import N_, ConflictError, DomainError, ValidationError
from recepcja.domain.model import SlotState, VisitState
from recepcja.store.codec import utc_now
from recepcja.store.db import Database, atomic
from recepcja.store.practice_merge import (
    PracticeMerges,
    book_on_waiting_list,
    known_patients,
    known_visits,
    mark_merged,
    offline_rows,
    slots_by_id,
)
from recepcja.store.records import OutboxOp
from recepcja.store.repos import Repositories
from recepcja.store.working_records import OutboxEntry, VisitRecord
from recepcja.sync.terms import bookable_for, in_emergency, propose_term

CHUNK = 200

Clock = Callable[[], dt.datetime]


@dataclass
class MergeReport:
    """What one merge did: outcomes counted, and the rows already merged before (skipped)."""

    outcomes: dict[str, int] = field(default_factory=dict)
    already_merged: int = 0

    @property
    def merged(self) -> int:
        return sum(self.outcomes.values())

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


class _Applier:
    """Applies one offline row to the practice database (inside the chunk's transaction)."""

    def __init__(self, practice: Repositories, copy: Repositories, now: dt.datetime,
                 rows: list[OutboxEntry]) -> None:
        self.practice = practice
        self.copy = copy
        self.now = now
        # What the chunk needs from both sides, read once for the chunk: its offline visits
        # and their patients from the copy; from the practice database the visits it already
        # has (by uid), the patients they name, the terms they were booked on, and whether the
        # practice's CeR is in emergency mode.
        self.visits = {row.id: copy.visits.get(row.visit_id) for row in rows
                       if row.op == OutboxOp.BOOK and row.visit_id is not None}
        self.patients = {visit.patient_id: copy.patients.get(visit.patient_id)
                         for visit in self.visits.values() if visit is not None}
        db = practice.db
        self.known_uids = known_visits(db, [v.visit_uid for v in self.visits.values() if v])
        self.known = known_patients(db, [p for p in self.patients.values() if p is not None])
        self.slots = slots_by_id(db, [int(row.payload["slot_id"]) for row in rows
                                      if row.op == OutboxOp.BOOK and row.payload.get("slot_id")])
        self.emergency = in_emergency(practice)

    def apply(self, entry: OutboxEntry) -> dict[str, Any]:
        handlers: dict[str, Callable[[OutboxEntry], dict[str, Any]]] = {
            OutboxOp.BOOK: self.book, OutboxOp.CANCEL: self.cancel,
                    OutboxOp.CHANGE: self.change}
        handler = handlers.get(entry.op)
        if handler is None:
            return {"outcome": "skipped"}
        # Every write below is a savepoint of its own (the repositories' ``atomic``): a refused
        # row leaves the chunk's transaction whole, with nothing of its own in it.
        try:
            return handler(entry)
        except DomainError as error:
            return {"outcome": "rejected", "reason": str(error)}

    # -- book -------------------------------------------------------------------------------

    def book(self, entry: OutboxEntry) -> dict[str, Any]:
        visit = self.visits.get(entry.id)
        if visit is None or visit.state == VisitState.CANCELLED:
            # Cancelled on the desk before it ever reached the practice database: nothing to
            # book (the CeR replay's rule); its cancel row finds nothing live and is skipped.
            return {"outcome": "skipped"}
        existing = self.known_uids.get(visit.visit_uid)
        if existing is not None:
            return {"outcome": "booked", "visit_id": existing}
        patient_id = self._patient(visit.patient_id, entry.created_by)
        slot_id = entry.payload.get("slot_id") or visit.slot_id
        original = (self.slots.get(int(slot_id)) or self.practice.slots.get(int(slot_id))
                    if slot_id is not None else None)
        original_start = original.start if original is not None else None
        result: dict[str, Any] = {"original_start": _text(original_start)}
        if original is not None:
            booked = self._try_book(entry, visit, patient_id, original)
            if booked is not None:
                return {**result, "outcome": "booked", "visit_id": booked}
        for slot in self._nearest(visit, original):
            booked = self._try_book(entry, visit, patient_id, slot)
            if booked is not None:
                return {**result, "outcome": "moved", "visit_id": booked,
                        "new_start": _text(slot.start)}
        placed = book_on_waiting_list(
            self.practice.db, visit.as_visit(), user=entry.created_by,
            scope_code=visit.scope_code, payload={**entry.payload, "patient_id": patient_id})
        return {**result, "outcome": "waiting_list", "visit_id": placed}

    def _bookable(self, slot: Slot) -> bool:
        return slot.state == SlotState.FREE and slot.start > self.now

    def _try_book(self, entry: OutboxEntry, visit: VisitRecord, patient_id: int,
                  slot: Slot) -> int | None:
        """The visit booked on ``slot`` with its CeR outbox row, or None: taken, blocked,
        started."""
        if slot.id is None or not self._bookable(slot):
            return None
        booked = Visit(visit_uid=visit.visit_uid, patient_id=patient_id, slot_id=slot.id,
                       urgency=visit.urgency, central_request_id=visit.central_request_id,
                       referral_id=visit.referral_id, referral_key=visit.referral_key)
        try:  # its own savepoint: a taken term rolls back to it
            return self.practice.visits.book(
                booked, slot.id, entry.created_by,
                central_request_date=visit.central_request_date,
                emergency=self.emergency).visit_id
        except ConflictError:
            return None

    def _nearest(self, visit: VisitRecord, lost: Slot | None) -> Iterator[Slot]:
        """Terms the rules allow, nearest first, until one can be booked."""
        schedule = self.practice.schedules.get(lost.schedule_id) if lost is not None else None
        scope = visit.scope_code or (schedule.scope_code if schedule is not None else None)
        if scope is None:
            return
        tried: set[int] = {lost.id} if lost is not None and lost.id is not None else set()
        fits = bookable_for(scope, bool(visit.referral_id or visit.referral_key))
        while True:
            slot = propose_term(self.practice, scope, visit.urgency, now=self.now,
                                place_id=schedule.place_id if schedule is not None else None,
                                exclude=tried, fits=fits,
                                published_only=bool(schedule is not None and schedule.cer_id))
            if slot is None or slot.id is None:
                return
            tried.add(slot.id)
            yield slot

    def _patient(self, copy_patient_id: int, user: str) -> int:
        """The practice's patient for the copy's: the one with its PESEL or document; else
        registered now with the local ID the desk gave offline."""
        local = self.patients.get(copy_patient_id)
        if local is None:
            raise ValidationError(N_("The patient of this visit is missing from the desk's copy."))
        found = self.known.find(local)
        if found is not None:
            return found
        # A new patient keeps the local ID the desk gave it (on the slip the patient holds);
        # should another patient have it meanwhile, the practice database gives a new one.
        ident = local.identifier
        fresh = Patient(identifier=PatientIdentifier(ident.pesel, ident.document_type,
                                                     ident.document_number),
                        first_name=local.first_name, last_name=local.last_name,
                        phone=local.phone, birth_date=local.birth_date, sex=local.sex,
                        local_id=None if self.known.local_id_taken(local.local_id)
                        else local.local_id)
        patient_id = self.practice.patients.add(fresh, user)
        self.known.add(patient_id, fresh)
        return patient_id

    # -- cancel and change ---------------------------------------------------------------------

    def _live(self, entry: OutboxEntry) -> VisitRecord | None:
        visit = self.practice.visits.by_uid(str(entry.payload.get("visit_uid") or ""))
        if visit is None or visit.state not in (VisitState.PENDING, VisitState.CONFIRMED):
            return None
        return visit

    def cancel(self, entry: OutboxEntry) -> dict[str, Any]:
        visit = self._live(entry)
        if visit is None:
            return {"outcome": "skipped"}
        self.practice.visits.cancel(visit.id, str(entry.payload.get("reason") or "-"),
                                    entry.created_by, emergency=self.emergency)
        return {"outcome": "cancelled", "visit_id": visit.id}

    def change(self, entry: OutboxEntry) -> dict[str, Any]:
        visit = self._live(entry)
        if visit is None:
            return {"outcome": "skipped"}
        wanted = entry.payload.get("to_slot_id")
        target = self.practice.slots.get(int(wanted)) if wanted is not None else None
        result: dict[str, Any] = {"visit_id": visit.id,
                                  "original_start": _text(target.start if target else None)}
        if target is not None and self._try_move(visit, target, entry.created_by):
            return {**result, "outcome": "changed"}
        for slot in self._nearest(visit, target):
            if slot.id != visit.slot_id and self._try_move(visit, slot, entry.created_by):
                return {**result, "outcome": "moved", "new_start": _text(slot.start)}
        self.practice.visits.to_waiting_list(visit.id, entry.created_by)
        return {**result, "outcome": "waiting_list"}

    def _try_move(self, visit: VisitRecord, slot: Slot, user: str) -> bool:
        if slot.id is None or slot.id == visit.slot_id or not self._bookable(slot):
            return False
        try:
            self.practice.visits.move(visit.id, slot.id, user, emergency=self.emergency)
        except ConflictError:
            return False
        return True


def merge(practice_db: Database, copy_db: Database, *, workstation: str,
          clock: Clock = utc_now, chunk: int = CHUNK) -> MergeReport:
    """Apply every unmerged offline row of the desk's copy to the practice database, exactly
    once (see the module docstring). Safe to call again at any time, after any crash."""
    _same_practice(practice_db, copy_db)
    report = MergeReport()
    practice = Repositories.over(practice_db, clock)
    copy = Repositories.over(copy_db, clock)
    merges = PracticeMerges(practice_db)
    while True:
        rows = offline_rows(copy_db, chunk)
        if not rows:
            return report
        marks: list[tuple[int, str, dict[str, Any]]] = []
        merged: list[tuple[str, str, dict[str, Any]]] = []
        with atomic(practice_db):
            known = merges.known(row.idempotency_key for row in rows)
            applier = _Applier(practice, copy, clock(),
                               [row for row in rows if row.idempotency_key not in known])
            for row in rows:
                before = known.get(row.idempotency_key)
                if before is not None:
                    report.already_merged += 1
                    result = {"outcome": before.outcome, "visit_id": before.visit_id,
                              **before.detail}
                else:
                    result = applier.apply(row)
                    merged.append((row.idempotency_key, row.op, result))
                    report.add(result["outcome"])
                marks.append((row.id, "rejected" if result["outcome"] == "rejected" else "done",
                               result))
            # Each key with its change: the same transaction.
            merges.record(merged, workstation=workstation, now=applier.now)
        crash_point("practice_merge.after_practice_commit")
        mark_merged(copy_db, marks)
        crash_point("practice_merge.after_local_mark")


def _text(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class ForeignQueue(DomainError):
    """The desk's offline queue was made on a copy of another practice database."""


def _same_practice(practice_db: Database, copy_db: Database) -> None:
    """A queue goes only to the practice database its copy was taken from (a desk moved to
    another practice's database keeps its old queue - export it - and merges nothing there)."""
    from recepcja.store.local_copy import info
    from recepcja.store.migrations import database_uuid

    taken_from = info(copy_db).practice_uuid
    if taken_from and taken_from != database_uuid(practice_db):
        raise ForeignQueue(N_("This desk's offline queue was made on a copy of another practice "
                              "database; nothing was merged. Export it from the emergency queue "
                              "and enter it by hand."))
