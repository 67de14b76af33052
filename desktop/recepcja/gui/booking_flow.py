"""Booking and moving a visit in the window: the dialog, the booking in the background runner,
then the read-back line for the caller (doctor, place, date, what to bring) that stays on the
screen, and the confirmation printed on the same key that booked (or on Ctrl+P later).

``MainWindow`` composes; this module is the feature (as ``gui/extensions.py`` keeps the panels
out of the window).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel

from recepcja.domain.errors import DomainError
from recepcja.domain.model import WARSAW
from recepcja.gui.formatting import datetime_text
from recepcja.gui.workers import BackgroundRunner
from recepcja.i18n import _
from recepcja.store.repos import Repositories

if TYPE_CHECKING:
    from recepcja.domain.entities import Patient, Slot
    from recepcja.gui.booking_dialog import BookingDialog, BookingRequest
    from recepcja.services.booking_terms import TermOffer
    from recepcja.services.day_view import DayRow


class ReadBack(QLabel):
    """What the desk reads back to the caller after booking; stays until the next booking."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("readBack")
        self.setWordWrap(True)
        self.setStyleSheet("QLabel#readBack { background: #e6f4e6; color: #143d14;"
                           " border: 1px solid #9ccc9c; padding: 4px 8px; }")
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.show()


class BookingFlow:
    def __init__(self, window: Any) -> None:
        self.window = window
        self.print_confirmation = True  # the desk's last choice in the dialog, this session
        self.readback = ReadBack()
        # The dialog's free terms are read here, off the UI thread (one read at a time).
        self.reader = BackgroundRunner(window, workers=1)

    def close(self) -> None:
        self.reader.wait(5000)
        self.reader.shutdown()

    # --- what the dialog offers (on the reader's thread: their own connection) -------------

    def _repos(self) -> Repositories:
        return Repositories.over(self.window.ctx.open_desk_db())

    def _load_terms(self, scope: str) -> list[TermOffer]:
        from recepcja.services.booking_terms import offers

        with self._repos() as repos:
            return offers(repos, scope, self.window.clock(), self.window.scopes)

    def _propose(self, scope: str, urgency: Any) -> int | None:
        from recepcja.services.booking_terms import first_allowed

        with self._repos() as repos:
            return first_allowed(repos, scope, urgency, self.window.clock())

    def _referral_required(self, scope: str) -> bool:
        try:
            return self.window.scopes.get(scope).referral_required
        except DomainError:
            return False

    def _scope_for(self, row: DayRow | None) -> str | None:
        window = self.window
        if row is not None:
            info = next((i for i in window.schedules if i.id == row.entry.schedule_id), None)
            if info is not None:
                return info.schedule.scope_code
        scope = window.filters.values()[0]
        return scope or (window.schedules[0].schedule.scope_code if window.schedules else None)

    # --- booking --------------------------------------------------------------------------

    def book(self) -> None:
        window = self.window
        patient = window._need_patient()
        if patient is None:
            return
        dialog = self.dialog(patient)
        if window._run_dialog(dialog) and dialog.request is not None:
            self.print_confirmation = dialog.request.print_confirmation
            self.submit(dialog.request)

    def dialog(self, patient: Patient) -> BookingDialog:
        """The booking dialog for ``patient``, on the term the desk is on when it is free;
        its terms are being read when it is returned."""
        from recepcja.gui.booking_dialog import BookingDialog
        from recepcja.gui.referral_panel import panel_for
        from recepcja.services.booking_terms import scope_choices

        window = self.window
        row = window.schedule_view.current_row()
        free = row.entry.slot_id if row is not None and row.status.value == "free" else None
        return BookingDialog(
            patient, self._load_terms,
            scopes=scope_choices(window.repos, window.scopes), scope=self._scope_for(row),
            selected_slot=free, propose=self._propose,
            referral_required=self._referral_required,
            print_confirmation=self.print_confirmation,
            referral_panel=panel_for(window, patient), runner=self.reader, parent=window)

    def submit(self, request: BookingRequest) -> None:
        """Book in the background; the view shows the visit as waiting for CeR until the sync
        engine confirms it."""
        window = self.window

        def work() -> tuple[object, Slot | None, str]:
            result = window.desk.book(request.patient_id, request.slot_id, request.urgency,
                                      request.central_request_id, request.referral_id,
                                      referral_key=request.referral_key)
            visit = getattr(result, "visit", None)
            if visit is None or not visit.slot_id:
                return result, None, ""
            # What the window shows after it, read here too (the UI thread runs no query).
            with self._repos() as repos:
                slot = repos.slots.get(visit.slot_id)
                text = "" if slot is None else self.readback_text(
                    slot.schedule_id, slot.start, bool(request.referral_id), repos)
            return result, slot, text

        window.runner.run(work, on_success=lambda done: self._booked(done, request),
                          label=_("Booking…"), error_parent=window)

    def _booked(self, done: tuple[object, Slot | None, str], request: BookingRequest) -> None:
        result, slot, readback = done
        window = self.window
        if window.closed:
            return
        window.bridge.wake()
        visit = getattr(result, "visit", None)
        emergency = bool(getattr(result, "emergency", False))
        if slot is not None:
            window.current_day = slot.start.astimezone(WARSAW).date()
        window.reload()
        window.refresh_status()
        if slot is None:
            return
        window.views.when_shown(lambda: window.schedule_view.select_slot(int(slot.id or 0)))
        text = _("Booked {when}: waiting for confirmation from CeR.").format(
            when=datetime_text(slot.start))
        if emergency:
            text = _("Booked {when} in emergency mode: it will be sent to CeR when the "
                     "connection is back.").format(when=datetime_text(slot.start))
        window.status.showMessage(text, 10000)
        self.readback.show_text(readback)
        if request.print_confirmation and visit is not None:
            self.print_visit(int(visit.id))

    def readback_text(self, schedule_id: int, start: dt.datetime, referral: bool,
                      repos: Repositories | None = None) -> str:
        """``Zarezerwowano: wt. 08.12.2026 10:40 — lek. Anna Nowak, Poradnia …; zabrać: …``
        (``repos``: the calling thread's; the window's by default)."""
        repos = repos or self.window.repos
        schedule = repos.schedules.get(schedule_id)
        who, place = "", ""
        if schedule is not None:
            names = {r.id: r.name for r in repos.practice.resources()}
            who = names.get(schedule.resource_id) or schedule.name
            found = next((p for p in repos.practice.places() if p.id == schedule.place_id),
                         None)
            if found is not None:
                place = f"{found.name}, {found.address}" if found.address else found.name
        bring = [_("an identity document")]
        if referral or (schedule is not None and self._referral_required(schedule.scope_code)):
            bring.insert(0, _("the referral"))
        return _("Read back: {when} — {who}, {place}; bring {what}.").format(
            when=datetime_text(start), who=who, place=place, what=", ".join(bring))

    def print_visit(self, visit_id: int) -> None:
        """The confirmation to the default printer (the print dialog only without one)."""
        from recepcja.gui.printing import print_html_direct
        from recepcja.services import printouts

        window = self.window
        html, name = printouts.confirmation(window.repos, visit_id, window.clock(),
                                            window.ctx.settings.practice.phone)
        if print_html_direct(window, html, name):
            window.status.showMessage(_("The confirmation was sent to the printer."), 8000)

    # --- moving ---------------------------------------------------------------------------

    def reschedule(self) -> None:
        from recepcja.gui.booking_dialog import BookingDialog

        window = self.window
        row = window._visit_row()
        if row is None:
            return
        patient = window.repos.patients.get(int(row.entry.patient_id or 0))
        scope = self._scope_for(row)
        if patient is None or scope is None:
            return
        moving = f"{datetime_text(row.start)} — {row.resource_name or row.schedule_name}"
        dialog = BookingDialog(patient, self._load_terms, scope=scope, reschedule=True,
                               moving=moving, runner=self.reader, parent=window)
        if window._run_dialog(dialog) and dialog.request is not None:
            visit_id, slot_id = int(row.entry.visit_id or 0), dialog.request.slot_id
            window.runner.run(lambda: window.desk.reschedule(visit_id, slot_id),
                              on_success=lambda _r: window._changed(_("The visit was moved.")),
                              label=_("Moving the visit…"), error_parent=window)
