"""The outbox worker: sends waiting visit operations to CeR, in order, exactly once.

One ``Replayer`` per thread (it uses that thread's ``Repositories`` and ``CerGateway``).
``run()`` makes one pass: first it settles rows whose outcome is unknown (``ambiguous``: a
timeout after sending, a dropped answer, a crash while sending) by reading CeR back by the
visit's own identifier, THEN it drains the due rows in id order. For a booking:

- the same term if CeR still has it free;
- CeR says the term is taken (``TerminZajety``) → the nearest term the rules allow for that
  patient's urgency and scope (``sync.terms.propose_term``): the local visit moves there first
  (one transaction, no new outbox row), then CeR is asked for it; a term CeR says is taken too
  is skipped and the next one tried. Patients who lost their term are served at the end of the
  pass in the rules' order (urgent first, then by the central request's date), so an urgent
  patient is not left the worse term because a stable one was queued earlier;
- no such term → the central waiting list (art. 23e ust. 11); the local visit lets go of its slot;
- every patient whose term changed is on the call list (``result.outcome`` moved/waiting_list);
- ``may_have_committed`` failures mark the row ambiguous; it is read back before anything is
  sent again, so CeR never gets a second booking (our ``visit_uid`` is the key);
- temporary failures are retried later (``failed`` with ``next_attempt_at``: 1 s doubling to a
  cap), and the pass stops, because CeR is not there;
- CeR's business refusals stop that entry (``rejected``, with the reason).

A crash anywhere leaves a row ``sending``; ``OutboxRepo.recover_interrupted`` (called by the
engine and the CLI at start) turns it ``ambiguous``, and the next pass reads back first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from recepcja.cer.errors import (
    MINOR_TERM_TAKEN,
    MINOR_VISIT_CANCELLED,
    MINOR_VISIT_ID_USED,
    CerBug,
    CerConflict,
    CerError,
    CerRejected,
)
from recepcja.cer.types import CerVisit
from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.model import Patient, VisitState
from recepcja.domain.urgency import URGENCY_RANK
from recepcja.store.db import atomic
from recepcja.store.records import OutboxEntry, OutboxOp, OutboxState, VisitRecord
from recepcja.store.repos import Repositories
from recepcja.sync.replay_report import (
    BOOKED,
    CANCELLED,
    CHANGED,
    DONE,
    HANDLED_OPS,
    MAX_ALTERNATIVES,
    MOVED,
    REPLAY_USER,
    SKIPPED,
    TAKEN,
    WAITING_LIST,
    Observer,
    Progress,
    ReplayReport,
    Stop,
    backoff_seconds,
    describe,
)
from recepcja.sync.terms import propose_term
from recepcja.sync.withdrawals import WITHDRAWN, withdraw_slots

log = logging.getLogger("recepcja.sync.replay")

class Replayer:
    """Sends the outbox's visit operations through ``gateway``; see the module docstring.

    ``on_progress(entry, outcome, detail)`` after each finished row; ``on_chunk()`` after
    each chunk (publish the queue count); ``observe(error|None)`` after each CeR call (the
    monitor); ``scope_to_cer`` maps a local scope code to CeR's
    ``zakres`` for the waiting list (identity by default: schedules are registered with it).
    """

    def __init__(
        self,
        repos: Repositories,
        gateway: Any,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        on_progress: Progress | None = None,
        observe: Observer | None = None,
        scope_to_cer: Callable[[str], str] = str,
        backoff_cap: float = 300.0,
        user: str = REPLAY_USER,
        on_chunk: Callable[[], None] | None = None,
    ) -> None:
        self.repos = repos
        self.gateway = gateway
        self.clock = clock or repos.outbox.clock
        self.on_progress = on_progress
        self.observe = observe
        self.scope_to_cer = scope_to_cer
        self.backoff_cap = backoff_cap
        self.user = user
        self.on_chunk = on_chunk
        # Within a chunk: finished rows waiting for the chunk's one commit, and rows that
        # reached a CeR call (a row claimed but never sent is given back, not made ambiguous).
        self._deferred: list[tuple[OutboxEntry, dict[str, Any], Callable[[], None] | None]] \
            | None = None
        self._attempted: set[int] | None = None
        # Within a pass: bookings whose term CeR has taken, waiting for the end of the pass.
        self._conflicts: list[tuple[OutboxEntry, VisitRecord, dict[str, Any], set[int]]] \
            | None = None

    # -- passes -------------------------------------------------------------------------------

    def run(self, *, max_entries: int | None = None, batch: int = 200,
            chunk: int = 25) -> ReplayReport:
        """One pass: settle ambiguous rows, then drain due rows until none are left, CeR stops
        answering, or ``max_entries`` rows were handled.

        Rows are claimed ``chunk`` at a time in one transaction and their outcomes written in
        one more (two commits per chunk instead of two per row: with synchronous=FULL a commit
        is an fsync). A crash in between leaves the chunk ``sending``: read back at restart."""
        report = ReplayReport()
        handled = 0
        self._conflicts = []
        try:
            for entry in self.repos.outbox.ambiguous():
                if entry.op in HANDLED_OPS:
                    self._settle(entry, report)
            while max_entries is None or handled < max_entries:
                size = batch if max_entries is None else min(batch, max_entries - handled)
                due = self.repos.outbox.pending_ops(HANDLED_OPS, self.clock(), size)
                if not due:
                    break
                for start in range(0, len(due), max(1, chunk)):
                    handled += self._run_chunk(due[start:start + max(1, chunk)], report)
                    if self.on_chunk is not None:
                        self.on_chunk()
            self._resolve_conflicts(report)
        except Stop as stop:
            report.stopped_by = describe(stop.error)
        finally:
            # Rows whose term was taken and that did not get another one in this pass: CeR
            # committed nothing for them, so they simply wait for the next pass.
            leftover = [entry.id for entry, _, _, _ in self._conflicts or []]
            self._conflicts = None
            if leftover:
                self.repos.outbox.release(leftover)
        return report

    def _run_chunk(self, entries: list[OutboxEntry], report: ReplayReport) -> int:
        claimed = set(self.repos.outbox.claim(entry.id for entry in entries))
        self._deferred = []
        self._attempted = set()
        try:
            for entry in entries:
                if entry.id in claimed:
                    self.process(entry, report, claimed=True)
        finally:
            self._flush(claimed, report)
        return len(claimed)

    def _flush(self, claimed: set[int], report: ReplayReport) -> None:
        """Write the chunk's finished rows (one transaction); give back rows never sent; a
        row left ``sending`` after a CeR call is ambiguous."""
        deferred, self._deferred = self._deferred or [], None
        try:
            with atomic(self.repos.db):
                for entry, result, also in deferred:
                    if also is not None:
                        also()
                    self.repos.outbox.mark_done(entry.id, result)
        except Exception:
            # One bad row must not lose the others: write them one by one.
            for entry, result, also in deferred:
                try:
                    with atomic(self.repos.db):
                        if also is not None:
                            also()
                        self.repos.outbox.mark_done(entry.id, result)
                except Exception as error:  # noqa: BLE001 - reported on the row
                    self.repos.outbox.mark_rejected(
                        entry.id, describe(N_("the local database refused CeR's answer")) +
                        f": {type(error).__name__}")
        finished = {entry.id for entry, _, _ in deferred}
        waiting = {entry.id for entry, _, _, _ in self._conflicts or []}
        unsent = []
        for entry_id in claimed - finished - waiting:
            current = self.repos.outbox.get(entry_id)
            if current is None or current.state != OutboxState.SENDING:
                continue
            if entry_id in (self._attempted or set()):
                self.repos.outbox.mark_ambiguous(entry_id, "interrupted")
            else:
                unsent.append(entry_id)
        if unsent:
            self.repos.outbox.release(unsent)
        self._attempted = None
        if self.on_progress is not None:
            for entry, result, _ in deferred:
                self.on_progress(entry, result["outcome"], result)

    def run_entry(self, entry_id: int) -> ReplayReport:
        """Try ONE row now (the CLI's immediate sync after booking). Settles it first if its
        outcome is unknown; does nothing if it is not due."""
        report = ReplayReport()
        entry = self.repos.outbox.get(entry_id)
        try:
            if entry is not None and entry.state == OutboxState.AMBIGUOUS:
                self._settle(entry, report)
                entry = self.repos.outbox.get(entry_id)
            if entry is not None and entry.state in (OutboxState.QUEUED, OutboxState.FAILED):
                self.process(entry, report)
        except Stop as stop:
            report.stopped_by = describe(stop.error)
        return report

    # -- one row ------------------------------------------------------------------------------

    def process(self, entry: OutboxEntry, report: ReplayReport, *, claimed: bool = False
                ) -> None:
        """Claim (unless ``claimed``) and send one due row. Raises ``Stop`` when CeR is not
        there."""
        if not claimed and not self.repos.outbox.mark_sending(entry.id):
            return  # another worker took it, or it finished meanwhile
        try:
            if entry.op == OutboxOp.BOOK:
                self._book(entry, report)
            elif entry.op == OutboxOp.CANCEL:
                self._cancel(entry, report)
            elif entry.op == OutboxOp.CHANGE:
                self._change(entry, report)
            elif entry.op == OutboxOp.WAITING_LIST:
                self._waiting_list_op(entry, report)
            elif entry.op == OutboxOp.WITHDRAW_SLOTS:  # sync.withdrawals (doctor absence)
                detail, apply = withdraw_slots(self.repos, self.gateway, entry,
                                               lambda call: self._call(entry, call))
                self._finish(entry, WITHDRAWN, detail, report, also=apply)
        except Stop:
            raise
        except CerError as error:  # a failure a handler did not expect: keep the row safe
            self._failed(entry, error, report)
        except ConflictError as error:
            self._reject(entry, error, report)

    # booking ------------------------------------------------------------------------------

    def _book(self, entry: OutboxEntry, report: ReplayReport) -> None:
        visit = self._visit(entry)
        if visit is None or (visit.state == VisitState.CANCELLED and visit.cer_id is None):
            # Cancelled before it ever reached CeR: nothing to book (the cancel row will read
            # CeR back to be sure).
            self._finish(entry, SKIPPED, {}, report)
            return
        if visit.cer_id is not None:
            self._finish(entry, BOOKED, {"cer_id": visit.cer_id}, report)
            return
        if visit.state == VisitState.WAITING_LIST:
            self._to_waiting_list(entry, visit, report, dict(entry.result or {}))
            return
        original = _original(self.repos, entry, visit)
        tried: set[int] = set()
        if self._attempt(entry, visit, original, tried, report) != TAKEN:
            return
        if self._conflicts is not None:
            # Terms for patients who lost theirs are handed out at the end of the pass, in the
            # order the rules give (urgent first, then by the central request's date), not in
            # the order the desk happened to queue them.
            self._conflicts.append((entry, visit, original, tried))
            return
        self._book_elsewhere(entry, visit, original, tried, report)

    def _attempt(self, entry: OutboxEntry, visit: VisitRecord, original: dict[str, Any],
                 tried: set[int], report: ReplayReport) -> str:
        """Book the visit's current term in CeR: DONE (booked, read back, or rejected) or
        TAKEN (CeR has the term taken, or does not know it)."""
        slot = self.repos.slots.get(visit.slot_id) if visit.slot_id is not None else None
        if slot is None or not slot.cer_id:
            if slot is not None and slot.id is not None:
                tried.add(slot.id)
            return TAKEN
        try:
            cer_visit = self._call(
                entry,
                lambda: self.gateway.book(
                    slot.cer_id, visit.visit_uid, self._patient(visit), visit.urgency,
                    central_request_id=visit.central_request_id, referral_id=visit.referral_id,
                ),
            )
        except CerConflict as error:
            if error.code == MINOR_VISIT_ID_USED:
                # An earlier attempt got through: read it back, never book again.
                found = self._read_back(entry, visit)
                if found is not None:
                    self._apply_found(entry, visit, found, original, report)
                else:
                    self._reject(entry, error, report)
                return DONE
            if error.code != MINOR_TERM_TAKEN:
                self._reject(entry, error, report)
                return DONE
            tried.add(slot.id or -1)
            return TAKEN
        self._confirmed(entry, visit, cer_visit, original, report)
        return DONE

    def _book_elsewhere(self, entry: OutboxEntry, visit: VisitRecord, original: dict[str, Any],
                        tried: set[int], report: ReplayReport) -> None:
        """The booked term is gone: the nearest allowed term CeR accepts, else the waiting
        list. The local visit moves first (no outbox row: this replay is the CeR side)."""
        while len(tried) <= MAX_ALTERNATIVES:
            alternative = self._alternative(visit, tried, original)
            if alternative is None:
                break
            try:
                self.repos.visits.move(visit.id, alternative, self.user, notify_cer=False)
            except ConflictError:
                tried.add(alternative)
                continue
            self.repos.outbox.set_result(entry.id, {**original, "tried": sorted(tried)})
            visit = self._visit(entry) or visit
            if self._attempt(entry, visit, original, tried, report) != TAKEN:
                return
        self._to_waiting_list(entry, visit, report, original)

    def _resolve_conflicts(self, report: ReplayReport) -> None:
        conflicts, self._conflicts = self._conflicts or [], []
        conflicts.sort(key=lambda item: (
            URGENCY_RANK[item[1].urgency],
            item[1].central_request_date or item[1].created_at,
            item[0].id,
        ))
        for index, (entry, visit, original, tried) in enumerate(conflicts):
            self._conflicts = conflicts[index + 1:]  # given back if this one stops the pass
            self._book_elsewhere(entry, visit, original, tried, report)
        self._conflicts = []

    def _alternative(self, visit: VisitRecord, tried: set[int], original: dict[str, Any]
                     ) -> int | None:
        if not visit.scope_code:
            return None
        place_id = None
        schedule_id = original.get("schedule_id")
        if schedule_id is not None:
            schedule = self.repos.schedules.get(int(schedule_id))
            place_id = schedule.place_id if schedule is not None else None
        slot = propose_term(
            self.repos, visit.scope_code, visit.urgency, now=self.clock(), place_id=place_id,
            exclude=tried | ({visit.slot_id} if visit.slot_id is not None else set()),
            published_only=True,
        )
        return None if slot is None else slot.id

    def _to_waiting_list(self, entry: OutboxEntry, visit: VisitRecord, report: ReplayReport,
                         original: dict[str, Any]) -> None:
        place_cer_id, scope = self._place_and_scope(visit, original)
        if place_cer_id is None or scope is None:
            self._reject(entry, N_("no place of service known for the central waiting list"),
                         report)
            return
        placement = self._call(
            entry,
            lambda: self.gateway.place_on_waiting_list(
                place_cer_id, visit.visit_uid, self.scope_to_cer(scope), self._patient(visit),
                visit.urgency, central_request_id=visit.central_request_id,
            ),
        )
        if visit.state != VisitState.WAITING_LIST:
            self.repos.visits.to_waiting_list(visit.id, self.user, notify_cer=False)
        detail = {**original, "waiting_list_id": placement.entry_cer_id,
                  "position": placement.position}
        report.waiting_list += 1
        self._finish(entry, WAITING_LIST, detail, report)

    def _place_and_scope(self, visit: VisitRecord, original: dict[str, Any]
                         ) -> tuple[str | None, str | None]:
        schedule_id = original.get("schedule_id")
        schedule = self.repos.schedules.get(int(schedule_id)) if schedule_id else None
        if schedule is None:
            return None, visit.scope_code
        place = self.repos.practice.place(schedule.place_id)
        return (place.cer_id if place else None), (visit.scope_code or schedule.scope_code)

    def _confirmed(self, entry: OutboxEntry, visit: VisitRecord, cer_visit: CerVisit,
                   original: dict[str, Any], report: ReplayReport) -> None:
        moved = visit.slot_id != original.get("original_slot_id")
        detail = {**original, "cer_id": cer_visit.cer_id, "slot_id": visit.slot_id,
                  "slot_cer_id": cer_visit.slot_cer_id, "start": cer_visit.start.isoformat()}
        if moved:
            report.moved += 1
        # The CeR id and the finished row in one transaction (one commit per entry saved).
        self._finish(entry, MOVED if moved else BOOKED, detail, report,
                     also=lambda: self.repos.visits.confirm(visit.id, cer_visit.cer_id,
                                                            str(cer_visit.version)))

    def _apply_found(self, entry: OutboxEntry, visit: VisitRecord, found: CerVisit,
                     original: dict[str, Any], report: ReplayReport) -> None:
        """CeR has the visit (read back): make the local visit say the same, then finish."""
        if found.cancelled:
            self._reject(entry, N_("CeR has this visit cancelled"), report)
            return
        local_slot = self.repos.slots.by_cer_id(found.slot_cer_id)
        if local_slot is not None and local_slot.id != visit.slot_id and local_slot.id:
            try:
                self.repos.visits.move(visit.id, local_slot.id, self.user, notify_cer=False)
            except ConflictError:
                log.warning("visit %s: CeR holds it on a term taken locally", visit.id)
            visit = self._visit(entry) or visit
        self._confirmed(entry, visit, found, original, report)

    # settling -----------------------------------------------------------------------------------

    def _settle(self, entry: OutboxEntry, report: ReplayReport) -> None:
        """An ambiguous row: read CeR back before anything is sent again."""
        visit = self._visit(entry)
        if visit is None:
            self.repos.outbox.requeue(entry.id)
            return
        if entry.op == OutboxOp.BOOK:
            found = self._read_back(entry, visit)
            report.settled += 1
            if found is not None:
                original = _original(self.repos, entry, visit)
                self.repos.outbox.mark_sent(entry.id)
                self._apply_found(entry, visit, found, original, report)
                return
        # Not in CeR (or an operation that is safe to resend: cancel and change are
        # idempotent by CeR's visit state, the waiting list by our entry id).
        self.repos.outbox.requeue(entry.id)

    def _read_back(self, entry: OutboxEntry, visit: VisitRecord) -> CerVisit | None:
        try:
            found = self.gateway.read_visit(visit_uid=visit.visit_uid)
        except CerRejected as error:
            self._observe(error)
            return None
        except CerError as error:
            self._observe(error)
            # Cannot settle now: the row stays ambiguous (never resent blindly).
            if self.repos.outbox.get(entry.id).state == OutboxState.SENDING:
                self.repos.outbox.mark_ambiguous(entry.id, str(error))
            raise Stop(error) from None
        self._observe(None)
        return found

    # cancel / change / waiting list ------------------------------------------------------------

    def _cancel(self, entry: OutboxEntry, report: ReplayReport) -> None:
        visit = self._visit(entry)
        cer_id = entry.payload.get("cer_id") or (visit.cer_id if visit else None)
        if cer_id is None and visit is not None:
            found = self._read_back(entry, visit)
            cer_id = found.cer_id if found is not None and not found.cancelled else None
        if cer_id is None:
            self._finish(entry, SKIPPED, {}, report)
            return
        reason = str(entry.payload.get("reason") or "-")
        try:
            self._call(entry, lambda: self.gateway.cancel(cer_id, reason))
        except CerRejected as error:
            if error.code != MINOR_VISIT_CANCELLED:
                self._reject(entry, error, report)
                return
        self._finish(entry, CANCELLED, {"cer_id": cer_id}, report)

    def _change(self, entry: OutboxEntry, report: ReplayReport) -> None:
        visit = self._visit(entry)
        slot_id = entry.payload.get("to_slot_id")
        slot = self.repos.slots.get(int(slot_id)) if slot_id is not None else None
        cer_id = (visit.cer_id if visit else None) or entry.payload.get("cer_id")
        if visit is None or slot is None or not slot.cer_id or cer_id is None:
            self._reject(entry, N_("the visit or its new term is not known in CeR"), report)
            return
        try:
            self._call(entry, lambda: self.gateway.change_term(cer_id, slot.cer_id,
                                                               "zmiana terminu"))
        except CerRejected as error:
            found = self._call(entry, lambda: self.gateway.read_visit(cer_id=cer_id))
            if found is None or found.slot_cer_id != slot.cer_id:
                self._undo_move(visit, found)
                self._reject(entry, error, report)
                return
        self._finish(entry, CHANGED, {"cer_id": cer_id, "slot_cer_id": slot.cer_id}, report)

    def _undo_move(self, visit: VisitRecord, found: CerVisit | None) -> None:
        """CeR refused the new term (taken there meanwhile): the visit stays where CeR has it,
        so the local schedule must say the same (the rejected row tells the desk why)."""
        if found is None or found.cancelled:
            return
        held = self.repos.slots.by_cer_id(found.slot_cer_id)
        if held is None or held.id is None or held.id == visit.slot_id:
            return
        try:
            self.repos.visits.move(visit.id, held.id, self.user, notify_cer=False)
        except ConflictError:
            log.warning("visit %s: its CeR term is held locally by another visit", visit.id)

    def _waiting_list_op(self, entry: OutboxEntry, report: ReplayReport) -> None:
        visit = self._visit(entry)
        if visit is None:
            self._reject(entry, N_("the visit no longer exists"), report)
            return
        self._to_waiting_list(entry, visit, report, dict(entry.result or {}))

    # plumbing ------------------------------------------------------------------------------------

    def _call(self, entry: OutboxEntry, call: Callable[[], Any]) -> Any:
        """One CeR call for ``entry``: business refusals come back as exceptions to handle;
        failures end the pass (``Stop``) with the row kept safe."""
        if self._attempted is not None:
            self._attempted.add(entry.id)
        try:
            answer = call()
        except CerRejected as error:
            self._observe(error)
            raise
        except CerBug as error:
            self._observe(error)
            if error.may_have_committed:
                self.repos.outbox.mark_ambiguous(entry.id, str(error))
                raise Stop(error) from None
            raise
        except CerError as error:
            self._observe(error)
            if error.may_have_committed:
                self.repos.outbox.mark_ambiguous(entry.id, str(error))
            else:
                self._retry_later(entry, error)
            self.repos.outbox.set_emergency(entry.id)  # it waits through an outage: evidence
            raise Stop(error) from None
        self._observe(None)
        return answer

    def _retry_later(self, entry: OutboxEntry, error: CerError) -> None:
        current = self.repos.outbox.get(entry.id)
        attempts = current.attempts if current else entry.attempts + 1
        retry_at = self.clock() + dt.timedelta(
            seconds=backoff_seconds(attempts, cap=self.backoff_cap)
        )
        self.repos.outbox.mark_failed(entry.id, describe(error), retry_at)

    def _failed(self, entry: OutboxEntry, error: CerError, report: ReplayReport) -> None:
        if isinstance(error, CerBug) or isinstance(error, CerRejected):
            self._reject(entry, error, report)
            return
        self._retry_later(entry, error)
        report.retry_later += 1

    def _observe(self, outcome: BaseException | None) -> None:
        if self.observe is not None:
            self.observe(outcome)

    def _finish(self, entry: OutboxEntry, outcome: str, detail: dict[str, Any],
                report: ReplayReport, also: Callable[[], None] | None = None) -> None:
        """Mark the row done with its outcome (and run ``also``, the local write the answer
        asks for, in the same transaction)."""
        result = {**detail, "outcome": outcome}
        report.done += 1
        report.outcomes.append({"entry": entry.id, "visit_id": entry.visit_id, **result})
        if self._deferred is not None:
            self._deferred.append((entry, result, also))
            return
        with atomic(self.repos.db):
            if also is not None:
                also()
            self.repos.outbox.mark_done(entry.id, result)
        if self.on_progress is not None:
            self.on_progress(entry, outcome, result)

    def _reject(self, entry: OutboxEntry, why: str | BaseException,
                report: ReplayReport) -> None:
        """Mark the row rejected; the reason is stored as the desk reads it (translated)."""
        reason = describe(why)
        self.repos.outbox.mark_rejected(entry.id, reason)
        report.rejected += 1
        report.outcomes.append({"entry": entry.id, "visit_id": entry.visit_id,
                                "outcome": "rejected", "reason": reason})
        if self.on_progress is not None:
            self.on_progress(entry, "rejected", {"reason": reason})

    def _visit(self, entry: OutboxEntry) -> VisitRecord | None:
        return None if entry.visit_id is None else self.repos.visits.get(entry.visit_id)

    def _patient(self, visit: VisitRecord) -> Patient:
        patient = self.repos.patients.get(visit.patient_id)
        if patient is None:
            raise ConflictError("the patient of this visit no longer exists")
        return patient


def _original(repos: Repositories, entry: OutboxEntry, visit: VisitRecord) -> dict[str, Any]:
    """The term the desk booked, remembered across passes and crashes: the row's ``result``
    keeps it once the replay has moved the visit elsewhere."""
    previous = entry.result or {}
    if "original_slot_id" in previous:
        return {key: previous.get(key) for key in ("original_slot_id", "original_start",
                                                    "schedule_id")}
    slot_id = entry.payload.get("slot_id", visit.slot_id)
    slot = repos.slots.get(int(slot_id)) if slot_id is not None else None
    return {
        "original_slot_id": slot_id,
        "original_start": slot.start.isoformat() if slot is not None else None,
        "schedule_id": slot.schedule_id if slot is not None else None,
    }
