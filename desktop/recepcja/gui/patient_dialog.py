"""Add or edit a patient. Validation is the service's (``services.patients``): the dialog shows
its message under the form and stays open, so nothing is written until the input is right.

A PESEL or document another patient already has is offered for merge (``MergeDialog``): "Merge"
saves again with ``merge_into`` and the dialog closes with the surviving patient in ``saved``;
"Cancel" leaves this dialog open with everything typed, and the conflict shown under the form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.entities import Patient
from recepcja.domain.errors import DomainError
from recepcja.domain.model import DocumentType
from recepcja.gui.errors import error_text
from recepcja.gui.merge_dialog import MergeDialog
from recepcja.gui.patient_model import document_label
from recepcja.i18n import _

if TYPE_CHECKING:
    from recepcja.services.patients import MergeOffer, PatientInput

Save = Callable[["PatientInput"], Patient]


class PatientDialog(QDialog):
    """``save`` stores the input (register or update) and returns the stored patient, or raises
    a DomainError whose message is shown. ``saved`` holds the result after ``accept``; after a
    merge it is the surviving patient and ``merged`` the offer that was confirmed."""

    def __init__(self, save: Save, patient: Patient | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._save = save
        self.saved: Patient | None = None
        self.merged: MergeOffer | None = None
        self.setWindowTitle(_("Edit patient") if patient else _("New patient"))
        self.setObjectName("patientDialog")
        self.pesel = QLineEdit()
        self.pesel.setObjectName("pesel")
        self.pesel.setMaxLength(11)
        self.pesel.setPlaceholderText(_("11 digits"))
        self.no_pesel = QCheckBox(_("Patient without PESEL"))
        self.document_type = QComboBox()
        for kind in DocumentType:
            self.document_type.addItem(document_label(str(kind)), str(kind))
        self.document_number = QLineEdit()
        self.document_number.setObjectName("documentNumber")
        self.first_name = QLineEdit()
        self.first_name.setObjectName("firstName")
        self.last_name = QLineEdit()
        self.last_name.setObjectName("lastName")
        self.phone = QLineEdit()
        self.phone.setObjectName("phone")
        self.phone.setPlaceholderText(_("e.g. 600 123 456"))
        self.error = QLabel()
        self.error.setObjectName("patientError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a00000; font-weight: bold;")
        self.error.hide()

        form = QFormLayout()
        form.addRow(_("PESEL:"), self.pesel)
        form.addRow("", self.no_pesel)
        form.addRow(_("Document type:"), self.document_type)
        form.addRow(_("Document number:"), self.document_number)
        form.addRow(_("Surname:"), self.last_name)
        form.addRow(_("First name:"), self.first_name)
        form.addRow(_("Phone:"), self.phone)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.no_pesel.toggled.connect(self._identity_mode)
        if patient is not None:
            self._fill(patient)
        self._identity_mode(self.no_pesel.isChecked())
        for first, second in (
            (self.pesel, self.no_pesel),
            (self.no_pesel, self.document_type),
            (self.document_type, self.document_number),
            (self.document_number, self.last_name),
            (self.last_name, self.first_name),
            (self.first_name, self.phone),
            (self.phone, self.buttons),
        ):
            self.setTabOrder(first, second)

    def _fill(self, patient: Patient) -> None:
        ident = patient.identifier
        if ident.pesel:
            self.pesel.setText(ident.pesel)
        else:
            self.no_pesel.setChecked(True)
            self.document_type.setCurrentIndex(
                max(0, self.document_type.findData(str(ident.document_type)))
            )
            self.document_number.setText(ident.document_number or "")
        self.first_name.setText(patient.first_name)
        self.last_name.setText(patient.last_name)
        self.phone.setText(patient.phone or "")

    def _identity_mode(self, without_pesel: bool) -> None:
        self.pesel.setEnabled(not without_pesel)
        self.document_type.setEnabled(without_pesel)
        self.document_number.setEnabled(without_pesel)

    def input(self) -> PatientInput:
        from recepcja.services.patients import PatientInput

        without = self.no_pesel.isChecked()
        return PatientInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            pesel=None if without else self.pesel.text().strip(),
            document_type=self.document_type.currentData() if without else None,
            document_number=self.document_number.text().strip() if without else None,
            phone=self.phone.text().strip() or None,
        )

    def accept(self) -> None:
        from recepcja.services.patients import DuplicatePatientError

        data = self.input()
        try:
            self.saved = self._save(data)
        except DuplicatePatientError as duplicate:
            offer = duplicate.offer
            if not self._confirm_merge(offer):
                self._show_error(duplicate)  # cancelled: the form keeps what was typed
                return
            try:
                self.saved = self._save(replace(data, merge_into=offer.into.id))
            except DomainError as error:
                self._show_error(error)
                return
            self.merged = offer
        except DomainError as error:
            self._show_error(error)
            return
        super().accept()

    def _confirm_merge(self, offer: MergeOffer) -> bool:
        dialog = MergeDialog(offer, self)
        try:
            return bool(dialog.exec())
        finally:
            dialog.deleteLater()
            self.activateWindow()

    def _show_error(self, error: DomainError) -> None:
        self.error.setText(error_text(error))
        self.error.show()
