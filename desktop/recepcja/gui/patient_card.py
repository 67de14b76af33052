"""The patient card: data and contact, the desk's notes, upcoming and past visits (with their
state in CeR in words) and the calls made to the patient.

The dialog only shows a ``services.patient_card.PatientCard`` and says what the desk asked for
(``visit_chosen`` for a double click / Enter on a visit, ``edit_requested``, ``save_notes``);
``gui/patient_card_actions.py`` loads it and does the work.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.errors import N_
from recepcja.domain.model import WARSAW
from recepcja.gui.formatting import phone_text, weekday_short
from recepcja.gui.patient_model import identity_text
from recepcja.gui.signals import emit
from recepcja.gui.term_style import TermLook, urgency_label
from recepcja.i18n import _
from recepcja.services.patient_card import (
    PatientCard,
    attendance_words,
    call_outcome_words,
    cer_state_words,
)
from recepcja.store.patient_card import CardVisit

VISIT_HEADERS = (N_("Term"), N_("Doctor / device"), N_("Place"), N_("Term kind"), N_("Urgency"),
                 N_("CeR"))


def _term(visit: CardVisit) -> str:
    if visit.start is None or visit.end is None:
        return _("no term")
    start, end = visit.start.astimezone(WARSAW), visit.end.astimezone(WARSAW)
    return f"{weekday_short(start.date())} {start:%d.%m.%Y %H:%M}–{end:%H:%M}"


class PatientCardDialog(QDialog):
    visit_chosen = Signal(object)  # CardVisit
    edit_requested = Signal()

    def __init__(self, card: PatientCard, save_notes: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientCard")
        self.card = card
        self._save_notes = save_notes
        self.look = TermLook()
        patient = card.patient
        self.setWindowTitle(_("Patient card: {name}").format(
            name=f"{patient.last_name} {patient.first_name}"))
        title = QLabel(f"<b style='font-size: 15px'>{patient.last_name} {patient.first_name}</b>")
        data = QFormLayout()
        data.addRow(_("PESEL / document:"), self._value(identity_text(patient)))
        data.addRow(_("Local ID:"), self._value(patient.local_id or "-"))
        birth = f"{patient.birth_date:%d.%m.%Y}" if patient.birth_date else "-"
        data.addRow(_("Date of birth:"), self._value(birth))
        self.phone = self._value(phone_text(patient.phone) if patient.phone else _("none"))
        self.phone.setObjectName("cardPhone")
        data.addRow(_("Phone:"), self.phone)
        self.notes = QPlainTextEdit(card.notes)
        self.notes.setObjectName("cardNotes")
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText(_("e.g. hard of hearing - call the daughter"))
        self.notes.setMaximumHeight(90)
        self.save_button = QPushButton(_("Save the notes"))
        self.save_button.setObjectName("saveNotes")
        self.save_button.setToolTip(_("Save the notes (Ctrl+S)"))
        self.save_button.setEnabled(False)
        self.notes.textChanged.connect(lambda: self.save_button.setEnabled(True))
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)  # type: ignore[call-overload]
        notes_label = QLabel(_("&Notes:"))
        notes_label.setBuddy(self.notes)
        notes_box = QVBoxLayout()
        notes_box.addWidget(notes_label)
        notes_box.addWidget(self.notes)
        notes_box.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)
        top = QHBoxLayout()
        top.addLayout(data, 1)
        top.addLayout(notes_box, 1)

        self.upcoming = self._visits_table("upcomingVisits", card.upcoming)
        self.past = self._visits_table("pastVisits", card.past)
        self.calls = self._calls_table()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.upcoming, _("Upcoming visits ({count})").format(
            count=len(card.upcoming)))
        self.tabs.addTab(self.past, _("Past visits ({count})").format(count=len(card.past)))
        self.tabs.addTab(self.calls, _("Calls ({count})").format(count=len(card.calls)))

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        self.edit_button = self.buttons.addButton(_("Edit the data…"),
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.edit_button.setToolTip(_("Edit the patient's data (F2)"))
        self.edit_button.clicked.connect(lambda: emit(self.edit_requested))
        QShortcut(QKeySequence("F2"), self, activated=self.edit_button.click)  # type: ignore[call-overload]
        self.buttons.rejected.connect(self.reject)
        hint = QLabel(_("Enter or a double click on a visit shows it in the day view."))
        hint.setStyleSheet("color: #444444;")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.resize(920, 560)
        self.upcoming.setFocus()

    @staticmethod
    def _value(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @staticmethod
    def _table(name: str, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def _visits_table(self, name: str, visits: tuple[CardVisit, ...]) -> QTableWidget:
        headers = [_(text) for text in VISIT_HEADERS]
        if name == "pastVisits":
            headers.insert(5, _("Arrival"))
        table = self._table(name, headers)
        for visit in visits:
            cells = [_term(visit), visit.resource_name or visit.schedule_name, visit.place_name,
                     self.look.kind(visit.term_kind, visit.scope_code or ""),
                     urgency_label(visit.urgency)]
            if name == "pastVisits":
                cells.append(attendance_words(visit))
            cells.append(cer_state_words(visit))
            row = table.rowCount()
            table.insertRow(row)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, visit)
                if column == 1 and visit.resource_id:
                    item.setIcon(self.look.swatch(visit.resource_id))
                table.setItem(row, column, item)
        table.activated.connect(lambda index, t=table: self._visit_activated(t, index.row()))
        return table

    def _calls_table(self) -> QTableWidget:
        """The calls to the patient. The desk's call list marks them (zadzwoniono / nie
        odbiera / umówiono); until then the table says there are none."""
        table = self._table("patientCalls", [_("When"), _("Who"), _("About"), _("Outcome"),
                                             _("Note")])
        from recepcja.services.call_words import reason_words

        reasons = {str(key): words for key, words in reason_words().items()}
        for call in self.card.calls:
            at = call.called_at.astimezone(WARSAW)
            row = table.rowCount()
            table.insertRow(row)
            for column, text in enumerate((f"{at:%d.%m.%Y %H:%M}", call.called_by,
                                           reasons.get(call.reason, call.reason),
                                           call_outcome_words(call.outcome), call.note)):
                table.setItem(row, column, QTableWidgetItem(text))
        if not self.card.calls:
            table.setRowCount(1)
            empty = QTableWidgetItem(_("No calls recorded."))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            table.setItem(0, 0, empty)
            table.setSpan(0, 0, 1, table.columnCount())
        return table

    def _visit_activated(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        visit = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if visit is not None:
            emit(self.visit_chosen, visit)

    def reject(self) -> None:
        """Closing keeps what was typed: unsaved notes are saved."""
        self.save()
        super().reject()

    def notes_text(self) -> str:
        return self.notes.toPlainText()

    def save(self) -> None:
        if self.save_button.isEnabled():
            self.save_button.setEnabled(False)
            self._save_notes(self.notes_text())

    def notes_saved(self, text: str) -> None:
        if self.notes.toPlainText() != text:
            self.notes.blockSignals(True)
            self.notes.setPlainText(text)
            self.notes.blockSignals(False)
        self.save_button.setEnabled(False)

    def notes_failed(self) -> None:
        self.save_button.setEnabled(True)

