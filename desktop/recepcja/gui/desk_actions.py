"""What the desk's buttons do, as plain callables that run on ANY thread.

Each call opens its own connection (one per thread, see ``AppContext.open_db``), runs a use case
of ``services.booking`` / ``services.patients`` / ``services.absence`` and closes it, so the
window can hand these to the background runner; only ``apply_absence`` calls CeR (once, to
withdraw the blocked terms). No Qt here: this is the seam tests and the benchmark drive directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from recepcja.domain.model import WARSAW, Attendance, Urgency
from recepcja.services.context import AppContext
from recepcja.store.repos import Repositories

if TYPE_CHECKING:  # imported at first use: they pull in phonenumbers and stdnum (cold start)
    from recepcja.domain.entities import Patient
    from recepcja.services.absence import AbsencePlan, AppliedAbsence
    from recepcja.services.booking import BookingResult
    from recepcja.services.patients import PatientInput
    from recepcja.store.working_records import VisitRecord

T = TypeVar("T")


class DeskActions:
    def __init__(self, ctx: AppContext, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.ctx = ctx
        self.clock = clock or (lambda: dt.datetime.now(WARSAW))

    @contextmanager
    def _repos(self, *, practice_only: bool = False) -> Iterator[Repositories]:
        """The desk's database: the copy while the practice server is away - except for what
        the merge does not carry (``practice_only``), which is refused then in one line."""
        if practice_only:
            from recepcja.services.server_absence import require_practice_server

            require_practice_server(self.ctx.server_absence)
        with Repositories.over(self.ctx.open_desk_db()) as repos:
            yield repos

    def book(
        self,
        patient_id: int,
        slot_id: int,
        urgency: Urgency,
        central_request_id: str | None = None,
        referral_id: str | None = None,
        *,
        referral_key: str | None = None,
    ) -> BookingResult:
        from recepcja.services import booking

        with self._repos() as repos:
            return booking.book(
                repos,
                patient_id,
                slot_id,
                urgency,
                user=self.ctx.user,
                central_request_id=central_request_id,
                referral_id=referral_id,
                referral_key=referral_key,
                now=self.clock(),
            )

    def cancel(self, visit_id: int, reason: str) -> VisitRecord:
        from recepcja.services import booking

        with self._repos() as repos:
            return booking.cancel(repos, visit_id, reason, user=self.ctx.user)

    def reschedule(self, visit_id: int, slot_id: int) -> VisitRecord:
        from recepcja.services import booking

        with self._repos() as repos:
            return booking.reschedule(
                repos, visit_id, slot_id, user=self.ctx.user, now=self.clock()
            )

    def attendance(self, visit_id: int, attendance: Attendance) -> VisitRecord:
        from recepcja.services import booking

        with self._repos(practice_only=True) as repos:
            return booking.mark_attendance(
                repos, visit_id, attendance, user=self.ctx.user,
                realise_referral=self.ctx.settings.p1.realise_on_attendance)

    def propose(self, scope_code: str, urgency: Urgency) -> int | None:
        from recepcja.services import booking

        with self._repos() as repos:
            slot = booking.propose_term(repos, scope_code, urgency, now=self.clock())
            return None if slot is None else slot.id

    def register_patient(self, data: PatientInput) -> Patient:
        from recepcja.services.patients import register_patient

        with self._repos() as repos:
            return register_patient(repos.db, data, self.ctx.user, today=self.clock().date())

    def update_patient(self, patient_id: int, data: PatientInput) -> Patient:
        from recepcja.services.patients import update_patient

        with self._repos(practice_only=True) as repos:
            return update_patient(repos.db, patient_id, data, self.ctx.user,
                                  today=self.clock().date())

    def apply_absence(self, plan: AbsencePlan) -> AppliedAbsence:
        """Record the absence and make the chosen moves: ONE transaction (the moves as
        ``change`` rows, the blocked terms and their withdrawal from CeR queued); nothing is
        saved if any of it is refused. The sync engine sends the rows."""
        from recepcja.services import absence

        with self._repos(practice_only=True) as repos:
            return absence.apply_absence(repos, plan, user=self.ctx.user, now=self.clock())
