"""Visits: booking, cancelling and moving terms - each ONE transaction with its outbox row and
its audit row, so the desk, CeR and the audit trail can never tell different stories.

Double booking is refused by the database (a partial UNIQUE index on live visits per slot), not
by a check here that a second connection could race past; this module turns the refusal into a
ConflictError the desk can show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from recepcja.domain.entities import Visit
from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.model import Attendance, VisitSource, VisitState
from recepcja.store.codec import optional_utc_text, utc_now, utc_text
from recepcja.store.day_sheets import LIVE_SQL as _LIVE
from recepcja.store.day_sheets import LiveVisitRow, day_sheets, live_in_schedule, visit_record
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, insert_id, scalar
from recepcja.store.dialect import LIVE_VISIT_PER_SLOT, VISIT_CER_ID, VISIT_UID
from recepcja.store.logs import AuditLog
from recepcja.store.outbox import OutboxRepo, book_key
from recepcja.store.records import Booked, OutboxOp
from recepcja.store.working_records import DayEntry, VisitRecord

Clock = Callable[[], dt.datetime]

_TAKEN = N_("This term is already taken.")


class VisitRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.outbox = OutboxRepo(db, clock)
        self.audit = AuditLog(db, clock)

    # --- writes ----------------------------------------------------------------------------

    def book(
        self,
        visit: Visit,
        slot_id: int,
        user: str,
        outbox_payload: dict[str, Any] | None = None,
        *,
        source: VisitSource = VisitSource.DESK,
        central_request_date: dt.datetime | None = None,
        emergency: bool = False,
        referral_take: dict[str, Any] | None = None,
    ) -> Booked:
        """Book ``slot_id`` for the visit: insert the visit, mark the slot booked, queue the
        ``book`` operation for CeR and write the audit row - all or nothing. Sets ``visit.id``;
        returns the visit's id and its outbox row's.
        ``referral_take``: the payload of taking the visit's e-referral into realisation, queued
        after the booking in the same transaction (once per visit: ``referral_take:<uid>``).

        Raises ConflictError when the term is taken (refused by the database), blocked, or the
        visit (its ``visit_uid``) is already recorded.
        """
        with atomic(self.db):
            scope_code = self._bookable(slot_id)
            visit_id = self._insert(
                visit,
                slot_id,
                source=source,
                user=user,
                scope_code=scope_code,
                central_request_date=central_request_date,
            )
            self._set_slot(slot_id, "booked")
            payload = outbox_payload or _default_payload(visit, slot_id)
            outbox_id = self.outbox.enqueue(
                OutboxOp.BOOK,
                payload,
                user=user,
                visit_id=visit_id,
                emergency=emergency,
                idempotency_key=book_key(visit.visit_uid),
            )
            if referral_take is not None:
                self.outbox.enqueue(
                    OutboxOp.REFERRAL_TAKE,
                    referral_take,
                    user=user,
                    visit_id=visit_id,
                    emergency=emergency,
                    idempotency_key=f"referral_take:{visit.visit_uid}",
                )
            self.audit.record(
                user,
                "visit.book",
                patient_id=visit.patient_id,
                visit_id=visit_id,
                detail=f"slot {slot_id}" + (" (emergency)" if emergency else ""),
            )
        visit.id, visit.slot_id = visit_id, slot_id  # only once it is really stored
        return Booked(visit_id, outbox_id)

    def record_from_cer(
        self,
        visit: Visit,
        slot_id: int | None,
        source: VisitSource,
        *,
        cer_version: str | None = None,
        user: str = "CeR",
    ) -> int:
        """Store a visit CeR already has (portal, another provider, waiting room, read-back
        repair): no outbox row, CeR is the origin. Raises ConflictError if the slot is held."""
        with atomic(self.db):
            scope_code = None if slot_id is None else self._scope_of(slot_id)
            visit_id = self._insert(
                visit,
                slot_id,
                source=source,
                user=user,
                scope_code=scope_code,
                central_request_date=None,
                cer_version=cer_version,
            )
            if slot_id is not None and visit.state in (VisitState.PENDING, VisitState.CONFIRMED):
                self._set_slot(slot_id, "booked")
            self.audit.record(
                user, f"visit.from_cer.{source}", patient_id=visit.patient_id, visit_id=visit_id
            )
        visit.id, visit.slot_id = visit_id, slot_id
        return visit_id

    def import_many(
        self, visits: Iterable[Visit], user: str, *, source: VisitSource = VisitSource.INITIAL_LOAD
    ) -> int:
        """Bulk load (visits booked before joining CeR, bench data) in one transaction with one
        summary audit row and no outbox rows: the initial load goes to CeR as one operation.
        All or nothing; a double booking raises ConflictError."""
        stored: list[tuple[Visit, int]] = []
        with atomic(self.db):
            for visit in visits:
                visit_id = self._insert(
                    visit,
                    visit.slot_id,
                    source=source,
                    user=user,
                    scope_code=None,
                    central_request_date=None,
                )
                stored.append((visit, visit_id))
                if visit.slot_id is not None and visit.state in (
                    VisitState.PENDING,
                    VisitState.CONFIRMED,
                ):
                    self._set_slot(visit.slot_id, "booked")
            self.audit.record(user, "visit.import", detail=f"{len(stored)} visits ({source})")
        for visit, visit_id in stored:
            visit.id = visit_id
        return len(stored)

    def cancel(
        self,
        visit_id: int,
        reason: str,
        user: str,
        outbox_payload: dict[str, Any] | None = None,
        *,
        expected_version: int | None = None,
        notify_cer: bool = True,
        emergency: bool = False,
    ) -> None:
        """Cancel a visit and free its slot, with its ``cancel`` outbox row and audit row.
        ``notify_cer=False`` when CeR itself told us (a portal cancellation)."""
        with atomic(self.db):
            record = self._current(visit_id, expected_version)
            if record.state == VisitState.CANCELLED:
                raise ConflictError(N_("This visit is already cancelled."))
            self.db.conn.execute(
                "UPDATE visits SET state = 'cancelled', cancelled_at = ?, cancelled_reason = ?, "
                "updated_at = ?, version = version + 1 WHERE id = ?",
                (utc_text(self.clock()), reason, utc_text(self.clock()), visit_id),
            )
            if record.slot_id is not None:
                self._release(record.slot_id)
            if notify_cer:
                payload = outbox_payload or {
                    "visit_uid": record.visit_uid,
                    "cer_id": record.cer_id,
                    "reason": reason,
                }
                self.outbox.enqueue(
                    OutboxOp.CANCEL, payload, user=user, visit_id=visit_id, emergency=emergency
                )
            if record.referral_key:  # given back in P1, if it was ever taken (the replay knows)
                self.outbox.enqueue(
                    OutboxOp.REFERRAL_GIVE_BACK, {"key": record.referral_key}, user=user,
                    visit_id=visit_id, emergency=emergency,
                    idempotency_key=f"referral_give_back:{record.visit_uid}",
                )
            self.audit.record(
                user,
                "visit.cancel",
                patient_id=record.patient_id,
                visit_id=visit_id,
                detail=reason,
            )

    def move(
        self,
        visit_id: int,
        new_slot_id: int,
        user: str,
        outbox_payload: dict[str, Any] | None = None,
        *,
        expected_version: int | None = None,
        notify_cer: bool = True,
        emergency: bool = False,
    ) -> None:
        """Move a live visit to another slot (reschedule, absence, replay to the nearest term):
        the old slot is freed and the new one booked in the same transaction, with a ``change``
        outbox row. Raises ConflictError if the new term is taken or blocked."""
        with atomic(self.db):
            record = self._current(visit_id, expected_version)
            if record.state not in (VisitState.PENDING, VisitState.CONFIRMED):
                raise ConflictError(N_("Only a booked visit can be moved."))
            scope_code = self._bookable(new_slot_id)
            try:
                self.db.conn.execute(
                    "UPDATE visits SET slot_id = ?, scope_code = COALESCE(?, scope_code), "
                    "updated_at = ?, version = version + 1 WHERE id = ?",
                    (new_slot_id, scope_code, utc_text(self.clock()), visit_id),
                )
            except self.db.IntegrityError as error:
                raise _visit_conflict(self.db, error) from error
            if record.slot_id is not None and record.slot_id != new_slot_id:
                self._release(record.slot_id)
            self._set_slot(new_slot_id, "booked")
            if notify_cer:
                payload = outbox_payload or {
                    "visit_uid": record.visit_uid,
                    "cer_id": record.cer_id,
                    "from_slot_id": record.slot_id,
                    "to_slot_id": new_slot_id,
                }
                self.outbox.enqueue(
                    OutboxOp.CHANGE, payload, user=user, visit_id=visit_id, emergency=emergency
                )
            if record.referral_key and record.slot_id != new_slot_id:  # P1's date follows,
                self.outbox.enqueue(OutboxOp.REFERRAL_DATE,  # after CeR's row (replay order)
                                    {"key": record.referral_key}, user=user,
                                    visit_id=visit_id, emergency=emergency)
            self.audit.record(
                user,
                "visit.move",
                patient_id=record.patient_id,
                visit_id=visit_id,
                detail=f"slot {record.slot_id} -> {new_slot_id}",
            )

    def to_waiting_list(
        self,
        visit_id: int,
        user: str,
        outbox_payload: dict[str, Any] | None = None,
        *,
        notify_cer: bool = True,
    ) -> None:
        """No term could be found: the visit goes to CeR's central waiting list and lets go of
        its slot (replay's last resort, art. 23e ust. 11)."""
        with atomic(self.db):
            record = self._current(visit_id, None)
            if record.state == VisitState.CANCELLED:
                raise ConflictError(N_("This visit is already cancelled."))
            self.db.conn.execute(
                "UPDATE visits SET state = 'waiting_list', slot_id = NULL, updated_at = ?, "
                "version = version + 1 WHERE id = ?",
                (utc_text(self.clock()), visit_id),
            )
            if record.slot_id is not None:
                self._release(record.slot_id)
            if notify_cer:
                payload = outbox_payload or {"visit_uid": record.visit_uid}
                self.outbox.enqueue(OutboxOp.WAITING_LIST, payload, user=user, visit_id=visit_id)
            self.audit.record(
                user, "visit.waiting_list", patient_id=record.patient_id, visit_id=visit_id
            )

    def confirm(self, visit_id: int, cer_id: str, cer_version: str | None = None) -> None:
        """CeR has the visit: store its id; a pending visit becomes confirmed."""
        with atomic(self.db):
            try:
                self.db.conn.execute(
                    "UPDATE visits SET cer_id = ?, cer_version = COALESCE(?, cer_version), "
                    "state = CASE WHEN state = 'pending' THEN 'confirmed' ELSE state END, "
                    "updated_at = ?, version = version + 1 WHERE id = ?",
                    (cer_id, cer_version, utc_text(self.clock()), visit_id),
                )
            except self.db.IntegrityError as error:
                raise _visit_conflict(self.db, error) from error

    def apply_from_cer(
        self,
        visit_id: int,
        *,
        slot_id: int | None,
        live: bool,
        cer_id: str,
        cer_version: str | None,
        patient_id: int | None = None,
        user: str = "CeR",
    ) -> None:
        """Make a stored visit what CeR says it is (a newer version from a notification or a
        read-back): its slot, live or cancelled, CeR id and version, patient. No outbox row for
        CeR: CeR is the origin. Frees the slot it leaves; raises ConflictError when the slot it
        goes to is held by another live visit. An e-referral's visit CeR holds on another term (a
        waiting-list entry given its term) queues ``referral_date``, as ``move`` does."""
        with atomic(self.db):
            record = self._current(visit_id, None)
            now = utc_text(self.clock())
            state = "confirmed" if live else "cancelled"
            try:
                self.db.conn.execute(
                    "UPDATE visits SET slot_id = ?, state = ?, cer_id = ?, cer_version = ?, "
                    "patient_id = COALESCE(?, patient_id), "
                    "cancelled_at = CASE WHEN ? = 'cancelled' THEN COALESCE(cancelled_at, ?) "
                    "ELSE NULL END, "
                    "cancelled_reason = CASE WHEN ? = 'cancelled' "
                    "THEN COALESCE(cancelled_reason, 'CeR') ELSE NULL END, "
                    "updated_at = ?, version = version + 1 WHERE id = ?",
                    (slot_id, state, cer_id, cer_version, patient_id, state, now, state, now,
                     visit_id),
                )
            except self.db.IntegrityError as error:
                raise _visit_conflict(self.db, error) from error
            if record.slot_id is not None:
                self._release(record.slot_id)
            if slot_id is not None:
                if live:
                    self._set_slot(slot_id, "booked")
                else:
                    self._release(slot_id)
            if live and record.referral_key and slot_id is not None \
                    and slot_id != record.slot_id:
                self.outbox.enqueue(OutboxOp.REFERRAL_DATE, {"key": record.referral_key},
                                    user=user, visit_id=visit_id)
            self.audit.record(
                user,
                "visit.from_cer.update",
                patient_id=patient_id or record.patient_id,
                visit_id=visit_id,
                detail=f"{state}, slot {record.slot_id} -> {slot_id}, CeR version {cer_version}",
            )

    def set_attendance(self, visit_id: int, attendance: Attendance, user: str, *,
                       realise_referral: bool = False) -> None:
        """Record attendance; ``realise_referral``: an arrived patient's e-referral is marked
        realised in P1 (queued in the same transaction, once per visit)."""
        with atomic(self.db):
            record = self._current(visit_id, None)
            if record.state == VisitState.CANCELLED:
                raise ConflictError(N_("This visit is already cancelled."))
            self.db.conn.execute(
                "UPDATE visits SET attendance = ?, updated_at = ?, version = version + 1 "
                "WHERE id = ?",
                (str(attendance), utc_text(self.clock()), visit_id),
            )
            if (realise_referral and record.referral_key
                    and attendance == Attendance.ARRIVED):
                self.outbox.enqueue(
                    OutboxOp.REFERRAL_REALISE, {"key": record.referral_key}, user=user,
                    visit_id=visit_id, idempotency_key=f"referral_realise:{record.visit_uid}",
                )
            self.audit.record(
                user, f"visit.{attendance}", patient_id=record.patient_id, visit_id=visit_id
            )

    # --- reads -----------------------------------------------------------------------------

    def get(self, visit_id: int) -> VisitRecord | None:
        row = fetch_one(self.db, "SELECT * FROM visits WHERE id = ?", (visit_id,))
        return None if row is None else visit_record(row)

    def by_uid(self, visit_uid: str) -> VisitRecord | None:
        row = fetch_one(self.db, "SELECT * FROM visits WHERE visit_uid = ?", (visit_uid,))
        return None if row is None else visit_record(row)

    def by_cer_id(self, cer_id: str) -> VisitRecord | None:
        row = fetch_one(self.db, "SELECT * FROM visits WHERE cer_id = ?", (cer_id,))
        return None if row is None else visit_record(row)

    def live_for_slot(self, slot_id: int) -> VisitRecord | None:
        row = fetch_one(
            self.db, f"SELECT * FROM visits WHERE slot_id = ? AND state IN {_LIVE}", (slot_id,)
        )
        return None if row is None else visit_record(row)

    def live_in_schedule(
        self, schedule_id: int, first_day: dt.date, last_day: dt.date
    ) -> list[LiveVisitRow]:
        """Live visits on the schedule's slots of Warsaw days ``first_day``..``last_day``, with
        their term and patient identity, in time order (``day_sheets.live_in_schedule``)."""
        return live_in_schedule(self.db, schedule_id, first_day, last_day)

    def for_patient(self, patient_id: int) -> list[VisitRecord]:
        rows = fetch_all(
            self.db,
            "SELECT * FROM visits WHERE patient_id = ? ORDER BY created_at DESC, id DESC",
            (patient_id,),
        )
        return [visit_record(row) for row in rows]

    def unconfirmed(self, limit: int = 1000) -> list[VisitRecord]:
        """Live visits CeR has not confirmed yet (sync health, reconciliation)."""
        rows = fetch_all(
            self.db, "SELECT * FROM visits WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,)
        )
        return [visit_record(row) for row in rows]

    def count(self, state: VisitState | None = None) -> int:
        return int(
            scalar(
                self.db,
                "SELECT COUNT(*) FROM visits WHERE (state = :state OR :state IS NULL)",
                {"state": None if state is None else str(state)},
            )
        )

    def day_sheet(self, schedule_id: int, day: dt.date) -> list[DayEntry]:
        """Every slot of a schedule on a Warsaw day with the live visit and patient holding it."""
        return self.sheets(schedule_id, day, day)

    def sheets(self, schedule_id: int, first_day: dt.date, last_day: dt.date) -> list[DayEntry]:
        """``day_sheet`` of several consecutive days in one query (the week view)."""
        return day_sheets(self.db, schedule_id, first_day, last_day)

    # --- helpers ---------------------------------------------------------------------------

    def _insert(
        self,
        visit: Visit,
        slot_id: int | None,
        *,
        source: VisitSource,
        user: str,
        scope_code: str | None,
        central_request_date: dt.datetime | None,
        cer_version: str | None = None,
    ) -> int:
        now = utc_text(self.clock())
        try:
            visit_id = insert_id(
                self.db,
                "INSERT INTO visits (visit_uid, patient_id, slot_id, scope_code, urgency, "
                "central_request_id, central_request_date, referral_id, state, attendance, "
                "cer_id, cer_version, source, created_at, created_by, updated_at, referral_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    visit.visit_uid,
                    visit.patient_id,
                    slot_id,
                    scope_code,
                    str(visit.urgency),
                    visit.central_request_id,
                    optional_utc_text(central_request_date),
                    visit.referral_id,
                    str(visit.state),
                    str(visit.attendance),
                    visit.cer_id,
                    cer_version,
                    str(source),
                    now,
                    user,
                    now,
                    visit.referral_key,
                ),
            )
        except self.db.IntegrityError as error:
            raise _visit_conflict(self.db, error) from error
        return int(visit_id or 0)

    def _bookable(self, slot_id: int) -> str:
        """The slot's scope, or ConflictError if it is gone or blocked. Whether it is already
        taken is left to the UNIQUE index, the only check no race can slip past."""
        row = self.db.conn.execute(
            "SELECT slots.state, schedules.scope_code FROM slots "
            "JOIN schedules ON schedules.id = slots.schedule_id WHERE slots.id = ?",
            (slot_id,),
        ).fetchone()
        if row is None:
            raise ConflictError(N_("This term no longer exists."))
        if row[0] == "blocked":
            raise ConflictError(N_("This term is not available."))
        return str(row[1])

    def _scope_of(self, slot_id: int) -> str | None:
        scope: str | None = scalar(
            self.db,
            "SELECT schedules.scope_code FROM slots JOIN schedules "
            "ON schedules.id = slots.schedule_id WHERE slots.id = ?",
            (slot_id,),
        )
        return scope

    def _set_slot(self, slot_id: int, state: str) -> None:
        self.db.conn.execute("UPDATE slots SET state = ? WHERE id = ?", (state, slot_id))

    def _release(self, slot_id: int) -> None:
        """Free a slot no live visit holds any more (a blocked slot stays blocked)."""
        self.db.conn.execute(
            f"UPDATE slots SET state = 'free' WHERE id = ? AND state = 'booked' "
            f"AND NOT EXISTS (SELECT 1 FROM visits WHERE slot_id = ? AND state IN {_LIVE})",
            (slot_id, slot_id),
        )

    def _current(self, visit_id: int, expected_version: int | None) -> VisitRecord:
        record = self.get(visit_id)
        if record is None:
            raise ConflictError(N_("This visit no longer exists."))
        if expected_version is not None and record.version != expected_version:
            raise ConflictError(N_("This visit was changed in the meantime; reload it."))
        return record


def _default_payload(visit: Visit, slot_id: int) -> dict[str, Any]:
    return {
        "visit_uid": visit.visit_uid,
        "patient_id": visit.patient_id,
        "slot_id": slot_id,
        "urgency": str(visit.urgency),
        "central_request_id": visit.central_request_id,
        "referral_id": visit.referral_id,
    }


def _visit_conflict(db: Database, error: Exception) -> Exception:
    """The user-facing conflict behind a UNIQUE failure (on either engine); other integrity
    errors (a missing patient, a CHECK) are a caller's bug and pass through unchanged."""
    violated = db.violation(error)
    if violated == LIVE_VISIT_PER_SLOT:
        return ConflictError(_TAKEN)
    if violated in (VISIT_UID, VISIT_CER_ID):
        return ConflictError(N_("This visit is already recorded."))
    return error
