"""Search results as a Qt table model (the patients panel's list)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from recepcja.domain.model import Patient
from recepcja.gui.formatting import date_text, phone_text
from recepcja.i18n import _

Index = QModelIndex | QPersistentModelIndex


def identity_text(patient: Patient) -> str:
    ident = patient.identifier
    if ident.pesel:
        return ident.pesel
    return f"{document_label(str(ident.document_type))} {ident.document_number}"


def document_label(kind: str) -> str:
    labels = {
        "passport": _("passport"),
        "id_card": _("ID card"),
        "other": _("other document"),
        "newborn": _("newborn"),
    }
    return labels.get(kind, kind)


class PatientTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._patients: list[Patient] = []
        self._headers = (_("Surname"), _("First name"), _("PESEL / document"), _("Phone"),
                         _("Local ID"), _("Date of birth"))

    def set_patients(self, patients: list[Patient]) -> None:
        self.beginResetModel()
        self._patients = patients
        self.endResetModel()

    def patient_at(self, row: int) -> Patient | None:
        return self._patients[row] if 0 <= row < len(self._patients) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._patients)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        patient = self.patient_at(index.row())
        if patient is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        values = (
            patient.last_name,
            patient.first_name,
            identity_text(patient),
            phone_text(patient.phone) if patient.phone else "",
            patient.local_id or "",
            date_text(patient.birth_date) if patient.birth_date else "",
        )
        return values[index.column()]
