"""Today's visits with arrival status: who is expected, who came, who did not."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView, QVBoxLayout, QWidget

from recepcja.gui.day_model import COL_CER, COL_PHONE, COL_STATUS, DayTableModel
from recepcja.gui.signals import emit
from recepcja.i18n import _
from recepcja.services.day_view import DayRow


class TodayPanel(QWidget):
    row_chosen = Signal(object)  # DayRow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayPanel")
        self.title = QLabel("<b>" + _("Today's visits") + "</b>")
        self.model = DayTableModel(self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setObjectName("todayTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for column in (COL_STATUS, COL_PHONE, COL_CER):
            self.table.hideColumn(column)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self.table.activated.connect(self._activated)

    def _activated(self, index: QModelIndex) -> None:
        emit(self.row_chosen, self.model.row_at(index.row()))

    def set_rows(self, rows: list[DayRow]) -> None:
        self.model.set_rows(rows)
        arrived = sum(1 for row in rows if row.entry.attendance == "arrived")
        self.summary.setText(
            _("Visits: {total}, arrived: {arrived}").format(total=len(rows), arrived=arrived)
        )
