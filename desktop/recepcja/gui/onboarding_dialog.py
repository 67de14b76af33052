"""The onboarding view (issue 4): the six steps of joining CeR, per place, with CeR's answers.

A non-modal dialog: one row per place and step (its state and what CeR answered), a progress
bar fed by the long steps' batches, and "Start / resume" running ``run_onboarding`` in the
window's ``BackgroundRunner`` (the network never on the UI thread). The service is resumable
and idempotent, so pressing the button again is always safe. A failed step (CeR unreachable,
activation refused with its explanation) is shown in its row; nothing is raised at the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.gui.signals import emit
from recepcja.i18n import _, error_text, ngettext
from recepcja.services.onboarding import (
    STEPS,
    StepResult,
    StepStatus,
    recorded_steps,
    status_label,
    step_label,
)

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow

COL_PLACE, COL_STEP, COL_STATE, COL_ANSWER = range(4)


error_message = error_text  # the name the onboarding and compliance views use


def _cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None  # every cell is filled when its row is added
    return item


class _Relay(QObject):
    """Lives in the UI thread; the worker emits on it, Qt queues the slots to the UI thread."""

    step_done = Signal(object)
    progressed = Signal(str, int, int)


class OnboardingDialog(QDialog):
    finished_run = Signal()

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.setObjectName("onboardingDialog")
        self.setWindowTitle(_("Joining CeR"))
        self.setModal(False)
        self.running = False
        self.relay = _Relay(self)
        self.relay.step_done.connect(self.show_step)
        self.relay.progressed.connect(self.show_progress)

        intro = QLabel(_("The six steps of joining CeR for every place. Each row shows CeR's "
                         "answer. Running again is safe: finished steps are skipped."))
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [_("Place of care"), _("Onboarding step"), _("Step state"), _("What CeR answered")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_ANSWER, QHeaderView.ResizeMode.Stretch)
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start = QPushButton(_("Start / resume"))
        self.start.clicked.connect(self.run)
        self.import_button = QPushButton(_("&Import booked visits (initial load)…"))
        self.import_button.setObjectName("importInitialLoad")
        self.import_button.setToolTip(_(
            "Visits already booked in the previous system, from a CSV or Excel file (template: "
            "initial_load_template.csv); sent to CeR by the initial load step"))
        self.import_button.clicked.connect(lambda *_a: self.import_visits())
        close = QPushButton(_("Close this view"))
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.start)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.rows: dict[tuple[int, str], int] = {}
        self.fill_rows()
        self.resize(980, 520)

    # --- rows ------------------------------------------------------------------------------

    def fill_rows(self) -> None:
        self.rows.clear()
        self.table.setRowCount(0)
        repos = self.window_.repos
        for place in repos.practice.places():
            recorded = recorded_steps(repos, place)  # "already done", not "waiting"
            for step in STEPS:
                status = recorded.get(step)
                self._add_row(int(place.id or 0), place.name, step,
                              status_label(status) if status else _("waiting"))
        self.table.resizeColumnsToContents()  # the headers read whole
        self.table.resizeRowsToContents()
        if self.rows and all(self.state_text(row) != _("waiting")
                             for row in self.rows.values()):
            self.progress.setValue(self.progress.maximum())  # nothing left: not "0%"

    def _add_row(self, place_id: int, place: str, step: str, state: str = "") -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in ((COL_PLACE, place), (COL_STEP, step_label(step)),
                             (COL_STATE, state or _("waiting")), (COL_ANSWER, "")):
            self.table.setItem(row, column, QTableWidgetItem(text))
        self.rows[(place_id, str(step))] = row
        return row

    def row_of(self, place_id: int, step: str) -> int | None:
        return self.rows.get((place_id, str(step)))

    def state_text(self, row: int) -> str:
        item = self.table.item(row, COL_STATE)
        return item.text() if item else ""

    def answer_text(self, row: int) -> str:
        item = self.table.item(row, COL_ANSWER)
        return item.text() if item else ""

    def show_step(self, result: StepResult) -> None:
        row = self.row_of(result.place_id, result.step)
        if row is None:
            row = self._add_row(result.place_id, result.place, result.step)
        from recepcja.services.desk_words import cer_state_words

        answer = cer_state_words(result.answer_text())  # "aktywne w CeR", not "AKTYWNE"
        if result.error is not None:
            answer = f"{answer} — {error_message(result.error)}" if answer else \
                error_message(result.error)
        if result.rejections:
            answer += " · " + "; ".join(f"{r.local_id}: {r.code} {r.message}"
                                         for r in result.rejections[:5])
        state = _cell(self.table, row, COL_STATE)
        state.setText(status_label(result.status))
        _cell(self.table, row, COL_ANSWER).setText(answer)
        _cell(self.table, row, COL_ANSWER).setToolTip(answer)
        if result.status == StepStatus.FAILED:
            state.setForeground(Qt.GlobalColor.red)
        self.table.scrollToItem(state)

    def show_progress(self, label: str, done: int, total: int) -> None:
        self.progress_label.setText(label)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total) if total > 0 else 1)

    # --- the initial load file ---------------------------------------------------------------

    def import_visits(self, path: Path | None = None) -> None:
        """Read the previous system's booked visits; bad rows are listed by row and reason and
        kept out, the rest are stored (the file can be corrected and imported again)."""
        if self.running:
            return
        if path is None:
            name, _filter = QFileDialog.getOpenFileName(
                self, _("Import booked visits"), str(Path.home()),
                _("Visits (*.csv *.xlsx)"))
            if not name:
                return
            path = Path(name)
        ctx = self.window_.ctx

        def work() -> Any:
            from recepcja.services.initial_load import import_initial_load

            with ctx.repositories() as repos:
                return import_initial_load(repos, path, ctx.user)

        self.import_button.setEnabled(False)
        self.window_.runner.run(work, on_success=self._imported, on_failure=self._import_failed,
                                label=_("Importing visits…"))

    def _imported(self, result: Any) -> None:
        from recepcja.services.initial_load import import_summary

        self.import_button.setEnabled(True)
        lines = [import_summary(result)]
        lines += [_("    row {row}: {reason}").format(row=e.row, reason=error_message(e.error))
                  for e in result.errors[:15]]
        if len(result.errors) > 15:
            more = len(result.errors) - 15
            lines.append("    " + ngettext("... and {count} more row with errors",
                                          "... and {count} more rows with errors", more)
                         .format(count=more))
        self.message.setText("\n".join(lines))

    def _import_failed(self, error: BaseException) -> None:
        self.import_button.setEnabled(True)
        self.message.setText(error_message(error))

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> None:
        if self.running:
            return
        self.running = True
        self.start.setEnabled(False)
        self.message.setText(_("Talking to CeR…"))
        for row in range(self.table.rowCount()):
            _cell(self.table, row, COL_STATE).setText(_("waiting"))
            _cell(self.table, row, COL_STATE).setForeground(self.palette().text())
        ctx = self.window_.ctx
        publishing = ctx.settings.publishing
        relay = self.relay

        def work() -> Any:
            from recepcja.services.gateway_factory import gateway_from_context
            from recepcja.services.onboarding import run_onboarding

            with gateway_from_context(ctx) as gateway, ctx.repositories() as repos:
                return run_onboarding(
                    repos, gateway, months=publishing.horizon_months,
                    margin_days=publishing.margin_days,
                    on_step=lambda step: emit(relay.step_done, step),
                    progress=lambda label, done, total: emit(relay.progressed, label, done,
                                                             total),
                )

        self.window_.runner.run(work, on_success=self._done, on_failure=self._failed,
                                label=_("Joining CeR…"))

    def _done(self, result: Any) -> None:
        self.running = False
        self.start.setEnabled(True)
        if result.ok:
            self.message.setText(_("All steps are done: the places are active in CeR."))
        else:
            self.message.setText(_("Some step failed (see its row). Fix the cause and press "
                                   "\"Start / resume\" again: finished steps are skipped."))
        emit(self.finished_run)
        refresh = getattr(self.window_, "refresh_status", None)
        if callable(refresh):
            refresh()

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self.start.setEnabled(True)
        self.message.setText(error_message(error))
        emit(self.finished_run)
