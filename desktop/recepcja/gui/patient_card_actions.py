"""Opening the patient card (``gui/patient_card.py``): from the search (Enter or a double click
on a result), from the day view (Enter or a double click on a booked term, or today's list)
and with F4 anywhere; the card is read, its notes saved, in the window's thread pool (reading
it leaves an audit row). A visit chosen on the card is shown in the day view.

Installed by ``gui/extensions.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from recepcja.gui.away_panels import add_source_line, card_source
from recepcja.gui.term_jump import show_term
from recepcja.i18n import _
from recepcja.services.patient_card import PatientCard, read_card, save_notes
from recepcja.store.patient_card import CardVisit
from recepcja.store.repos import Repositories

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


class PatientCardActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog: Any = None
        window.actions_.patient_card.triggered.connect(self.open_current)
        window.patients.card_requested.connect(lambda patient: self.open(patient.id))
        window.schedule_view.row_activated.connect(self._row_activated)

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()

    # --- which patient -----------------------------------------------------------------------

    def open_current(self) -> None:
        """F4: the patient of the focused view - the booked term of the day or week view, or
        today's list - else the one chosen in the search."""
        window = self.window
        row = None
        focus = window.focusWidget()
        if focus is not None and window.today.isAncestorOf(focus):
            index = window.today.table.currentIndex()
            row = window.today.model.row_at(index.row()) if index.isValid() else None
        elif focus is not None and window.schedule_view.isAncestorOf(focus):
            row = window.schedule_view.current_row()
        if row is not None and row.entry.patient_id:
            self.open(int(row.entry.patient_id))
        elif window.patient is not None and window.patient.id is not None:
            self.open(window.patient.id)
        else:
            window.status.showMessage(
                _("First choose a patient in the search, or a booked term."), 8000)

    def _row_activated(self, row: Any) -> None:
        if row.entry.visit_id is not None and row.entry.patient_id:
            self.open(int(row.entry.patient_id))

    # --- the card ----------------------------------------------------------------------------

    def open(self, patient_id: int | None) -> None:
        if patient_id is None:
            return
        window = self.window
        ctx, now = window.ctx, window.clock()

        def load() -> PatientCard:
            # While the practice server is away: from the desk's copy (gui/away_panels.py).
            with Repositories.over(ctx.open_desk_db()) as repos:
                return read_card(repos, patient_id, now, ctx.user, "window")

        window.runner.run(load, on_success=self._show, label=_("Opening the patient card…"),
                          error_parent=window)

    def _show(self, card: PatientCard) -> None:
        from recepcja.gui.patient_card import PatientCardDialog

        window = self.window
        if window.closed:
            return
        dialog = PatientCardDialog(card, self._notes_saver(card.patient.id or 0), window)
        add_source_line(dialog, card_source(window))
        chosen: list[Callable[[], object]] = []
        dialog.visit_chosen.connect(lambda visit: self._choose(dialog, chosen, visit))
        dialog.edit_requested.connect(lambda: self._choose(dialog, chosen, None))
        self.dialog = dialog
        try:
            window._run_dialog(dialog)  # the window's one way to run a dialog
        finally:
            self.dialog = None
        for then in chosen:
            then()

    def _choose(self, dialog: Any, chosen: list[Callable[[], object]],
                visit: CardVisit | None) -> None:
        """After the card closes: show the visit, or edit the patient and open the card
        again."""
        patient = dialog.card.patient
        if visit is None:
            chosen.append(lambda: self._edit(patient))
        elif visit.slot_id is not None and visit.start is not None and visit.state != "cancelled":
            day = visit.start.date()
            chosen.append(lambda: show_term(self.window, visit.slot_id, day))
        else:
            return  # no term to show (cancelled, on the waiting list): the card stays open
        dialog.accept()

    def _edit(self, patient: Any) -> None:
        self.window.edit_patient(patient)
        self.open(patient.id)

    def _notes_saver(self, patient_id: int) -> Callable[[str], None]:
        window = self.window
        ctx = window.ctx

        def save(text: str) -> None:
            def write() -> str:
                from recepcja.services.server_absence import require_practice_server

                require_practice_server(ctx.server_absence)  # not on the copy: kept in the card
                with ctx.repositories() as repos:
                    return save_notes(repos, patient_id, text, ctx.user)

            def open_card() -> Any:
                dialog = self.dialog
                return dialog if dialog is not None and dialog.card.patient.id == patient_id \
                    else None

            def saved(stored: str) -> None:
                if open_card() is not None:
                    open_card().notes_saved(stored)
                window.status.showMessage(_("The notes were saved."), 6000)

            def failed(error: BaseException) -> None:
                from recepcja.gui.errors import show_error

                if open_card() is not None:
                    open_card().notes_failed()
                show_error(window, error)

            window.runner.run(write, on_success=saved, on_failure=failed,
                              label=_("Saving the notes…"))

        return save


def install(window: MainWindow) -> PatientCardActions:
    return PatientCardActions(window)
