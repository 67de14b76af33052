"""The emergency queue as a dock: every entry waiting for CeR, who booked it and how its replay
went, so the desk always sees what is still owed to CeR."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDockWidget, QHeaderView, QTableView, QWidget

from recepcja.domain.model import WARSAW
from recepcja.gui.formatting import datetime_text
from recepcja.i18n import _

if TYPE_CHECKING:  # the emergency service (Excel, booking rules) loads with the first entries
    from recepcja.services.emergency import QueueEntry

_Index = QModelIndex | QPersistentModelIndex
RESIZE_PRECISION_ROWS = 10


def _headers() -> list[str]:
    return [_("Local patient ID"), _("Queued patient"), _("Queued term"),
            _("Medical category"), _("Queued at"), _("Booked by"), _("Replay state"),
            _("Replay outcome")]


def _when(moment: Any) -> str:
    if moment is None:
        return ""
    return datetime_text(moment.astimezone(WARSAW))


def entry_cells(entry: QueueEntry) -> list[str]:
    """The dock's texts for one entry (state, outcome and urgency in the service's Polish)."""
    from recepcja.services.emergency import queue_row

    row = queue_row(0, entry)
    return [entry.patient_local_id, f"{entry.last_name} {entry.first_name}".strip(),
            _when(entry.term), str(row[10]), _when(entry.created_at), entry.created_by,
            str(row[16] or ""), str(row[17] or "")]


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers = _headers()
        self._rows: list[list[str]] = []
        self.entries: list[QueueEntry] = []

    def set_entries(self, entries: list[QueueEntry],
                    cells: list[list[str]] | None = None) -> None:
        """``cells``: ``entry_cells`` of every entry, made already (off the UI thread). The
        same rows again change nothing: no reset, no relayout of the columns (a refresh every
        15 s and after every piece of work must not cost the desk a frame)."""
        rows = cells if cells is not None else [entry_cells(entry) for entry in entries]
        self.entries = list(entries)
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.ToolTipRole):
            return None
        return self._rows[index.row()][index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation,  # Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None


class QueueDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Emergency queue"), parent)
        self.setObjectName("emergencyQueueDock")
        self.model = QueueModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Widths from the rows around the visible ones, not from every entry: after an outage
        # the queue holds hundreds, and measuring them all froze the window for ~0.2 s; 50
        # rows still cost ~40 ms a refresh (the week view's worst switch, issue 18), 10 ~13 ms.
        header.setResizeContentsPrecision(RESIZE_PRECISION_ROWS)
        # No row numbers (as in the day view): they named nothing the desk uses, and with
        # hundreds of rows the header measured 200 of them at every new fill (~8 ms of the
        # ~15 ms a fill cost the UI thread, issue 18).
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(_("Emergency queue"))
        self.setWidget(self.table)

    def set_entries(self, entries: list[QueueEntry],
                    cells: list[list[str]] | None = None) -> None:
        self.model.set_entries(entries, cells)
        self.setWindowTitle(_("Emergency queue ({count})").format(count=len(entries)))
