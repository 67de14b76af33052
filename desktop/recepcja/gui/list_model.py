"""A read-only table model over a plain list of records: one row per record, fixed headers.
The day sheet and the patient search results are such lists; they only say how a record
reads (``data``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
Record = TypeVar("Record")


class ListTableModel(QAbstractTableModel, Generic[Record]):
    def __init__(self, headers: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Record] = []
        self._headers = tuple(headers)

    def set_items(self, items: list[Record]) -> None:
        self.beginResetModel()
        self._items = items
        self.endResetModel()

    def items(self) -> list[Record]:
        return self._items

    def item_at(self, row: int) -> Record | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None
