"""Doctor absence in the window: choose the doctor and the period, see the affected visits with
a proposal each (no term proposed to two patients), change a choice or leave a visit for a
phone call; ``services.absence`` applies it all in one transaction in the background (nothing
is saved if any of it is refused), and a result view stays open with the truth: what moved and
whether CeR has it yet, what is left to do, whom to call. It follows the sync engine as the
outbox rows reach CeR."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.gui.formatting import datetime_text, phone_text
from recepcja.i18n import _, ngettext
from recepcja.services.absence import (
    SUBSTITUTE,
    AbsencePlan,
    AffectedVisit,
    AppliedAbsence,
    MoveOption,
)

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow

Load = Callable[[int, dt.date, dt.date], list[AffectedVisit]]

__all__ = ["AbsenceDialog", "AbsencePlan", "AbsenceResultDialog", "open_absence"]


def option_text(option: MoveOption) -> str:
    if option.kind == SUBSTITUTE:
        return _("same term with {doctor}").format(doctor=option.resource_name)
    return _("nearest term: {when}, {doctor}").format(when=datetime_text(option.start),
                                                      doctor=option.resource_name)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(date: QDate) -> dt.date:
    return dt.date(date.year(), date.month(), date.day())


class AbsenceDialog(QDialog):
    """``resources``: (id, name), doctors first; ``default`` preselects one of them."""

    def __init__(self, resources: Sequence[tuple[int, str]], load: Load, start: dt.date,
                 parent: QWidget | None = None, default: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("absenceDialog")
        self.setWindowTitle(_("Doctor absence"))
        self._load = load
        self._affected: list[AffectedVisit] = []
        self.plan: AbsencePlan | None = None
        self.resource = QComboBox()
        self.resource.setObjectName("absenceResource")
        for resource_id, name in resources:
            self.resource.addItem(name, resource_id)
        if default is not None and self.resource.findData(default) >= 0:
            self.resource.setCurrentIndex(self.resource.findData(default))
        self.first = QDateEdit(_qdate(start))
        self.last = QDateEdit(_qdate(start))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd.MM.yyyy")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(_("e.g. illness"))
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("affectedVisits")
        self.table.setHorizontalHeaderLabels([_("Visit"), _("Patient"), _("Move to")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.summary = QLabel()
        self.summary.setObjectName("absenceSummary")
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow(_("Doctor:"), self.resource)
        dates = QHBoxLayout()
        dates.addWidget(self.first)
        dates.addWidget(QLabel("—"))
        dates.addWidget(self.last)
        form.addRow(_("Period:"), dates)
        form.addRow(_("Reason:"), self.reason)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            _("Save the absence and move the visits"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        # the table always shows what the doctor and the dates on screen mean
        self.resource.currentIndexChanged.connect(self.refresh)
        self.first.dateChanged.connect(self._first_changed)
        self.last.dateChanged.connect(self.refresh)
        self.resize(760, 480)
        self.refresh()

    def _first_changed(self) -> None:
        if self.last.date() < self.first.date():
            self.last.setDate(self.first.date())  # refreshes through dateChanged
        else:
            self.refresh()

    def refresh(self) -> None:
        first, last = _day(self.first.date()), _day(self.last.date())
        if last < first:
            self.last.setDate(self.first.date())
            return
        self._affected = self._load(int(self.resource.currentData() or 0), first, last)
        self.table.setRowCount(len(self._affected))
        for row, item in enumerate(self._affected):
            self.table.setItem(row, 0, QTableWidgetItem(
                f"{datetime_text(item.start)} ({item.schedule_name})"))
            self.table.setItem(row, 1, QTableWidgetItem(
                f"{item.patient.last_name} {item.patient.first_name}"))
            choice = QComboBox()
            for option in item.options:
                choice.addItem(option_text(option), option)
            choice.addItem(_("leave it — call the patient") if item.options
                           else _("no free term — call the patient"), None)
            self.table.setCellWidget(row, 2, choice)
        self.table.resizeColumnsToContents()
        without = sum(1 for item in self._affected if not item.options)
        count = len(self._affected)
        text = ngettext("{n} visit affected", "{n} visits affected", count).format(n=count)
        if without:
            text += " · " + ngettext("{n} without a free term", "{n} without a free term",
                                     without).format(n=without)
        self.summary.setText(text)

    def choice(self, row: int) -> MoveOption | None:
        widget = self.table.cellWidget(row, 2)
        return widget.currentData() if isinstance(widget, QComboBox) else None

    def accept(self) -> None:
        moves, unresolved = [], []
        for row, item in enumerate(self._affected):
            option = self.choice(row)
            if option is None:
                unresolved.append(item)
            else:
                moves.append((item.visit.id, option))
        self.plan = AbsencePlan(
            int(self.resource.currentData() or 0), _day(self.first.date()),
            _day(self.last.date()), self.reason.text().strip(), tuple(moves), tuple(unresolved))
        super().accept()


def call_lines(progress: Any) -> list[str]:
    """One line per patient to call: name, phone, new term (or none) and its state in CeR."""
    from recepcja.services.absence_report import state_text

    lines = []
    for call in progress.calls():
        phone = phone_text(call.phone) if call.phone else _("no phone")
        if call.to is None:
            lines.append(f"{call.name}, {phone} — {datetime_text(call.was)}: "
                         f"{_('no new term yet')}")
        else:
            lines.append(f"{call.name}, {phone} — {datetime_text(call.was)} → "
                         f"{datetime_text(call.to)} {call.doctor} ({state_text(call.state)})")
    return lines


class AbsenceResultDialog(QDialog):
    """What an applied absence got to, kept up to date from the store: stays open until the
    desk closes it (the calls are her work list)."""

    def __init__(self, window: MainWindow, applied: AppliedAbsence) -> None:
        super().__init__(window)
        self.setObjectName("absenceResult")
        self.setWindowTitle(_("Doctor absence: the result"))
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # and its signal connections
        self.window_ = window
        self.applied = applied
        self.headline = QLabel()
        self.headline.setObjectName("absenceHeadline")
        self.headline.setWordWrap(True)
        self.todo = QLabel()
        self.todo.setObjectName("absenceLeftToDo")
        self.todo.setWordWrap(True)
        self.calls = QTableWidget(0, 1)
        self.calls.setObjectName("absenceCalls")
        self.calls.horizontalHeader().hide()
        self.calls.horizontalHeader().setStretchLastSection(True)
        self.calls.verticalHeader().hide()
        self.calls.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(QLabel(_("Patients to call:")))
        layout.addWidget(self.calls, 1)
        layout.addWidget(self.todo)
        layout.addWidget(close)
        self.lines: list[str] = []
        bridge = getattr(window, "bridge", None)
        if bridge is not None:  # follow the rows as the sync engine sends them: once a pass
            bridge.queue_changed.connect(self.refresh)
        self.resize(720, 420)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        from recepcja.services.absence_report import absence_progress

        progress = absence_progress(self.window_.repos, self.applied)
        self.progress = progress
        moved = len(progress.moves)
        blocked = len(self.applied.blocked)
        headline = (ngettext("The absence is saved: {n} free term blocked",
                             "The absence is saved: {n} free terms blocked", blocked)
                    .format(n=blocked) + ", "
                    + ngettext("{n} visit moved.", "{n} visits moved.", moved).format(n=moved))
        if progress.complete:
            headline += " " + _("CeR has all of it.")
        self.headline.setText(headline)
        left = progress.left_to_do()
        self.todo.setText("\n".join(_("Left to do: {what}").format(what=line) for line in left))
        self.todo.setVisible(bool(left))
        self.lines = call_lines(progress)
        self.window_.last_call_list = list(self.lines)
        self.calls.setRowCount(len(self.lines))
        for row, line in enumerate(self.lines):
            self.calls.setItem(row, 0, QTableWidgetItem(line))


def open_absence(window: MainWindow) -> None:
    """The window's "Doctor absence" action: the dialog, then the service in the background,
    then the result view (or the one error line: nothing was saved)."""
    from recepcja.services import absence

    def load(resource_id: int, first: dt.date, last: dt.date) -> list[AffectedVisit]:
        return absence.affected_visits(window.repos, resource_id, first, last,
                                       now=window.clock())

    current = window.schedule_view.current_row()
    default = None
    if current is not None:
        schedule = window.repos.schedules.get(current.entry.schedule_id)
        default = schedule.resource_id if schedule is not None else None
    dialog = AbsenceDialog(absence.absence_resources(window.repos), load, window.current_day,
                           window, default=default)
    if not window._run_dialog(dialog) or dialog.plan is None:
        return
    plan = dialog.plan

    def done(applied: AppliedAbsence) -> None:
        window.bridge.wake()  # the moves and the withdrawal are queued: send them now
        window.reload()
        window.refresh_status()
        result = AbsenceResultDialog(window, applied)
        window.absence_result = result
        result.show()

    window.runner.run(lambda: window.desk.apply_absence(plan), on_success=done,
                      label=_("Moving the visits of the absent doctor…"), error_parent=window)
