"""Find a patient as the desk types: PESEL, surname or phone, debounced so a fast typist does
not run a query per key; add or edit from here, open the patient card (Enter or a double click
on a result).

A search selects its result only when it is the only one (a full PESEL, a local ID): among
namesakes the desk chooses, nothing is chosen for her."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from recepcja.gui.patient_model import PatientTableModel
from recepcja.gui.signals import emit
from recepcja.i18n import _

if TYPE_CHECKING:  # annotations: the entities' module is not needed before the first paint
    from recepcja.domain.entities import Patient

SEARCH_DELAY_MS = 250

Search = Callable[[str], "list[Patient]"]


class PatientsPanel(QWidget):
    """``search`` is the query (the window passes one over its UI-thread connection);
    ``patient_chosen`` fires when the selection changes; ``card_requested`` on Enter or a double
    click on a result."""

    patient_chosen = Signal(object)  # Patient | None
    add_requested = Signal()
    edit_requested = Signal(object)  # Patient
    card_requested = Signal(object)  # Patient
    searched = Signal(int)  # number of results, after each completed search

    def __init__(self, search: Search, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self.setObjectName("patientsPanel")
        title = QLabel("<b>" + _("Patients") + "</b>")
        self.query = QLineEdit()
        self.query.setObjectName("patientSearch")
        self.query.setPlaceholderText(_("PESEL, surname or phone…"))
        self.query.setClearButtonEnabled(True)
        self.query.setToolTip(_("Find a patient as you type (Ctrl+F)"))
        self.model = PatientTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("patientResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel(_("Type at least two characters."))
        self.add_button = QPushButton(_("New patient"))
        self.add_button.setToolTip(_("Register a new patient (Ctrl+Shift+P)"))
        self.edit_button = QPushButton(_("Edit"))
        self.edit_button.setToolTip(_("Edit the selected patient"))
        self.edit_button.setEnabled(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.query)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(lambda _text: self._timer.start())
        self.query.returnPressed.connect(self._enter)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(self._activated)
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button.clicked.connect(self._edit)
        self.setTabOrder(self.query, self.table)
        self.setTabOrder(self.table, self.add_button)
        self.setTabOrder(self.add_button, self.edit_button)

    def focus_search(self) -> None:
        self.query.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query.selectAll()

    def selected(self) -> Patient | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.patient_at(rows[0].row()) if rows else None

    def run_search(self) -> None:
        self._timer.stop()
        text = self.query.text().strip()
        patients = self._search(text) if len(text) >= 2 else []
        self.model.set_patients(patients)
        if len(text) < 2:
            self.summary.setText(_("Type at least two characters."))
        elif len(patients) == 1:
            self.summary.setText(_("Found: {count}").format(count=1))
            self._select(0)
        elif patients:
            self.summary.setText(_("Found: {count} - choose the patient (arrows, Enter for the "
                                   "card).").format(count=len(patients)))
        else:
            self.summary.setText(_("No patient found."))
        self._selection_changed()
        emit(self.searched, len(patients))

    def show_patient(self, patient: Patient) -> None:
        """Put one patient in the list and select it (after adding, editing or merging: a
        surname search may list others first, so the row is found by id)."""
        self.query.blockSignals(True)
        self.query.setText(patient.identifier.pesel or patient.last_name)
        self.query.blockSignals(False)
        self.run_search()
        for row in range(self.model.rowCount()):
            found = self.model.patient_at(row)
            if found is not None and found.id == patient.id:
                self._select(row)
                break

    def _select(self, row: int) -> None:
        from PySide6.QtCore import QItemSelectionModel  # not before the first paint

        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)

    def _activated(self, index: QModelIndex) -> None:
        patient = self.model.patient_at(index.row())
        if patient is None:
            return
        selected = self.selected()
        if selected is None or selected.id != patient.id:
            self._select(index.row())
        emit(self.card_requested, patient)

    def _enter(self) -> None:
        if self._timer.isActive():
            self.run_search()
        if self.model.rowCount():
            self.table.setFocus()

    def _selection_changed(self, *_args: object) -> None:
        patient = self.selected()
        self.edit_button.setEnabled(patient is not None)
        emit(self.patient_chosen, patient)

    def _edit(self) -> None:
        patient = self.selected()
        if patient is not None:
            emit(self.edit_requested, patient)
