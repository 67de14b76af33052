"""Day and week views of the chosen schedules, as two tabs over two table models."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QTabWidget,
    QWidget,
)

from recepcja.gui.day_model import COL_PATIENT, DayTableModel
from recepcja.gui.signals import emit
from recepcja.gui.week_model import WeekTableModel
from recepcja.i18n import _
from recepcja.services.day_view import DayRow

DAY_TAB, WEEK_TAB = 0, 1


class ScheduleView(QTabWidget):
    """``row_activated``: Enter / double click on a day row; ``day_picked``: a day chosen in
    the week view (the window then shows that day)."""

    row_activated = Signal(object)  # DayRow
    day_picked = Signal(object)  # dt.date
    current_row_changed = Signal(object)  # DayRow | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleView")
        self.day_model = DayTableModel(self)
        self.day_table = QTableView()
        self.day_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.day_table.setObjectName("dayTable")
        self.day_table.setModel(self.day_model)
        self.day_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.day_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.day_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.day_table.verticalHeader().hide()
        self.day_table.verticalHeader().setDefaultSectionSize(24)
        header = self.day_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_PATIENT, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((100, 120, 0, 120, 190, 120, 140)):
            if width:
                self.day_table.setColumnWidth(column, width)
        self.week_model = WeekTableModel(self)
        self.week_table = QTableView()
        self.week_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.week_table.setObjectName("weekTable")
        self.week_table.setModel(self.week_model)
        self.week_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.week_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.week_table.verticalHeader().setDefaultSectionSize(22)
        self.addTab(self.day_table, _("Day"))
        self.addTab(self.week_table, _("Week"))
        self.day_table.activated.connect(self._activated)
        self.day_table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.week_table.activated.connect(self._week_activated)

    def show_day(self, rows: list[DayRow]) -> None:
        selected = self.current_row()
        self.day_model.set_rows(rows)
        if selected is not None:
            self.select_slot(selected.entry.slot_id)
        emit(self.current_row_changed, self.current_row())

    def show_week(self, week: dict[dt.date, list[DayRow]]) -> None:
        self.week_model.set_week(week)

    def current_row(self) -> DayRow | None:
        index = self.day_table.currentIndex()
        return self.day_model.row_at(index.row()) if index.isValid() else None

    def select_slot(self, slot_id: int) -> bool:
        for number, row in enumerate(self.day_model.rows()):
            if row.entry.slot_id == slot_id:
                self.day_table.selectRow(number)
                self.day_table.setCurrentIndex(self.day_model.index(number, 0))
                self.day_table.scrollTo(self.day_model.index(number, 0))
                return True
        return False

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        emit(self.current_row_changed, self.day_model.row_at(current.row()))

    def _activated(self, index: QModelIndex) -> None:
        row = self.day_model.row_at(index.row())
        if row is not None:
            emit(self.row_activated, row)

    def _week_activated(self, index: QModelIndex) -> None:
        day = self.week_model.day_at(index.column())
        if day is not None:
            emit(self.day_picked, day)
