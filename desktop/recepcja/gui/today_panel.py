"""Today's visits with arrival status: who is expected, who came, who did not.

Time, patient, urgency, doctor and arrival: the columns fit the panel's width at 1366 pixels
(the patient's column gives way), so there is no horizontal scroll bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from recepcja.gui.day_model import (
    COL_ARRIVAL,
    COL_CER,
    COL_KIND,
    COL_PATIENT,
    COL_PHONE,
    COL_SCHEDULE,
    COL_STATUS,
    COL_TIME,
    COL_URGENCY,
    DayTableModel,
)
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
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(36)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_PATIENT, QHeaderView.ResizeMode.Stretch)
        # Widths from the longest words, not from the rows: a busy day has hundreds of visits
        # and sizing to contents would read every one of them at each layout.
        metrics = self.table.fontMetrics()
        for column, sample in ((COL_TIME, "88:88–88:88"), (COL_URGENCY, _("stable")),
                               (COL_SCHEDULE, "lek. Anna Kowalska"),
                               (COL_ARRIVAL, _("expected"))):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 14)
        for column in (COL_STATUS, COL_KIND, COL_PHONE, COL_CER):
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
