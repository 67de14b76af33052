"""The desk's feature handlers: patients (register, edit), visits (next free term, cancel,
arrival), printouts and the training outage switch - moved out of ``MainWindow``, which keeps
composition and routing only (as ``gui/extensions.py`` keeps the panels, and
``gui/booking_flow.py`` booking and moving).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from recepcja.domain.model import Attendance
from recepcja.gui.formatting import datetime_text
from recepcja.gui.schedule_view import DAY_TAB
from recepcja.i18n import _
from recepcja.services import day_view

if TYPE_CHECKING:
    from recepcja.domain.entities import Patient
    from recepcja.services.patients import PatientInput


class DeskHandlers:
    def __init__(self, window: Any) -> None:
        self.window = window

    # --- patients --------------------------------------------------------------------------

    def add_patient(self) -> None:
        w = self.window
        from recepcja.gui.patient_dialog import PatientDialog

        dialog = PatientDialog(w.desk.register_patient, parent=w)
        if w._run_dialog(dialog) and dialog.saved is not None:
            w.patients.show_patient(dialog.saved)
            text = (_("Already in the register: {name} ({local_id})") if dialog.merged
                    else _("Patient registered: {name} ({local_id})"))
            w.statusBar().showMessage(text.format(
                name=f"{dialog.saved.last_name} {dialog.saved.first_name}",
                local_id=dialog.saved.local_id), 8000)

    def edit_patient(self, patient: Patient | None) -> None:
        w = self.window
        from recepcja.gui.patient_dialog import PatientDialog

        if patient is None or patient.id is None:
            return
        patient_id = patient.id

        def save(data: PatientInput) -> Patient:
            return w.desk.update_patient(patient_id, data)

        dialog = PatientDialog(save, patient, parent=w)
        if w._run_dialog(dialog) and dialog.saved is not None:
            w.patients.show_patient(dialog.saved)
            w.reload()

    def next_free_term(self) -> None:
        w = self.window
        row = w.schedule_view.current_row()
        after = max(w.clock(), row.start) if row is not None else w.clock()
        found = day_view.next_free(w.repos, w.schedules, after)
        if found is None:
            w.status.showMessage(_("No free term in the chosen schedules."), 8000)
            return
        _info, start, slot_id = found
        w.schedule_view.setCurrentIndex(DAY_TAB)
        w.go_to(start.date())
        w.views.when_shown(lambda: w.schedule_view.select_slot(slot_id))
        w.schedule_view.day_table.setFocus()

    def cancel_visit(self) -> None:
        w = self.window
        from recepcja.gui.cancel_dialog import CancelDialog

        row = w._visit_row()
        if row is None:
            return
        dialog = CancelDialog(
            f"{datetime_text(row.start)} — {row.patient_name} ({row.schedule_name})", w
        )
        if w._run_dialog(dialog):
            visit_id, reason = int(row.entry.visit_id or 0), dialog.reason_text()
            w.runner.run(lambda: w.desk.cancel(visit_id, reason),
                         on_success=lambda _r: w._changed(_("The visit was cancelled.")),
                         label=_("Cancelling…"), error_parent=w)

    def set_attendance(self, attendance: Attendance) -> None:
        w = self.window
        row = w._visit_row()
        if row is None:
            return
        visit_id = int(row.entry.visit_id or 0)
        w.runner.run(lambda: w.desk.attendance(visit_id, attendance),
                     on_success=lambda _r: w._changed(""), error_parent=w)


    # --- printouts --------------------------------------------------------------------------

    def printout_html(self, kind: str) -> tuple[str, str] | None:
        """(HTML, suggested file name) of the visit confirmation or the shown day's list."""
        w = self.window
        from recepcja.services import printouts

        now = w.clock()
        if kind == "day":
            return printouts.day_list(w.repos, w.views.day_rows(), w.current_day, now)
        row = w._visit_row()
        if row is None:
            return None
        return printouts.confirmation(w.repos, int(row.entry.visit_id or 0), now,
                                      w.ctx.settings.practice.phone)

    def printout(self, kind: str, pdf: bool = False, path: Path | None = None) -> Path | None:
        """Print, or save as PDF (asking where unless ``path`` is given). Local work only."""
        w = self.window
        from recepcja.gui.printing import print_html, save_pdf_as

        made = w.printout_html(kind)
        if made is None:
            return None
        html, name = made
        if not pdf:
            print_html(w, html, name)
            return None
        saved = save_pdf_as(w, html, str(w.ctx.paths.exports / name), path)
        if saved is not None:
            w.status.showMessage(_("Saved: {path}").format(path=str(saved)), 8000)
        return saved

    # --- training --------------------------------------------------------------------------

    def training_outage(self, start: bool) -> None:
        """Switch the simulator's outage on or off (training only), in the background."""
        w = self.window
        session = w.training
        if session is None:
            return
        call = session.simulate_outage if start else session.end_outage

        def done(_result: object) -> None:
            w.actions_.outage_start.setEnabled(not start)
            w.actions_.outage_end.setEnabled(start)
            w.status.showMessage(
                _("Training: CeR outage started. Book as usual and watch the banner.")
                if start else _("Training: the outage has ended; the queue will be sent."),
                10000,
            )
            w.bridge.probe()
            QTimer.singleShot(1500, w.bridge.probe)  # a second failure means offline

        w.runner.run(call, on_success=done, label=_("Switching the simulated CeR…"),
                     error_parent=w)
