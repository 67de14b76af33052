"""Doctor absence: choose the doctor and the period, see the affected visits, choose per
visit a substitute on the same term or the nearest allowed term. The window then applies it
(``services.absence``) in the background and shows whom to call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDate
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
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.gui.formatting import datetime_text, phone_text
from recepcja.i18n import _
from recepcja.services.absence import SUBSTITUTE, AffectedVisit, MoveOption

Load = Callable[[int, dt.date, dt.date], list[AffectedVisit]]


@dataclass(frozen=True, slots=True)
class AbsencePlan:
    resource_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str
    moves: tuple[tuple[int, MoveOption], ...]  # (visit id, chosen option)
    unresolved: tuple[AffectedVisit, ...]  # visits with no option: the desk calls them


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
    def __init__(self, resources: Sequence[tuple[int, str]], load: Load, start: dt.date,
                 parent: QWidget | None = None) -> None:
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
        self.first = QDateEdit(_qdate(start))
        self.last = QDateEdit(_qdate(start))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd.MM.yyyy")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(_("e.g. illness"))
        self.show_button = QPushButton(_("Show affected visits"))
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("affectedVisits")
        self.table.setHorizontalHeaderLabels([_("Visit"), _("Patient"), _("Move to")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.summary = QLabel()
        form = QFormLayout()
        form.addRow(_("Doctor:"), self.resource)
        dates = QHBoxLayout()
        dates.addWidget(self.first)
        dates.addWidget(QLabel("—"))
        dates.addWidget(self.last)
        dates.addWidget(self.show_button)
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
        self.show_button.clicked.connect(self.refresh)
        self.resize(760, 480)
        self.refresh()

    def refresh(self) -> None:
        first, last = _day(self.first.date()), _day(self.last.date())
        if last < first:
            self.last.setDate(self.first.date())
            last = first
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
            choice.addItem(_("leave it — call the patient"), None)
            self.table.setCellWidget(row, 2, choice)
        self.table.resizeColumnsToContents()
        self.summary.setText(_("Affected visits: {count}").format(count=len(self._affected)))

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


def show_calls(parent: QWidget, outcome: object) -> list[str]:
    """After an absence: a message box with the patients to call (CeR notifies them too);
    returns their lines (name, phone, new term)."""
    calls = getattr(outcome, "calls", [])
    lines = []
    for patient, start in calls:
        phone = phone_text(patient.phone) if patient.phone else _("no phone")
        when = datetime_text(start) if start else _("no new term yet")
        lines.append(f"{patient.last_name} {patient.first_name}, {phone} — {when}")
    shown = list(lines)
    if getattr(outcome, "withdraw_error", None):
        shown.append(_("CeR could not be reached: the doctor's free terms will be "
                       "withdrawn from CeR at the next publication."))
    box = QMessageBox(parent)
    box.setWindowTitle(_("Patients to call"))
    box.setText(_("Patients to call: {count}").format(count=len(calls)))
    box.setDetailedText("\n".join(shown))
    box.setInformativeText("\n".join(shown[:15]))
    box.open()
    return lines
