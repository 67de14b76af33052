"""The outbox worker: sends waiting visit operations to CeR, in order, exactly once.

One ``Replayer`` per thread (it uses that thread's ``Repositories`` and ``CerGateway``). A pass
(``run``; ``run_entry`` for the CLI's immediate try of one row) goes like this:

1. Take the data folder's sender lock (``store.sender_lock``): only one process sends a data
   folder's outbox at a time. Held elsewhere → wait up to ``wait`` seconds, then leave with
   ``report.busy`` naming the holder; nothing is touched.
2. Take over what a sender that is gone left behind: its ``sending`` rows (and ``sent`` rows of
   older versions) become ambiguous (``OutboxRepo.recover_interrupted``).
3. Settle ambiguous rows by reading CeR back (``replay_settle``).
4. Drain the due rows in id order, ``chunk`` at a time: claimed in one transaction, their
   outcomes - each with the local write CeR's answer asks for - written in one more
   (``replay_rows``). A booking whose term CeR has taken waits for step 5. With more than one
   row due, up to ``in_flight.limit`` rows are sent at once, each by a worker thread with its
   own connection and gateway, urgent first, in order where order matters
   (``sync.in_flight``).
5. Hand out terms to the patients who lost theirs: urgent first, the nearest allowed term CeR
   has free, else the central waiting list (``replay_booking``); then put visits back on the
   terms CeR holds them on where another visit held that term here (``put_back_later``).

Every claimed row is resolved before the lock is let go (done, rejected, failed with a backoff,
ambiguous, or given back unsent); a kill anywhere leaves rows that step 2 of the next pass
takes over. CeR unreachable ends the pass (``report.stopped_by``); CeR's business refusals end
one row (``rejected``, with the reason as the desk reads it). Outcomes: ``Outcome``; rows whose
outcome is ``moved`` or ``waiting_list`` are the call list. The state machine of a row is in
``store.outbox``; the named crash points (``recepcja.crashpoints``) mark every commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from recepcja.cer.port import CerPort
from recepcja.crashpoints import crash_point
from recepcja.store.records import OUTBOX_TERMINAL, OutboxOp, OutboxState
from recepcja.store.repos import Repositories
from recepcja.store.sender_lock import SenderBusy, SenderLock, sender_lock_for
from recepcja.store.working_records import OutboxEntry
from recepcja.sync import replay_workers as workers
from recepcja.sync.in_flight import InFlight, InFlightLimit, plan
from recepcja.sync.replay_booking import Booking
from recepcja.sync.replay_referrals import REFERRAL_OPS, ReferralGatewayFactory, ReferralRows
from recepcja.sync.replay_report import (
    HANDLED_OPS,
    REPLAY_USER,
    Observer,
    Outcome,
    Progress,
    ReplayReport,
    Stop,
    describe,
)
from recepcja.sync.replay_rows import Chunk, ReplayPass, RowSender
from recepcja.sync.replay_settle import Settling
from recepcja.sync.withdrawals import withdraw_slots

log = logging.getLogger("recepcja.sync.replay")


class Replayer:
    """Sends the outbox's visit operations through ``gateway``; see the module docstring.

    ``on_progress(entry, outcome, detail)`` after each finished row (written); ``on_chunk()``
    after each chunk (publish the queue count); ``observe(error|None)`` after each CeR call
    (the monitor); ``scope_to_cer`` maps a local scope code to CeR's ``zakres`` for the waiting
    list (identity by default: schedules are registered with it). ``sender_lock`` defaults to
    the data folder's lock; ``wait`` is how long to wait for another holder. ``referrals``
    makes this thread's gateway to P1's e-referral service (the e-referral rows wait without).

    ``in_flight``: how many CeR calls at once (``[cer] max_in_flight``; default
    ``in_flight.DEFAULT_MAX_IN_FLIGHT``); the workers' connections come from ``open_repos``
    (default: the same SQLite file again; a PostgreSQL store needs it) and their gateways from
    ``make_gateway`` (default: ``gateway.clone()``). Without them the pass sends one row at a
    time.
    """

    def __init__(
        self,
        repos: Repositories,
        gateway: CerPort,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        on_progress: Progress | None = None,
        observe: Observer | None = None,
        scope_to_cer: Callable[[str], str] = str,
        backoff_cap: float = 300.0,
        user: str = REPLAY_USER,
        on_chunk: Callable[[], None] | None = None,
        sender_lock: SenderLock | None = None,
        wait: float = 0.0,
        referrals: ReferralGatewayFactory | None = None,
        in_flight: InFlightLimit | None = None,
        open_repos: Callable[[], Repositories] | None = None,
        make_gateway: Callable[[], CerPort] | None = None,
    ) -> None:
        self.repos = repos
        self.in_flight = in_flight if in_flight is not None else InFlightLimit()
        self.open_repos = open_repos
        self.make_gateway = make_gateway
        self.on_progress = on_progress
        self.rows = RowSender(repos, gateway, clock=clock or repos.outbox.clock, user=user,
                              backoff_cap=backoff_cap, observe=observe,
                              on_progress=on_progress)
        self.booking = Booking(self.rows, scope_to_cer)
        self.settling = Settling(self.rows, self.booking)
        self.referrals = ReferralRows(self.rows, referrals)  # P1's e-referral rows
        self.on_chunk = on_chunk
        self.lock = sender_lock or sender_lock_for(repos.db, user)
        self.wait = wait

    # -- passes -------------------------------------------------------------------------------

    def run(self, *, max_entries: int | None = None, batch: int = 200,
            chunk: int = 25) -> ReplayReport:
        """One pass: settle ambiguous rows, then drain due rows until none are left, CeR stops
        answering, or ``max_entries`` rows were handled.

        Rows are claimed ``chunk`` at a time in one transaction and their outcomes written in
        one more (two commits per chunk instead of two per row: with synchronous=FULL a commit
        is an fsync)."""
        size = max(1, chunk)

        def drain(replay_pass: ReplayPass) -> None:
            for entry in self.repos.outbox.ambiguous():
                if entry.op in HANDLED_OPS:
                    self._settle(replay_pass, entry)
            handled = 0
            while max_entries is None or handled < max_entries:
                limit = batch if max_entries is None else min(batch, max_entries - handled)
                due = self.repos.outbox.pending_ops(HANDLED_OPS, self.rows.clock(), limit)
                if not due:
                    break
                if len(due) > 1 and self.in_flight.maximum > 1 and not crew:
                    crew.append(workers.crew(self, replay_pass))
                if crew and crew[0] is not None and len(due) > 1:
                    handled += crew[0].drain(replay_pass, plan(
                        due, *workers.order_facts(self.repos, due)), size)
                    continue
                for start in range(0, len(due), size):
                    handled += self._run_chunk(replay_pass, due[start:start + size])
                    if self.on_chunk is not None:
                        self.on_chunk()

        crew: list[InFlight | None] = []
        try:
            return self._under_lease(drain)
        finally:
            for flight in crew:
                if flight is not None:
                    flight.close()

    def run_entry(self, entry_id: int) -> ReplayReport:
        """Try ONE row now (the CLI's immediate try after a booking), after any earlier
        unfinished row of the same visit (a cancellation never overtakes its booking): the
        rows are taken in order, and when one cannot finish now the later ones wait for the
        next pass. A finished row is left alone."""

        def one(replay_pass: ReplayPass) -> None:
            entry = self.repos.outbox.get(entry_id)
            if entry is None:
                return
            rows = [entry] if entry.visit_id is None else [
                row for row in self.repos.outbox.for_visit(entry.visit_id)
                if row.id <= entry_id and row.state not in OUTBOX_TERMINAL]
            for row in rows:
                if row.state == OutboxState.AMBIGUOUS:
                    self._settle(replay_pass, row)
                current = self.repos.outbox.get(row.id)
                if current is not None and current.state in (OutboxState.QUEUED,
                                                             OutboxState.FAILED):
                    self._run_chunk(replay_pass, [current])
                    self.booking.hand_out(replay_pass)
                    current = self.repos.outbox.get(row.id)
                if current is None or current.state not in OUTBOX_TERMINAL:
                    return  # later rows of the visit wait for this one

        return self._under_lease(one)

    def _under_lease(self, work: Callable[[ReplayPass], None]) -> ReplayReport:
        report = ReplayReport()
        if not self.repos.outbox.count_pending() and not self.repos.outbox.has_put_backs():
            return report  # nothing to send: no lock needed
        try:
            lease = self.lock.acquire(self.wait)
        except SenderBusy as busy:
            report.busy = describe(busy)
            return report
        with lease:
            # The practice owner's lease fences every CeR write of the pass (its workers too).
            self.rows.token, self.rows.fence = lease.token, getattr(lease, "check", None)
            replay_pass = ReplayPass(lease, report, self.booking.free_terms())
            try:
                report.recovered = self.repos.outbox.recover_interrupted(lease.token)
                if report.recovered:
                    log.warning("%d outbox rows of a sender that is gone: read back",
                                report.recovered)
                    crash_point("replay.after_recover")
                work(replay_pass)
                self.booking.hand_out(replay_pass)
            except Stop as stop:
                report.stopped_by = describe(stop.error)
            finally:
                self.referrals.close()
                self.rows.put_back_later()
                # Bookings still waiting for another term: CeR committed nothing for them.
                leftover = [lost.entry.id for lost in replay_pass.lost_terms]
                replay_pass.lost_terms.clear()
                if leftover and self.repos.outbox.release(leftover, lease.token):
                    crash_point("replay.after_release")
        return report

    # -- chunks and rows ----------------------------------------------------------------------

    def _run_chunk(self, replay_pass: ReplayPass, entries: Sequence[OutboxEntry]) -> int:
        claimed = frozenset(self.repos.outbox.claim((entry.id for entry in entries),
                                                    replay_pass.lease.token))
        crash_point("replay.after_claim")
        chunk = replay_pass.chunk(claimed)
        try:
            for entry in entries:
                if entry.id in claimed:
                    self._process(replay_pass, chunk, entry)
        finally:
            self.rows.flush(chunk)
        return len(claimed)

    def _settle(self, replay_pass: ReplayPass, entry: OutboxEntry) -> None:
        chunk = replay_pass.chunk()
        try:
            self.settling.settle(chunk, entry)
        finally:
            self.rows.flush(chunk)

    def process(self, replay_pass: ReplayPass, chunk: Chunk, entry: OutboxEntry) -> None:
        """One claimed row, its outcome left in ``chunk`` (a worker's entry point)."""
        self._process(replay_pass, chunk, entry)

    def _process(self, replay_pass: ReplayPass, chunk: Chunk, entry: OutboxEntry) -> None:
        """Send one claimed row (``RowSender.guarded``: ``Stop`` ends the pass)."""

        def work() -> None:
            if entry.op == OutboxOp.BOOK:
                self.booking.book(replay_pass, chunk, entry)
            elif entry.op == OutboxOp.CANCEL:
                self.settling.cancel(chunk, entry)
            elif entry.op == OutboxOp.CHANGE:
                self.settling.change(chunk, entry)
            elif entry.op == OutboxOp.WAITING_LIST:
                self.settling.waiting_list(chunk, entry)
            elif entry.op == OutboxOp.WITHDRAW_SLOTS:  # sync.withdrawals (doctor absence)
                detail, apply = withdraw_slots(self.repos, self.rows.gateway, entry,
                                               lambda call: self.rows.call(chunk, entry, call))
                self.rows.finish(chunk, entry, Outcome.WITHDRAWN, detail, apply)
            elif entry.op in REFERRAL_OPS:  # sync.replay_referrals (P1, not CeR)
                self.referrals.process(chunk, entry)

        self.rows.guarded(chunk, entry, work)
