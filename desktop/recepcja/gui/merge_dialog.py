"""Offer to merge two records of one patient: both side by side, what the merge will do, and
"Merge" / "Cancel" (Enter / Esc). The dialog only asks; the caller merges through the service
(``services.patients``), and a refusal (visits CeR holds under the duplicate's identity) is
shown instead of the question, with "Merge" disabled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.entities import Patient
from recepcja.gui.errors import error_text
from recepcja.gui.formatting import phone_text
from recepcja.gui.patient_model import identity_text
from recepcja.i18n import _

if TYPE_CHECKING:
    from recepcja.services.patients import MergeOffer


def _name(patient: Patient) -> str:
    return f"{patient.last_name} {patient.first_name}"


class MergeDialog(QDialog):
    def __init__(self, offer: MergeOffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offer = offer
        self.setObjectName("mergeDialog")
        self.setWindowTitle(_("Merge patients"))
        new = offer.duplicate.id is None  # registering: the typed patient is not stored
        intro = QLabel(_("This PESEL or document already belongs to a patient in the register. "
                         "Is it the same person?"))
        intro.setWordWrap(True)

        grid = QGridLayout()
        grid.addWidget(self._bold(_("Being registered") if new else _("Duplicate")), 0, 1)
        grid.addWidget(self._bold(_("Stays in the register")), 0, 2)
        rows = (
            (_("Surname"), lambda p: p.last_name),
            (_("First name"), lambda p: p.first_name),
            (_("PESEL / document"), identity_text),
            (_("Phone"), lambda p: phone_text(p.phone) if p.phone else "-"),
            (_("Local ID"), lambda p: p.local_id or "-"),
        )
        for row, (label, value) in enumerate(rows, start=1):
            grid.addWidget(QLabel(label + ":"), row, 0)
            grid.addWidget(self._value(value(offer.duplicate)), row, 1)
            grid.addWidget(self._value(value(offer.into)), row, 2)
        visits_row = len(rows) + 1
        grid.addWidget(QLabel(_("Visits") + ":"), visits_row, 0)
        grid.addWidget(self._value(str(offer.duplicate_visits)), visits_row, 1)
        grid.addWidget(self._value(str(offer.into_visits)), visits_row, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        self.consequence = QLabel(self._consequence(new))
        self.consequence.setObjectName("mergeConsequence")
        self.consequence.setWordWrap(True)
        self.refusal = QLabel()
        self.refusal.setObjectName("mergeRefusal")
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet("color: #a00000; font-weight: bold;")
        refusal = offer.refusal
        if refusal is not None:  # instead of the consequence: nothing is going to happen
            self.refusal.setText(error_text(refusal))
            self.consequence.hide()
        else:
            self.refusal.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.merge_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.merge_button.setText(_("Merge"))
        self.merge_button.setToolTip(_("Merge the records (Enter)"))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(_("Cancel"))
        cancel.setToolTip(_("Keep both records and go back (Esc)"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if refusal is not None:
            self.merge_button.setEnabled(False)
            cancel.setDefault(True)
            cancel.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.merge_button.setDefault(True)
            self.merge_button.setFocus(Qt.FocusReason.OtherFocusReason)

        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # never clip a row
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.consequence)
        layout.addWidget(self.refusal)
        layout.addWidget(self.buttons)

    def _consequence(self, new: bool) -> str:
        offer = self.offer
        into = f"{_name(offer.into)} ({offer.into.local_id})"
        if new:
            text = _("No new patient will be registered: {into} stays in the register and is "
                     "selected.").format(into=into)
        else:
            text = _("The visits of {duplicate} (number: {count}) will be moved to {into}; "
                     "{duplicate} will no longer appear in searches.").format(
                duplicate=f"{_name(offer.duplicate)} ({offer.duplicate.local_id})",
                count=offer.duplicate_visits, into=into)
        if offer.phone:
            text += " " + _("{into} gains the phone number {phone}.").format(
                into=_name(offer.into), phone=phone_text(offer.phone))
        return text

    def accept(self) -> None:
        if self.merge_button.isEnabled():
            super().accept()

    @staticmethod
    def _bold(text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>")
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    @staticmethod
    def _value(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)  # names are typed by people: never markup
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label
