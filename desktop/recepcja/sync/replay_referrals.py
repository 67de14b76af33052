"""The replay's e-referral rows: P1's e-referral service, reached through the outbox.

A visit booked on an e-referral carries its key (``visits.referral_key``). Three rows move the
referral in P1, each queued in the transaction of the desk's change that asks for it:

- ``referral_take`` (with the booking): read the referral by its key, check it as the desk does
  before booking (``domain.referral.desk_check``: takeable, this patient's, for the term's
  scope), then ``przyjecieDoRealizacjiSkierowania`` with the visit date and the refunded flag.
  Taking a referral this provider already holds answers as done, so a resend after a kill or a
  lost answer is harmless: the row is queued again as it is (``replay_settle``) and ends done
  once. A referral found unusable at replay (booked in emergency mode; held elsewhere or
  cancelled meanwhile) ends the row as ``referral_refused`` with the reason in Polish: the visit
  is on the call list (``services.call_list``).
- ``referral_give_back`` (with a cancellation): ``rezygnacjaZRealizacjiSkierowania``, only when
  the take row took it; "not taken here" is done as well.
- ``referral_realise`` (with "arrived", when ``[p1] realise_on_attendance`` is on):
  ``zakonczenieRealizacjiSkierowania``; "already realised" is done as well.
- ``referral_date`` (with every move of the visit: the desk's reschedule, an absence, the
  replay's move to the nearest term, a term CeR holds it on, a term CeR gives it from the
  central waiting list - ``VisitRepo.apply_from_cer``): P1's visit date follows. Sent
  only when the referral was taken here and the visit's day differs from the last date P1 got
  (a take row still waiting carries the day of the visit as it is then), so a move sends the
  new date exactly once. P1 publishes no operation for it: the contract model resends
  ``przyjecieDoRealizacjiSkierowania`` with the new ``dataWizyty`` by the holder, which updates
  the date (resources/p1-referral/README.md).

P1 is not CeR: its failures never end the pass (CeR's rows go on) and never reach CeR's
connectivity monitor. A P1 write that may have committed leaves the row ambiguous (read back
by resending, see above); any other failure retries the row later. No P1 address configured:
the row waits (retried with the backoff) until there is one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from recepcja.cer.errors import CerError
from recepcja.cer.referrals import ReferralRejected
from recepcja.crashpoints import crash_point
from recepcja.domain.errors import N_, DomainError
from recepcja.domain.model import WARSAW, Scope
from recepcja.domain.referral import (
    PROBLEM_MESSAGES,
    Referral,
    ReferralLookup,
    ReferralProblem,
    desk_check,
    known_scope,
    problem_params,
)
from recepcja.i18n import _
from recepcja.store.records import OutboxOp, OutboxState
from recepcja.store.working_records import OutboxEntry
from recepcja.sync.replay_report import Outcome
from recepcja.sync.replay_rows import Chunk, RowSender

log = logging.getLogger("recepcja.sync.replay")

REFERRAL_OPS = (OutboxOp.REFERRAL_TAKE, OutboxOp.REFERRAL_GIVE_BACK, OutboxOp.REFERRAL_REALISE,
                OutboxOp.REFERRAL_DATE)
# The desk's P1 gateway for this thread; raises when P1 is not configured.
ReferralGatewayFactory = Callable[[], Any]


class NoReferralService(CerError):
    """No e-referral service to send to (not configured here)."""


def reason_text(problem: ReferralProblem | None, referral: Referral | None,
                scope: Scope | None, fallback: str = "") -> str:
    """Why a referral cannot be used, as the desk reads it (translated)."""
    if problem is None:
        return fallback
    return _(PROBLEM_MESSAGES[problem]).format(**problem_params(problem, referral, scope))


class ReferralRows:
    """Sends the outbox's e-referral rows through a gateway made on first use (one per pass,
    closed by ``close``)."""

    def __init__(self, rows: RowSender, make_gateway: ReferralGatewayFactory | None) -> None:
        self.rows = rows
        self.repos = rows.repos
        self._make_gateway = make_gateway
        self._gateway: Any = None

    @property
    def factory(self) -> ReferralGatewayFactory | None:
        """What makes the gateway (the replay's workers make their own with it)."""
        return self._make_gateway

    def gateway(self) -> Any:
        if self._gateway is None:
            if self._make_gateway is None:
                raise NoReferralService(N_("P1's e-referral service is not configured on this "
                                           "workstation: the e-referral waits."))
            try:
                self._gateway = self._make_gateway()
            except DomainError as error:  # not configured: the row waits for the settings
                # The message and its parameters as the settings' error has them (translated
                # where shown).
                raise NoReferralService(error.message, **error.params) from None  # type: ignore[arg-type]
        return self._gateway

    def close(self) -> None:
        gateway, self._gateway = self._gateway, None
        if gateway is not None:
            gateway.close()

    # -- dispatch ---------------------------------------------------------------------------

    def process(self, chunk: Chunk, entry: OutboxEntry) -> None:
        """One claimed e-referral row. P1's trouble keeps the row (never ``Stop``)."""
        try:
            if entry.op == OutboxOp.REFERRAL_TAKE:
                self.take(chunk, entry)
            elif entry.op == OutboxOp.REFERRAL_GIVE_BACK:
                self.give_back(chunk, entry)
            elif entry.op == OutboxOp.REFERRAL_REALISE:
                self.realise(chunk, entry)
            elif entry.op == OutboxOp.REFERRAL_DATE:
                self.follow_date(chunk, entry)
        except CerError as error:
            if error.may_have_committed and entry.id in chunk.written:
                self.repos.outbox.mark_ambiguous(entry.id, str(error))
            else:
                self.rows.retry_later(entry, error)
                chunk.report.retry_later += 1
            log.info("e-referral row %s waits: %s", entry.id, type(error).__name__)

    def _write(self, chunk: Chunk, entry: OutboxEntry, send: Callable[[], Referral]) -> Referral:
        chunk.written.add(entry.id)
        referral = send()
        crash_point("referral.after_p1_answer")
        return referral

    def _refused(self, chunk: Chunk, entry: OutboxEntry, problem: ReferralProblem | None, *,
                 referral: Referral | None, scope: Scope | None, fallback: str = "") -> None:
        reason = reason_text(problem, referral, scope, fallback)
        self.rows.finish(chunk, entry, Outcome.REFERRAL_REFUSED,
                         {"key": entry.payload.get("key"), "reason": reason,
                          "problem": str(problem) if problem else None})

    # -- the operations ---------------------------------------------------------------------

    def take(self, chunk: Chunk, entry: OutboxEntry) -> None:
        visit = self.rows.visit(entry)
        key = str(entry.payload.get("key") or "")
        if visit is None or visit.state == "cancelled":
            self.rows.finish(chunk, entry, Outcome.SKIPPED, {"key": key})
            return
        patient = self.rows.patient(visit)
        scope = known_scope(visit.scope_code)
        gateway = self.gateway()
        try:
            referral = gateway.read(ReferralLookup(key=key))
        except ReferralRejected as error:
            self._refused(chunk, entry, error.problem, referral=None, scope=scope,
                          fallback=error.message)
            return
        problem = desk_check(referral, patient_pesel=patient.identifier.pesel, scope=scope)
        if problem is not None:
            self._refused(chunk, entry, problem, referral=referral, scope=scope)
            return
        refunded = entry.payload.get("refunded")
        slot = self.repos.slots.get(visit.slot_id) if visit.slot_id is not None else None
        day = visit_day(slot.start) if slot is not None else None
        try:
            taken = self._write(chunk, entry, lambda: gateway.take(
                key, refunded=referral.refunded if refunded is None else bool(refunded),
                visit_date=day))
        except ReferralRejected as error:
            self._refused(chunk, entry, error.problem, referral=referral, scope=scope,
                          fallback=error.message)
            return
        self.rows.finish(chunk, entry, Outcome.REFERRAL_TAKEN,
                         {"key": key, "status": str(taken.status),
                          "visit_date": day.isoformat() if day else None})

    def give_back(self, chunk: Chunk, entry: OutboxEntry) -> None:
        key = str(entry.payload.get("key") or "")
        if not self._was_taken(chunk, entry):
            self.rows.finish(chunk, entry, Outcome.SKIPPED, {"key": key})
            return
        try:
            referral = self._write(chunk, entry, lambda: self.gateway().give_back(key))
        except ReferralRejected as error:
            if error.problem != ReferralProblem.NOT_TAKEN:
                self.rows.reject(chunk, entry, error)
                return
            referral = None  # given back already (a resend): done
        self.rows.finish(chunk, entry, Outcome.REFERRAL_GIVEN_BACK,
                         {"key": key, "status": str(referral.status) if referral else None})

    def realise(self, chunk: Chunk, entry: OutboxEntry) -> None:
        key = str(entry.payload.get("key") or "")
        if not self._was_taken(chunk, entry):
            self.rows.finish(chunk, entry, Outcome.SKIPPED, {"key": key})
            return
        day = self.rows.clock().astimezone(WARSAW).date()
        try:
            referral = self._write(chunk, entry, lambda: self.gateway().realise(key, day))
        except ReferralRejected as error:
            if error.problem != ReferralProblem.REALISED:
                self.rows.reject(chunk, entry, error)
                return
            referral = None  # realised already (a resend): done
        self.rows.finish(chunk, entry, Outcome.REFERRAL_REALISED,
                         {"key": key, "status": str(referral.status) if referral else None,
                          "day": day.isoformat()})

    def follow_date(self, chunk: Chunk, entry: OutboxEntry) -> None:
        """P1's visit date follows the moved visit: the holder takes it again with the new
        ``dataWizyty`` (the model's way, see the module docstring), once per new day."""
        key = str(entry.payload.get("key") or "")
        visit = self.rows.visit(entry)
        slot = (self.repos.slots.get(visit.slot_id)
                if visit is not None and visit.slot_id is not None else None)
        day = visit_day(slot.start) if slot is not None and visit is not None \
            and visit.state != "cancelled" else None
        # A term change the replay writes at this chunk's commit (the visit put back where CeR
        # holds it) queues its own date row, which sends the day the visit really has.
        moving = any(item.entry.visit_id == entry.visit_id and item.local_write is not None
                     for item in chunk.finished)
        if day is None or moving or not self._was_taken(chunk, entry) \
                or self._date_sent(chunk, entry) == day.isoformat():
            self.rows.finish(chunk, entry, Outcome.SKIPPED, {"key": key})
            return
        refunded = self._holder_refunded(entry)
        try:
            referral = self._write(chunk, entry, lambda: self.gateway().take(
                key, refunded=refunded, visit_date=day))
        except ReferralRejected as error:  # no longer ours (cancelled, realised, given back)
            self.rows.reject(chunk, entry, error)
            return
        self.rows.finish(chunk, entry, Outcome.REFERRAL_DATE_SET,
                         {"key": key, "status": str(referral.status),
                          "visit_date": day.isoformat()})

    def _date_sent(self, chunk: Chunk, entry: OutboxEntry) -> str | None:
        """The last visit date P1 got for this visit (its take or date rows, done)."""
        sent = None
        for row in self.repos.outbox.for_visit(entry.visit_id or 0):
            if row.op in (OutboxOp.REFERRAL_TAKE, OutboxOp.REFERRAL_DATE) \
                    and row.state == OutboxState.DONE and row.id != entry.id:
                sent = (row.result or {}).get("visit_date") or sent
        for item in chunk.finished:
            if item.entry.visit_id == entry.visit_id and item.entry.op in (
                    OutboxOp.REFERRAL_TAKE, OutboxOp.REFERRAL_DATE):
                sent = (item.result or {}).get("visit_date") or sent
        return sent

    def _holder_refunded(self, entry: OutboxEntry) -> bool:
        """What this provider stated when taking it (the take row's choice, else refunded)."""
        for row in self.repos.outbox.for_visit(entry.visit_id or 0):
            if row.op == OutboxOp.REFERRAL_TAKE and row.payload.get("refunded") is not None:
                return bool(row.payload["refunded"])
        return True

    def _was_taken(self, chunk: Chunk, entry: OutboxEntry) -> bool:
        """Whether this visit's referral was taken into realisation here (its take row is done
        as taken, or finished so in this chunk: rows go in id order)."""
        if entry.visit_id is None:
            return False
        for item in chunk.finished:
            if item.entry.visit_id == entry.visit_id and item.entry.op == OutboxOp.REFERRAL_TAKE:
                return item.outcome == Outcome.REFERRAL_TAKEN
        for row in self.repos.outbox.for_visit(entry.visit_id):
            if row.op == OutboxOp.REFERRAL_TAKE and row.state == OutboxState.DONE:
                return (row.result or {}).get("outcome") == Outcome.REFERRAL_TAKEN
        return False


def visit_day(start: dt.datetime) -> dt.date:
    """The day of a visit as P1 records it (Polish local time)."""
    return start.astimezone(WARSAW).date()
