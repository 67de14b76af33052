"""Settling rows whose outcome is unknown, and the operations that settle by being resent.

- An ``ambiguous`` row (a timeout after sending, a dropped answer, a sender killed mid-call)
  is read back before anything is sent again. A booking is looked up by our own visit
  identifier: found → the local visit takes CeR's id and term and the row is done, in ONE
  transaction; not found → queued again. A cancellation, a change of term and a waiting-list
  placement are queued again as they are: resending them is safe (CeR refuses a second
  cancellation as ``WizytaAnulowana``, a move to the term the visit is already on changes
  nothing, the waiting list is idempotent by our identifier).
- ``cancel``: by CeR's id; "already cancelled" is success.
- ``change``: CeR refuses the new term (taken there meanwhile) → the row is rejected and the
  local visit put back where CeR still has it, in the same transaction (or, when the desk has
  given that term to another visit meanwhile, at the end of the pass if it is free by then).
- ``waiting_list``: the desk's own placement on the central waiting list.
"""

from __future__ import annotations

import logging

from recepcja.cer.errors import MINOR_VISIT_CANCELLED, CerRejected
from recepcja.cer.types import CerVisit
from recepcja.crashpoints import crash_point
from recepcja.domain.errors import N_
from recepcja.store.records import OutboxOp
from recepcja.store.working_records import OutboxEntry, VisitRecord
from recepcja.sync.replay_booking import Booking, original_term
from recepcja.sync.replay_report import Outcome
from recepcja.sync.replay_rows import BookingRow, Chunk, LocalWrite, RowSender

log = logging.getLogger("recepcja.sync.replay")

CHANGE_REASON = "zmiana terminu"


class Settling:
    """Read-back of ambiguous rows; the ``cancel``, ``change`` and ``waiting_list``
    operations."""

    def __init__(self, rows: RowSender, booking: Booking) -> None:
        self.rows = rows
        self.repos = rows.repos
        self.booking = booking

    def settle(self, chunk: Chunk, entry: OutboxEntry) -> None:
        """An ambiguous row: read CeR back before anything is sent again (a failed read ends
        the pass with the row still ambiguous)."""
        visit = self.rows.visit(entry)
        if visit is not None and entry.op == OutboxOp.BOOK:
            found = self.rows.read_back(visit)
            chunk.report.settled += 1
            if found is not None:
                row = BookingRow(entry, visit, original_term(self.repos, entry, visit))
                self.booking.apply_found(chunk, row, found)
                return
        self.repos.outbox.requeue(entry.id)
        crash_point("replay.after_requeue")

    def cancel(self, chunk: Chunk, entry: OutboxEntry) -> None:
        visit = self.rows.visit(entry)
        cer_id = entry.payload.get("cer_id") or (visit.cer_id if visit else None)
        if cer_id is None and visit is not None:
            found = self.rows.read_back(visit)
            cer_id = found.cer_id if found is not None and not found.cancelled else None
        if cer_id is None:
            self.rows.finish(chunk, entry, Outcome.SKIPPED, {})
            return
        reason = str(entry.payload.get("reason") or "-")
        try:
            self.rows.call(chunk, entry, lambda: self.rows.gateway.cancel(cer_id, reason))
        except CerRejected as error:
            if error.code != MINOR_VISIT_CANCELLED:
                self.rows.reject(chunk, entry, error)
                return
        self.rows.finish(chunk, entry, Outcome.CANCELLED, {"cer_id": cer_id})

    def change(self, chunk: Chunk, entry: OutboxEntry) -> None:
        visit = self.rows.visit(entry)
        slot_id = entry.payload.get("to_slot_id")
        slot = self.repos.slots.get(int(slot_id)) if slot_id is not None else None
        cer_id = (visit.cer_id if visit else None) or entry.payload.get("cer_id")
        if visit is None or slot is None or not slot.cer_id or cer_id is None:
            self.rows.reject(chunk, entry, N_("the visit or its new term is not known in CeR"))
            return
        gateway, slot_cer_id = self.rows.gateway, slot.cer_id
        try:
            self.rows.call(chunk, entry,
                           lambda: gateway.change_term(cer_id, slot_cer_id, CHANGE_REASON))
        except CerRejected as error:
            try:
                found = self.rows.read(lambda: gateway.read_visit(cer_id=cer_id))
            except CerRejected:
                found = None
            if found is None or found.slot_cer_id != slot.cer_id:
                self.rows.reject(chunk, entry, error, self._put_back(visit, slot.id, found))
                return
        self.rows.finish(chunk, entry, Outcome.CHANGED,
                         {"cer_id": cer_id, "slot_cer_id": slot.cer_id})

    def _put_back(self, visit: VisitRecord, refused_slot: int | None,
                  found: CerVisit | None) -> LocalWrite | None:
        """CeR refused the new term: the visit stays where CeR has it, so the local schedule
        must say the same (unless the desk has moved it again since: its own row follows)."""
        if found is None or found.cancelled or visit.slot_id != refused_slot:
            return None
        held = self.repos.slots.by_cer_id(found.slot_cer_id)
        if held is None or held.id is None or held.id == visit.slot_id:
            return None
        target = held.id
        return lambda: self.rows.move_to_cer_term(visit.id, target, visit.version)

    def waiting_list(self, chunk: Chunk, entry: OutboxEntry) -> None:
        visit = self.rows.visit(entry)
        if visit is None:
            self.rows.reject(chunk, entry, N_("the visit no longer exists"))
            return
        self.booking.to_waiting_list(
            chunk, BookingRow(entry, visit, original_term(self.repos, entry, visit)))
