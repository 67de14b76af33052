"""Pieces the settings tabs share: the master-detail tab, a table box with add/remove buttons,
plain text cells."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.i18n import _

ID_ROLE = Qt.ItemDataRole.UserRole


class MasterList(QWidget):
    """The entries of one tab (places, schedules) with "Add" and "Remove" under them."""

    def __init__(self, add_text: str, remove_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.add = QPushButton(add_text)
        self.remove = QPushButton(remove_text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.setMaximumWidth(300)


def text_item(text: str, *, editable: bool = True,
              stored_id: int | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if not editable:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if stored_id is not None:
        item.setData(ID_ROLE, stored_id)
    return item


def cell_text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text().strip() if item is not None else ""


def new_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    return table


def table_box(title: str, table: QTableWidget, add_text: str,
              remove_text: str) -> tuple[QGroupBox, QPushButton, QPushButton]:
    """A titled box with ``table`` and "Add" / "Remove" buttons under it."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addWidget(table)
    add, remove = QPushButton(add_text), QPushButton(remove_text)
    buttons = QHBoxLayout()
    buttons.addWidget(add)
    buttons.addWidget(remove)
    buttons.addStretch(1)
    layout.addLayout(buttons)
    return box, add, remove


class MasterDetailTab(QWidget):
    """Entries (mappings in the practice file's shape) listed on the left, the chosen one's
    form (``self.form``) on the right. Subclasses fill the form (``_show``) and write it back
    (``_store``); an entry saved before (it has an ``id``) cannot be removed here."""

    def __init__(self, add_text: str, remove_text: str, list_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries_: list[dict[str, Any]] = []
        self.current: int | None = None
        self.master = MasterList(add_text, remove_text)
        self.master.list.setObjectName(list_name)
        self.master.remove.clicked.connect(lambda *_a: self.remove_entry())
        self.master.list.currentRowChanged.connect(self._row_changed)
        self.form = QWidget()

    def _show(self, entry: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def _store(self, entry: dict[str, Any]) -> None:
        raise NotImplementedError

    def _fill_list(self, entries: list[dict[str, Any]]) -> None:
        self.entries_, self.current = entries, None
        self.master.list.blockSignals(True)
        self.master.list.clear()
        for entry in entries:
            self.master.list.addItem(entry["name"] or _("(no name)"))
        self.master.list.blockSignals(False)

    def entries(self) -> list[dict[str, Any]]:
        """The entries as edited (the form written back first)."""
        self._commit()
        return self.entries_

    def select_named(self, name: str) -> None:
        for row, entry in enumerate(self.entries()):
            if entry["name"] == name:
                self.master.list.setCurrentRow(row)
                return

    def _append_entry(self, entry: dict[str, Any]) -> None:
        self._commit()
        self.entries_.append(entry)
        self.master.list.addItem(_("(no name)"))
        self.master.list.setCurrentRow(len(self.entries_) - 1)

    def remove_entry(self) -> None:
        """Only an entry added in this dialog and not yet saved can go."""
        row = self.master.list.currentRow()
        if row < 0 or "id" in self.entries_[row]:
            return
        self.current = None
        del self.entries_[row]
        self.master.list.takeItem(row)

    def _name_edited(self, text: str) -> None:
        item = self.master.list.currentItem()
        if item is not None:
            item.setText(text.strip() or _("(no name)"))

    def _commit(self) -> None:
        if self.current is not None and self.current < len(self.entries_):
            self._store(self.entries_[self.current])

    def _row_changed(self, row: int) -> None:
        self._commit()
        self.current = row if 0 <= row < len(self.entries_) else None
        self.form.setEnabled(self.current is not None)
        stored = self.current is not None and "id" in self.entries_[row]
        self.master.remove.setEnabled(self.current is not None and not stored)
        self.master.remove.setToolTip(_("A saved entry cannot be removed here.") if stored
                                      else "")
        self._show(self.entries_[row] if self.current is not None else None)
