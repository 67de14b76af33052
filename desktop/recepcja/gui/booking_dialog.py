"""Book (or move) a visit: choose a free term, or take the first term the rules allow; record
urgency, the central request and the referral when the scope needs one.

The dialog only collects the request; the window hands it to ``DeskActions`` in the background
runner (a local transaction; the sync engine sends it to CeR afterwards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.model import Patient, Urgency
from recepcja.gui.formatting import datetime_text
from recepcja.i18n import _
from recepcja.services.day_view import ScheduleInfo

if TYPE_CHECKING:
    from recepcja.gui.referral_panel import ReferralPanel

Term = tuple[ScheduleInfo, dt.datetime, int]
Propose = Callable[[Urgency], int | None]


@dataclass(frozen=True, slots=True)
class BookingRequest:
    patient_id: int
    slot_id: int
    urgency: Urgency
    central_request_id: str | None
    referral_id: str | None
    referral_key: str | None = None  # the e-referral (gui.referral_panel)


class BookingDialog(QDialog):
    """``terms``: free terms to offer; ``selected_slot``: the one to preselect (the term the
    desk was on). ``propose``: the service's first allowed term for an urgency, if available.
    ``referral_required(scope_code)`` decides whether the referral field is mandatory.
    ``reschedule=True`` shows only the term list (moving keeps urgency and referral)."""

    def __init__(
        self,
        patient: Patient,
        terms: Sequence[Term],
        *,
        selected_slot: int | None = None,
        propose: Propose | None = None,
        referral_required: Callable[[str], bool] = lambda _scope: False,
        reschedule: bool = False,
        parent: QWidget | None = None,
        referral_panel: ReferralPanel | None = None,
    ) -> None:
        super().__init__(parent)
        self.referral_panel = None if reschedule else referral_panel  # the e-referral
        self.setObjectName("bookingDialog")
        self._patient = patient
        self._propose = propose
        self._referral_required = referral_required
        self._reschedule = reschedule
        self.request: BookingRequest | None = None
        self.setWindowTitle(_("Move the visit") if reschedule else _("Book a visit"))
        who = QLabel(f"<b>{patient.last_name} {patient.first_name}</b> "
                     f"({patient.identifier.pesel or patient.local_id or ''})")
        self.terms = QListWidget()
        self.terms.setObjectName("terms")
        for info, start, slot_id in terms:
            item = QListWidgetItem(f"{datetime_text(start)} — {info.label} ({info.place_name})")
            item.setData(Qt.ItemDataRole.UserRole, (slot_id, info.schedule.scope_code))
            self.terms.addItem(item)
            if slot_id == selected_slot:
                self.terms.setCurrentItem(item)
        if self.terms.currentRow() < 0 and self.terms.count():
            self.terms.setCurrentRow(0)
        self.first_allowed = QPushButton(_("First allowed term"))
        self.first_allowed.setObjectName("firstAllowed")
        self.first_allowed.setToolTip(
            _("Choose the first term the rules allow for this urgency (Ctrl+Shift+N)")
        )
        self.first_allowed.setShortcut("Ctrl+Shift+N")
        self.urgency = QComboBox()
        self.urgency.setObjectName("urgency")
        self.urgency.addItem(_("stable"), Urgency.STABLE)
        self.urgency.addItem(_("urgent"), Urgency.URGENT)
        self.request_id = QLineEdit()
        self.request_id.setObjectName("centralRequest")
        self.request_id.setPlaceholderText(_("optional"))
        self.referral = QLineEdit()
        self.referral.setObjectName("referral")
        self.error = QLabel()
        self.error.setObjectName("bookingError")
        self.error.setStyleSheet("color: #a00000; font-weight: bold;")
        self.error.hide()

        form = QFormLayout()
        form.addRow(_("Patient:"), who)
        form.addRow(_("Term:"), self.terms)
        form.addRow("", self.first_allowed)
        if not reschedule:
            form.addRow(_("Urgency:"), self.urgency)
            form.addRow(_("Central request ID:"), self.request_id)
            form.addRow(_("Referral:"), self.referral)
            if self.referral_panel is not None:
                form.addRow(_("E-referral:"), self.referral_panel)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            _("Move") if reschedule else _("Book")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.first_allowed.clicked.connect(self.choose_first_allowed)
        self.terms.currentItemChanged.connect(lambda *_a: self._referral_mode())
        self.terms.itemDoubleClicked.connect(lambda _item: self.accept())
        self._referral_mode()
        self.terms.setFocus()
        self.resize(560, 460)

    def _current(self) -> tuple[int, str] | None:
        item = self.terms.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _referral_mode(self) -> None:
        current = self._current()
        needed = current is not None and self._referral_required(current[1])
        if self.referral_panel is not None and current is not None:
            self.referral_panel.set_slot(current[0])
        self.referral.setPlaceholderText(_("required for this scope") if needed else _("optional"))

    def choose_first_allowed(self) -> None:
        """Select the service's proposal, or the nearest offered term without a service."""
        slot_id: int | None = None
        if self._propose is not None:
            slot_id = self._propose(self.urgency.currentData())
        if slot_id is None:
            if self.terms.count():
                self.terms.setCurrentRow(0)
            return
        for row in range(self.terms.count()):
            if self.terms.item(row).data(Qt.ItemDataRole.UserRole)[0] == slot_id:
                self.terms.setCurrentRow(row)
                return

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def accept(self) -> None:
        current = self._current()
        if current is None:
            self._fail(_("Choose a term."))
            return
        slot_id, scope = current
        referral = self.referral.text().strip() or None
        key = None
        if self.referral_panel is not None:
            refusal = self.referral_panel.refusal(has_paper=referral is not None)
            if refusal:
                self._fail(refusal)
                self.referral_panel.input.setFocus()
                return
            key = self.referral_panel.key
        if (not self._reschedule and referral is None and key is None
                and self._referral_required(scope)):
            self._fail(_("This scope needs a referral: enter its number."))
            self.referral.setFocus()
            return
        self.request = BookingRequest(
            patient_id=int(self._patient.id or 0),
            slot_id=slot_id,
            urgency=self.urgency.currentData(),
            central_request_id=self.request_id.text().strip() or None,
            referral_id=referral,
            referral_key=key,
        )
        super().accept()
