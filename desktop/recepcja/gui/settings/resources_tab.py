"""Resources: doctors (with their licence number, NPWZ), devices and rooms, one table row each."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from recepcja.domain.model import ResourceKind
from recepcja.gui.settings.common import ID_ROLE, cell_text, new_table, text_item
from recepcja.i18n import _

KIND_COLUMN, NAME_COLUMN, LICENCE_COLUMN = range(3)


def kind_label(kind: str) -> str:
    return {ResourceKind.DOCTOR: _("doctor"), ResourceKind.DEVICE: _("device"),
            ResourceKind.ROOM: _("room")}.get(ResourceKind(kind), kind)


class ResourcesTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._new = 0
        intro = QLabel(_("Doctors need their licence number (NPWZ, 7 digits); devices and rooms "
                         "do not. A saved resource keeps its kind; its name may be corrected."))
        intro.setWordWrap(True)
        self.table = new_table([_("Kind"), _("Name"), _("Licence number (NPWZ)")])
        self.table.setObjectName("resourcesTable")
        self.table.setColumnWidth(NAME_COLUMN, 260)
        self.add_button = QPushButton(_("&Add a resource"))
        self.remove_button = QPushButton(_("Remove the resource"))
        self.add_button.clicked.connect(lambda *_a: self.add_resource())
        self.remove_button.clicked.connect(lambda *_a: self.remove_resource())
        self.table.currentCellChanged.connect(lambda *_a: self._update_buttons())
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def load(self, resources: list[dict[str, Any]]) -> None:
        self.table.setRowCount(0)
        for entry in resources:
            self._append(entry)
        self._update_buttons()

    def _append(self, entry: dict[str, Any]) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        kind = QComboBox()
        for value in ResourceKind:
            kind.addItem(kind_label(value), str(value))
        kind.setCurrentIndex(max(0, kind.findData(entry["kind"])))
        stored_id = entry.get("id")
        kind.setEnabled(stored_id is None)
        self.table.setCellWidget(row, KIND_COLUMN, kind)
        # the key travels with the kind column's item; the name item carries the stored id
        key_item = text_item("", editable=False)
        key_item.setData(ID_ROLE, entry["key"])
        self.table.setItem(row, KIND_COLUMN, key_item)
        self.table.setItem(row, NAME_COLUMN, text_item(entry["name"], stored_id=stored_id))
        self.table.setItem(row, LICENCE_COLUMN, text_item(entry.get("licence_number", "")))
        return row

    def entries(self) -> list[dict[str, Any]]:
        result = []
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, NAME_COLUMN)
            key_item = self.table.item(row, KIND_COLUMN)
            combo = self.table.cellWidget(row, KIND_COLUMN)
            assert isinstance(combo, QComboBox) and name_item is not None and key_item
            entry: dict[str, Any] = {"key": key_item.data(ID_ROLE), "kind": combo.currentData(),
                                     "name": name_item.text().strip()}
            licence = cell_text(self.table, row, LICENCE_COLUMN)
            if licence:
                entry["licence_number"] = licence
            if name_item.data(ID_ROLE) is not None:
                entry["id"] = int(name_item.data(ID_ROLE))
            result.append(entry)
        return result

    def choices(self) -> list[tuple[str, str]]:
        """(key, label) of every resource, for the schedules tab."""
        return [(e["key"], f"{e['name'] or _('(no name)')} ({kind_label(e['kind'])})")
                for e in self.entries()]

    def add_resource(self) -> None:
        self._new += 1
        row = self._append({"key": f"new-resource-{self._new}", "kind": "doctor", "name": ""})
        self.table.setCurrentCell(row, NAME_COLUMN)
        if (name := self.table.item(row, NAME_COLUMN)) is not None:
            self.table.editItem(name)
        self._update_buttons()

    def remove_resource(self) -> None:
        row = self.table.currentRow()
        item = self.table.item(row, NAME_COLUMN) if row >= 0 else None
        if item is not None and item.data(ID_ROLE) is None:
            self.table.removeRow(row)
        self._update_buttons()

    def select_named(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if cell_text(self.table, row, NAME_COLUMN) == name:
                self.table.setCurrentCell(row, NAME_COLUMN)
                return

    def _update_buttons(self) -> None:
        row = self.table.currentRow()
        item = self.table.item(row, NAME_COLUMN) if row >= 0 else None
        self.remove_button.setEnabled(item is not None and item.data(ID_ROLE) is None)
