"""The replay's plumbing: the state of a pass and of a chunk, CeR calls with their failure
rules, and writing what became of each row.

- ``ReplayPass``: one pass under one sender lease - its report, the bookings whose term CeR has
  taken (``BookingRow``s, handed out at the end of the pass, urgent first) and what was read of
  CeR's free terms.
- ``Chunk``: rows claimed in one transaction. Their outcomes (``Finished``) are written in one
  more (``RowSender.flush``), each WITH the local write CeR's answer asks for (confirm the
  visit, let go of its term, undo a refused move): there is no commit between "CeR answered"
  and "applied locally" for a kill to fall into. Every claimed row is resolved by the flush:
  finished, waiting as a lost term, ambiguous (a CeR write went out and nothing was recorded),
  or given back (never sent).
- ``RowSender``: the CeR call for a row (a business refusal comes back as an exception for the
  operation to handle; unreachable or unclear ends the pass with ``Stop``, the row kept safe:
  failed with a backoff, or ambiguous when CeR may have committed).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from recepcja.cer.errors import CerBug, CerError, CerRejected
from recepcja.cer.port import CerPort
from recepcja.cer.types import CerVisit
from recepcja.crashpoints import crash_point
from recepcja.domain.entities import Patient, Slot
from recepcja.domain.errors import N_, ConflictError, DomainError
from recepcja.domain.urgency import URGENCY_RANK
from recepcja.store.db import atomic
from recepcja.store.records import OutboxState
from recepcja.store.repos import Repositories
from recepcja.store.sender_lock import SenderLease
from recepcja.store.working_records import OutboxEntry, VisitRecord
from recepcja.sync.lost_terms import take_lost_term
from recepcja.sync.replay_report import (
    Observer,
    Outcome,
    Progress,
    ReplayReport,
    Stop,
    backoff_seconds,
    describe,
)

log = logging.getLogger("recepcja.sync.replay")

T = TypeVar("T")
# A local write CeR's answer asks for; what it returns is merged into the row's result (e.g. a
# ``put_back`` still to do).
LocalWrite = Callable[[], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Finished:
    """A row's outcome, waiting for its chunk's one commit."""

    entry: OutboxEntry
    outcome: Outcome
    result: dict[str, Any]  # stored in ``outbox.result`` (with ``outcome``)
    local_write: LocalWrite | None = None  # runs in the same transaction
    reason: str = ""  # why it was rejected, as the desk reads it


@dataclass(slots=True)
class Chunk:
    """Rows claimed together (``claimed``; none for a settled ambiguous row)."""

    claimed: frozenset[int]
    report: ReplayReport
    finished: list[Finished] = field(default_factory=list)
    written: set[int] = field(default_factory=set)  # rows a CeR write was sent for
    lost: set[int] = field(default_factory=set)  # rows handed to the pass's lost terms


@dataclass(frozen=True, slots=True)
class OriginalTerm:
    """The term the desk held for a visit when the replay first tried it; kept in the row's
    ``result`` (``original_slot_id``, ``original_start``, ``schedule_id``) across passes and
    crashes: the call list compares the final term with it."""

    slot_id: int | None
    start: str | None  # ISO, as stored
    schedule_id: int | None

    def as_result(self) -> dict[str, Any]:
        return {"original_slot_id": self.slot_id, "original_start": self.start,
                "schedule_id": self.schedule_id}


@dataclass(slots=True)
class BookingRow:
    """A ``book`` row on its way: the visit as last read, the term the desk gave it, and the
    terms CeR refused. When CeR has taken the visit's own term, the row waits (``sending``) in
    the pass's ``lost_terms`` for the end of the pass."""

    entry: OutboxEntry
    visit: VisitRecord
    original: OriginalTerm
    tried: set[int] = field(default_factory=set)  # local slot ids CeR has taken (or lacks)

    def progress(self) -> dict[str, Any]:
        """What the row's ``result`` keeps while the replay moves the visit."""
        return {**self.original.as_result(), "tried": sorted(self.tried)}

    def order(self) -> tuple[int, dt.datetime, int]:
        """Urgent first, then by the central request's date (art. 23d ust. 1), then as queued."""
        return (URGENCY_RANK[self.visit.urgency],
                self.visit.central_request_date or self.visit.created_at, self.entry.id)


class FreeTerms(Protocol):
    """What the pass knows of CeR's free terms (``replay_booking.CerFreeTerms``)."""

    def is_free(self, schedule_cer_id: str, slot: Slot) -> bool: ...

    def taken(self, slot_cer_id: str) -> None: ...


@dataclass(slots=True)
class ReplayPass:
    """One pass under one sender lease."""

    lease: SenderLease
    report: ReplayReport
    free_terms: FreeTerms
    lost_terms: list[BookingRow] = field(default_factory=list)

    def chunk(self, claimed: frozenset[int] = frozenset()) -> Chunk:
        return Chunk(claimed, self.report)


