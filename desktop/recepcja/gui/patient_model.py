"""Search results as a Qt table model (the patients panel's list)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from recepcja.gui.formatting import phone_text
from recepcja.gui.list_model import Index, ListTableModel
from recepcja.i18n import _

if TYPE_CHECKING:  # annotations: the entities' module is not needed before the first paint
    from recepcja.domain.entities import Patient


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


class PatientTableModel(ListTableModel["Patient"]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__((_("Surname"), _("First name"), _("PESEL / document"), _("Phone"),
                          _("Local ID"), _("Date of birth")), parent)

    def set_patients(self, patients: list[Patient]) -> None:
        self.set_items(patients)

    def patient_at(self, row: int) -> Patient | None:
        return self.item_at(row)

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
            f"{patient.birth_date:%d.%m.%Y}" if patient.birth_date else "",
        )
        return values[index.column()]
