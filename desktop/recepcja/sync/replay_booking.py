"""The replay's booking strategy: the same term, else the nearest allowed term CeR has free,
else the central waiting list.

- A booking is tried on the visit's own term. CeR says it is taken (``TerminZajety``): the row
  waits (a ``BookingRow`` in the pass's ``lost_terms``) for the end of the pass, where lost
  terms are handed out in the rules' order (urgent first, then by the central request's date).
- Handing out: the nearest term the rules allow (``sync.terms.propose_term``: free and
  published locally, at least ``MIN_LEAD`` ahead, same place) that CeR ALSO has free. The local
  schedule does not know what portal patients booked meanwhile, CeR does: ``CerFreeTerms``
  reads the candidate's week of that schedule back from CeR (``pobierzSloty``) once per pass,
  so a taken term costs no booking call. The local visit moves there first (with the original
  term remembered in the row's result, one transaction), then CeR is asked; a term taken in
  the meantime is skipped and the search goes on. There is no fixed number of tries: the
  patient goes to the central waiting list only when no allowed term is free in both.
- The waiting-list placement, the confirmation and a read-back that found the visit in CeR
  are finished with their local write in the chunk's one transaction (``RowSender.finish``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from recepcja.cer.errors import (
    MINOR_TERM_TAKEN,
    MINOR_VISIT_ID_USED,
    CerConflict,
    CerRejected,
)
from recepcja.cer.types import CerSlot, CerSlotState, CerVisit
from recepcja.crashpoints import crash_point
from recepcja.domain.entities import Slot
from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.model import WARSAW, VisitState
from recepcja.store.db import atomic
from recepcja.store.outbox import book_key
from recepcja.store.records import OutboxOp
from recepcja.store.repos import Repositories
from recepcja.store.working_records import OutboxEntry, VisitRecord
from recepcja.sync.replay_report import Attempt, Outcome
from recepcja.sync.replay_rows import (
    BookingRow,
    Chunk,
    LocalWrite,
    OriginalTerm,
    ReplayPass,
    RowSender,
)
from recepcja.sync.terms import bookable_for, propose_term

WINDOW_DAYS = 7  # CeR's terms are read back a week of one schedule at a time

SlotReader = Callable[[str, dt.datetime, dt.datetime], list[CerSlot] | None]


class CerFreeTerms:
    """Which terms CeR has free, as read back during one pass (schedule by schedule, a week
    at a time), corrected by what the pass itself learns (a refusal, our own bookings).
    ``read`` returns None when CeR refuses to list a schedule: its terms count as free, and
    the booking attempt decides."""

    def __init__(self, read: SlotReader) -> None:
        self._read = read
        self._weeks: dict[tuple[str, dt.date], bool] = {}  # week -> CeR listed it
        self._free: set[str] = set()

    def is_free(self, schedule_cer_id: str, slot: Slot) -> bool:
        day = slot.start.astimezone(WARSAW).date()
        week = (schedule_cer_id, day - dt.timedelta(days=day.toordinal() % WINDOW_DAYS))
        if week not in self._weeks:
            start = dt.datetime.combine(week[1], dt.time(0), WARSAW)
            listed = self._read(schedule_cer_id, start, start + dt.timedelta(days=WINDOW_DAYS))
            for cer_slot in listed or ():
                live = [visit for visit in cer_slot.visits if not visit.cancelled]
                if cer_slot.state == CerSlotState.FREE and not live:
                    self._free.add(cer_slot.cer_id)
                else:
                    self._free.discard(cer_slot.cer_id)
            self._weeks[week] = listed is not None
        return slot.cer_id in self._free or not self._weeks[week]

    def taken(self, slot_cer_id: str) -> None:
        self._free.discard(slot_cer_id)


class Booking:
    """The ``book`` operation and the waiting list; see the module docstring."""

    def __init__(self, rows: RowSender, scope_to_cer: Callable[[str], str]) -> None:
        self.rows = rows
        self.repos = rows.repos
        self.scope_to_cer = scope_to_cer

    def free_terms(self) -> CerFreeTerms:
        """A fresh view of CeR's free terms (one per pass: what CeR holds changes)."""
        gateway = self.rows.gateway

        def read(schedule: str, start: dt.datetime, end: dt.datetime) -> list[CerSlot] | None:
            try:
                return self.rows.read(lambda: gateway.read_slots(schedule, start, end))
            except CerRejected:
                return None

        return CerFreeTerms(read)

    # -- the booked term ----------------------------------------------------------------------

    def book(self, replay_pass: ReplayPass, chunk: Chunk, entry: OutboxEntry) -> None:
        visit = self.rows.visit(entry)
        if visit is None or (visit.state == VisitState.CANCELLED and visit.cer_id is None):
            # Cancelled before it ever reached CeR: nothing to book (the cancel row reads CeR
            # back to be sure).
            self.rows.finish(chunk, entry, Outcome.SKIPPED, {})
            return
        if visit.cer_id is not None:
            self.rows.finish(chunk, entry, Outcome.BOOKED, {"cer_id": visit.cer_id})
            return
        row = BookingRow(entry, visit, original_term(self.repos, entry, visit))
        if visit.state == VisitState.WAITING_LIST:
            if any(later.op == OutboxOp.WAITING_LIST and later.id > entry.id
                   for later in self.repos.outbox.for_visit(visit.id)):
                # The desk put the patient on the waiting list before the booking was sent:
                # its own row places them; there is no term to book.
                self.rows.finish(chunk, entry, Outcome.SKIPPED, {})
            else:
                self.to_waiting_list(chunk, row)
            return
        if self.attempt(replay_pass, chunk, row) is Attempt.TAKEN:
            replay_pass.lost_terms.append(row)
            chunk.lost.add(entry.id)

    def attempt(self, replay_pass: ReplayPass, chunk: Chunk, row: BookingRow) -> Attempt:
        """Book the visit's current term in CeR."""
        visit, entry = row.visit, row.entry
        slot = self.repos.slots.get(visit.slot_id) if visit.slot_id is not None else None
        if slot is None or slot.id is None or not slot.cer_id:
            if visit.slot_id is not None:
                row.tried.add(visit.slot_id)  # a term CeR does not know: look for another
            return Attempt.TAKEN
        patient = self.rows.patient(visit)
        slot_cer_id = slot.cer_id
        try:
            cer_visit = self.rows.call(chunk, entry, lambda: self.rows.gateway.book(
                slot_cer_id, visit.visit_uid, patient, visit.urgency,
                central_request_id=visit.central_request_id, referral_id=visit.referral_id))
        except CerConflict as error:
            if error.code == MINOR_VISIT_ID_USED:
                # An earlier attempt got through: read it back, never book again.
                found = self.rows.read_back(visit)
                if found is not None:
                    self.apply_found(chunk, row, found)
                else:
                    self.rows.reject(chunk, entry, error)
                return Attempt.DONE
            if error.code != MINOR_TERM_TAKEN:
                self.rows.reject(chunk, entry, error)
                return Attempt.DONE
            row.tried.add(slot.id)
            replay_pass.free_terms.taken(slot.cer_id)
            return Attempt.TAKEN
        replay_pass.free_terms.taken(slot.cer_id)
        self.confirmed(chunk, row, cer_visit)
        return Attempt.DONE

    # -- lost terms -----------------------------------------------------------------------------

    def hand_out(self, replay_pass: ReplayPass) -> None:
        """Terms for the patients who lost theirs, in the rules' order; each row is finished
        (and written) before the next is served. A ``Stop`` leaves the rest in
        ``replay_pass.lost_terms`` (the pass gives them back: CeR committed nothing for
        them)."""
        replay_pass.lost_terms.sort(key=BookingRow.order)
        while replay_pass.lost_terms:
            row = replay_pass.lost_terms.pop(0)
            chunk = replay_pass.chunk(frozenset({row.entry.id}))
            try:
                self.rows.guarded(chunk, row.entry,
                                  partial(self.book_elsewhere, replay_pass, chunk, row))
            finally:
                self.rows.flush(chunk)

    def book_elsewhere(self, replay_pass: ReplayPass, chunk: Chunk, row: BookingRow) -> None:
        """Its own term first if the desk has moved the visit meanwhile, then the nearest
        allowed term free in CeR, else the waiting list."""
        while True:
            row.visit = self.rows.visit(row.entry) or row.visit
            if row.visit.state == VisitState.CANCELLED:
                self.rows.finish(chunk, row.entry, Outcome.SKIPPED, {})  # cancelled meanwhile
                return
            if row.visit.state == VisitState.WAITING_LIST:
                break
            if row.visit.slot_id is not None and row.visit.slot_id not in row.tried:
                # The desk moved the visit while it waited (or the move below was committed):
                # try the term it holds now.
                if self.attempt(replay_pass, chunk, row) is Attempt.DONE:
                    return
                continue
            slot = self.alternative(replay_pass, row)
            if slot is None or slot.id is None:
                if self._leave_term(row):
                    break
                continue  # the desk changed the visit meanwhile: look again
            try:
                with atomic(self.repos.db):
                    # No outbox row: this replay is the CeR side of the move. The version
                    # check keeps a change the desk made meanwhile.
                    self.repos.visits.move(row.visit.id, slot.id, self.rows.user,
                                           expected_version=row.visit.version,
                                           notify_cer=False)
                    self.repos.outbox.set_result(row.entry.id, row.progress())
            except ConflictError:
                fresh = self.rows.visit(row.entry)
                if fresh is None or fresh.version == row.visit.version:
                    row.tried.add(slot.id)  # taken locally meanwhile
                continue
            crash_point("replay.after_move")
        self.to_waiting_list(chunk, row)

    def alternative(self, replay_pass: ReplayPass, row: BookingRow) -> Slot | None:
        """The nearest allowed term free locally AND in CeR (None: there is none left)."""
        visit = row.visit
        if not visit.scope_code:
            return None
        schedule_id = row.original.schedule_id
        schedule = self.repos.schedules.get(int(schedule_id)) if schedule_id else None
        place_id = schedule.place_id if schedule is not None else None
        fits = bookable_for(visit.scope_code, bool(visit.referral_id or visit.referral_key))
        while True:
            exclude = row.tried | ({visit.slot_id} if visit.slot_id is not None else set())
            slot = propose_term(self.repos, visit.scope_code, visit.urgency,
                                now=self.rows.clock(), place_id=place_id, exclude=exclude,
                                published_only=True, fits=fits)
            if slot is None or slot.id is None:
                return None
            owner = self.repos.schedules.get(slot.schedule_id)
            if owner is None or not owner.cer_id or replay_pass.free_terms.is_free(
                    owner.cer_id, slot):
                return slot
            row.tried.add(slot.id)

    def _leave_term(self, row: BookingRow) -> bool:
        """No allowed term is free in CeR: the visit lets go of its term for the waiting list,
        committed BEFORE CeR is asked. A kill after it reads the row back and places the patient
        again (idempotent) - never books a term freed meanwhile for a patient CeR already holds
        on its waiting list. False (nothing written) if the desk changed the visit meanwhile."""
        with atomic(self.repos.db):
            current = self.repos.visits.get(row.visit.id)
            if current is None or current.version != row.visit.version:
                return False
            self.repos.visits.to_waiting_list(row.visit.id, self.rows.user, notify_cer=False)
            self.repos.outbox.set_result(row.entry.id, row.progress())
        crash_point("replay.after_leave_term")
        row.visit = self.rows.visit(row.entry) or row.visit
        return True

    # -- finishing ------------------------------------------------------------------------------

    def to_waiting_list(self, chunk: Chunk, row: BookingRow) -> None:
        """The central waiting list (art. 23e ust. 11), idempotent by our visit identifier; a
        visit not yet off its term lets go of it in the same transaction as the row's
        outcome."""
        visit = row.visit
        place_cer_id, scope = self._place_and_scope(visit, row.original)
        if place_cer_id is None or scope is None:
            self.rows.reject(chunk, row.entry,
                             N_("no place of service known for the central waiting list"))
            return
        patient, gateway = self.rows.patient(visit), self.rows.gateway
        placement = self.rows.call(chunk, row.entry, lambda: gateway.place_on_waiting_list(
            place_cer_id, visit.visit_uid, self.scope_to_cer(scope), patient, visit.urgency,
            central_request_id=visit.central_request_id))

        def let_go() -> None:
            self.repos.visits.to_waiting_list(visit.id, self.rows.user, notify_cer=False)

        local: LocalWrite | None = let_go if visit.state != VisitState.WAITING_LIST else None
        chunk.report.waiting_list += 1
        self.rows.finish(chunk, row.entry, Outcome.WAITING_LIST,
                         {**row.original.as_result(), "waiting_list_id": placement.entry_cer_id,
                          "position": placement.position}, local)

    def _place_and_scope(self, visit: VisitRecord, original: OriginalTerm
                         ) -> tuple[str | None, str | None]:
        schedule_id = original.schedule_id
        schedule = self.repos.schedules.get(int(schedule_id)) if schedule_id else None
        if schedule is None:
            return None, visit.scope_code
        place = self.repos.practice.place(schedule.place_id)
        return (place.cer_id if place else None), (visit.scope_code or schedule.scope_code)

    def confirmed(self, chunk: Chunk, row: BookingRow, cer_visit: CerVisit,
                  move_to: int | None = None) -> None:
        """CeR has the visit: its id (and, with ``move_to``, the term CeR holds it on) is
        written with the finished row."""
        visit = row.visit
        slot_id = visit.slot_id if move_to is None else move_to
        moved = slot_id != row.original.slot_id
        if moved:
            chunk.report.moved += 1

        def local() -> dict[str, Any] | None:
            self.repos.visits.confirm(visit.id, cer_visit.cer_id, str(cer_visit.version))
            if move_to is None:
                return None
            confirmed = self.repos.visits.get(visit.id)
            return None if confirmed is None else self.rows.move_to_cer_term(
                visit.id, move_to, confirmed.version)

        self.rows.finish(chunk, row.entry, Outcome.MOVED if moved else Outcome.BOOKED,
                         {**row.original.as_result(), "cer_id": cer_visit.cer_id,
                          "slot_id": slot_id, "slot_cer_id": cer_visit.slot_cer_id,
                          "start": cer_visit.start.isoformat()}, local)

    def apply_found(self, chunk: Chunk, row: BookingRow, found: CerVisit) -> None:
        """CeR has the visit (read back): the local visit says the same, the row is done."""
        if found.cancelled:
            self.rows.reject(chunk, row.entry, N_("CeR has this visit cancelled"))
            return
        held = self.repos.slots.by_cer_id(found.slot_cer_id)
        move_to = held.id if held is not None and held.id != row.visit.slot_id else None
        self.confirmed(chunk, row, found, move_to)


def original_term(repos: Repositories, entry: OutboxEntry, visit: VisitRecord) -> OriginalTerm:
    """The term the desk holds for the visit when the replay first tries it, remembered in the
    row's ``result`` (committed with the first move) across passes and crashes: the call list
    compares the final term with it."""
    previous = entry.result or {}
    if "original_slot_id" in previous:
        return OriginalTerm(previous.get("original_slot_id"), previous.get("original_start"),
                            previous.get("schedule_id"))
    slot_id = visit.slot_id
    if slot_id is None:  # on the waiting list already: the term the desk had booked
        booked = repos.outbox.by_key(book_key(visit.visit_uid))
        slot_id = entry.payload.get("slot_id") or (booked.payload.get("slot_id")
                                                    if booked is not None else None)
    slot = repos.slots.get(int(slot_id)) if slot_id is not None else None
    return OriginalTerm(slot_id, slot.start.isoformat() if slot is not None else None,
                        slot.schedule_id if slot is not None else None)