class RowSender:
    """CeR calls for outbox rows and the writing of their outcomes; see the module docstring.
    One per ``Replayer`` (the thread's ``repos`` and ``gateway``)."""

    def __init__(self, repos: Repositories, gateway: CerPort, *, clock: Callable[[], dt.datetime],
                 user: str, backoff_cap: float, observe: Observer | None,
                 on_progress: Progress | None) -> None:
        self.repos = repos
        self.gateway = gateway
        self.clock = clock
        self.user = user
        self.backoff_cap = backoff_cap
        self._observe = observe
        self._on_progress = on_progress
        # The pass's lease: its token (the rows it gives back must still be claimed under it)
        # and the practice owner's fence (``sync.practice_owner``), which raises when this
        # desk may no longer send - checked before every CeR write.
        self.token: str | None = None
        self.fence: Callable[[], None] | None = None

    # -- CeR --------------------------------------------------------------------------------

    def call(self, chunk: Chunk, entry: OutboxEntry, write: Callable[[], T]) -> T:
        """A CeR write for ``entry``. Business refusals are raised for the operation to
        handle; failures end the pass (``Stop``) with the row kept safe. A lapsed lease
        (``fence``) ends the pass before anything is sent: the row is given back unsent."""
        if self.fence is not None:
            try:
                self.fence()
            except DomainError as lost:
                raise Stop(lost) from None
        chunk.written.add(entry.id)
        try:
            answer = write()
        except CerRejected as error:
            self.observe(error)
            raise
        except CerBug as error:
            self.observe(error)
            if not error.may_have_committed:
                raise  # our request was wrong: the operation rejects the row
            self._fail(entry, error)
        except CerError as error:
            self.observe(error)
            self._fail(entry, error)
        self.observe(None)
        crash_point("replay.after_cer_answer")
        return answer

    def read(self, read: Callable[[], T]) -> T:
        """A CeR read (nothing changes in CeR): a refusal is raised, any failure ends the pass
        (the rows concerned are given back or stay as they are)."""
        try:
            answer = read()
        except CerRejected as error:
            self.observe(error)
            raise
        except CerError as error:
            self.observe(error)
            raise Stop(error) from None
        self.observe(None)
        return answer

    def read_back(self, visit: VisitRecord) -> CerVisit | None:
        """The visit as CeR has it, by our own identifier (None: CeR has none)."""
        try:
            return self.read(lambda: self.gateway.read_visit(visit_uid=visit.visit_uid))
        except CerRejected:
            return None

    def observe(self, outcome: BaseException | None) -> None:
        if self._observe is not None:
            self._observe(outcome)

    def _fail(self, entry: OutboxEntry, error: CerError) -> None:
        """CeR did not answer clearly: ambiguous when it may have committed (read back before
        any resend), else due again after the backoff. Either way the pass ends."""
        if error.may_have_committed:
            self.repos.outbox.mark_ambiguous(entry.id, str(error))
        else:
            self.retry_later(entry, error)
        self.repos.outbox.set_emergency(entry.id)  # it waits through an outage: evidence
        crash_point("replay.after_failure")
        raise Stop(error) from None

    def retry_later(self, entry: OutboxEntry, error: CerError) -> None:
        current = self.repos.outbox.get(entry.id)
        attempts = current.attempts if current else entry.attempts + 1
        retry_at = self.clock() + dt.timedelta(
            seconds=backoff_seconds(attempts, cap=self.backoff_cap))
        self.repos.outbox.mark_failed(entry.id, describe(error), retry_at)

    # -- outcomes ---------------------------------------------------------------------------

    def finish(self, chunk: Chunk, entry: OutboxEntry, outcome: Outcome,
               detail: dict[str, Any], local_write: LocalWrite | None = None) -> None:
        """The row is done with ``outcome``; ``local_write`` (what CeR's answer asks of the
        local store) is committed with it, at the chunk's flush."""
        result = {**detail, "outcome": str(outcome)}
        chunk.report.done += 1
        chunk.report.outcomes.append({"entry": entry.id, "visit_id": entry.visit_id, **result})
        chunk.finished.append(Finished(entry, outcome, result, local_write))

    def reject(self, chunk: Chunk, entry: OutboxEntry, why: str | BaseException,
               local_write: LocalWrite | None = None) -> None:
        """CeR refused (or the row cannot be sent): rejected with the reason as the desk reads
        it, at the chunk's flush, with ``local_write`` (e.g. the visit put back where CeR has
        it)."""
        reason = describe(why)
        chunk.report.rejected += 1
        chunk.report.outcomes.append({"entry": entry.id, "visit_id": entry.visit_id,
                                      "outcome": str(Outcome.REJECTED), "reason": reason})
        chunk.finished.append(Finished(entry, Outcome.REJECTED, {"reason": reason},
                                       local_write, reason))

    def guarded(self, chunk: Chunk, entry: OutboxEntry, work: Callable[[], None]) -> None:
        """Run one row's operation. ``Stop`` (CeR is not there) ends the pass; a CeR error the
        operation did not expect keeps the row safe (a refusal or our bug is a rejection, the
        rest is retried later); a local conflict (the patient is gone) is a rejection."""
        try:
            work()
        except Stop:
            raise
        except CerError as error:
            if isinstance(error, CerBug | CerRejected):
                self.reject(chunk, entry, error)
            else:
                self.retry_later(entry, error)
                chunk.report.retry_later += 1
        except ConflictError as error:
            self.reject(chunk, entry, error)

    def flush(self, chunk: Chunk) -> None:
        """Write the chunk's outcomes in one transaction, then resolve every claimed row that
        is still ``sending``: ambiguous if a CeR write went out for it, else given back."""
        finished, chunk.finished = chunk.finished, []
        if finished:
            try:
                with atomic(self.repos.db):
                    for item in finished:
                        self._write(item)
            except Exception:  # one bad row must not lose the others
                for item in finished:
                    self._write_alone(item)
            crash_point("replay.after_finish")
        done = {item.entry.id for item in finished}
        unsent = []
        for entry_id in sorted(chunk.claimed - done - chunk.lost):
            current = self.repos.outbox.get(entry_id)
            if current is None or current.state != OutboxState.SENDING:
                continue
            if entry_id in chunk.written:
                self.repos.outbox.mark_ambiguous(entry_id, "interrupted")
            else:
                unsent.append(entry_id)
        if unsent:
            self.repos.outbox.release(unsent, self.token)
            crash_point("replay.after_release")
        if self._on_progress is not None:
            for item in finished:
                self._on_progress(item.entry, str(item.outcome), item.result)

    def _write(self, item: Finished) -> None:
        extra = item.local_write() if item.local_write is not None else None
        if item.outcome == Outcome.REJECTED:
            self.repos.outbox.mark_rejected(item.entry.id, item.reason,
                                            {**(item.entry.result or {}), **extra}
                                            if extra else None)
        else:
            self.repos.outbox.mark_done(item.entry.id, {**item.result, **(extra or {})})
            take_lost_term(self.repos, item.result)  # CeR gave it away: taken, not "wolny"

    def _write_alone(self, item: Finished) -> None:
        try:
            with atomic(self.repos.db):
                self._write(item)
        except sqlite3.OperationalError as error:
            # The database was busy or failing: CeR's answer is read back next pass.
            log.warning("outbox row %s: writing CeR's answer failed: %s", item.entry.id, error)
            self.repos.outbox.mark_ambiguous(item.entry.id, f"local write: {error}")
        except Exception as error:  # reported on the row
            self.repos.outbox.mark_rejected(
                item.entry.id,
                describe(N_("the local database refused CeR's answer"))
                + f": {type(error).__name__}")

    # -- the local side ---------------------------------------------------------------------

    def visit(self, entry: OutboxEntry) -> VisitRecord | None:
        return None if entry.visit_id is None else self.repos.visits.get(entry.visit_id)

    def patient(self, visit: VisitRecord) -> Patient:
        patient = self.repos.patients.get(visit.patient_id)
        if patient is None:
            raise ConflictError(N_("the patient of this visit no longer exists"))
        return patient

    def move_to_cer_term(self, visit_id: int, slot_id: int, version: int
                         ) -> dict[str, Any] | None:
        """Move the visit (as of ``version``) to the term CeR holds it on; no outbox row, CeR
        is the origin. None when done, or when the desk has changed the visit since (its own
        row follows). When another visit holds the term here, ``{"put_back": ...}`` for the
        row's result: ``put_back_later`` tries again at the end of every pass."""
        try:
            with atomic(self.repos.db):
                self.repos.visits.move(visit_id, slot_id, self.user, notify_cer=False,
                                       expected_version=version)
        except ConflictError:
            current = self.repos.visits.get(visit_id)
            if current is None or current.version != version:
                return None
            log.info("visit %s: CeR holds it on a term another visit holds here", visit_id)
            return {"put_back": {"slot_id": slot_id, "version": version}}
        return None

    def put_back_later(self) -> None:
        """Visits whose term in CeR another visit held here when CeR answered: moved there now
        if it is free (e.g. that visit's booking went to another term in this pass). Recorded
        in the finished row (``result.put_back``), so a kill forgets nothing; until it is
        done, reconciliation shows the difference."""
        for entry in self.repos.outbox.awaiting_put_back():
            intent = (entry.result or {}).get("put_back") or {}
            with atomic(self.repos.db):
                still = entry.visit_id is not None and self.move_to_cer_term(
                    entry.visit_id, int(intent.get("slot_id", 0)), int(intent.get("version", 0)))
                if not still:
                    self.repos.outbox.clear_put_back(entry.id)
            if not still:
                crash_point("replay.after_put_back")
