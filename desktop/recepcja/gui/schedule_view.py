"""Day and week views of the chosen schedules, as two tabs over two table models.

The day tab lists the terms of every chosen schedule; the week tab shows ONE of them at a time
(chosen above the grid, each in its own rhythm). In the week tab the selected cell is the
"current term" the visit actions work on, as the selected row is in the day tab.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
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
from recepcja.gui.week_model import WeekGrid, WeekTableModel
from recepcja.i18n import _
from recepcja.services.day_view import DayRow, ScheduleInfo

DAY_TAB, WEEK_TAB = 0, 1
DAY_COLUMN_WIDTHS = {COL_TIME: 86, COL_URGENCY: 60, COL_KIND: 112, COL_PHONE: 90,
                     COL_SCHEDULE: 136, COL_ARRIVAL: 100, COL_CER: 104}


def schedule_choice_text(info: ScheduleInfo) -> str:
    """``dr Anna Nowak — Kardiologia - dr Nowak, Poradnia kardiologiczna``"""
    text = info.resource_name
    if info.schedule.name and info.schedule.name != info.resource_name:
        text = f"{text} — {info.schedule.name}" if text else info.schedule.name
    return f"{text}, {info.place_name}" if info.place_name else text


class ScheduleView(QTabWidget):
    """``row_activated``: Enter / double click on a day row; ``day_picked``: a day chosen in
    the week view (the window then shows that day); ``week_schedule_changed``: another schedule
    chosen for the week grid."""

    row_activated = Signal(object)  # DayRow
    day_picked = Signal(object)  # dt.date
    current_row_changed = Signal(object)  # DayRow | None
    week_schedule_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleView")
        self._chosen: DayRow | None = None  # the term chosen last, in either tab
        self.day_model = DayTableModel(self)
        self.day_table = QTableView()
        self.day_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.day_table.setObjectName("dayTable")
        self.day_table.setModel(self.day_model)
        self.day_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.day_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.day_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.day_table.setWordWrap(False)
        self.day_table.verticalHeader().hide()
        self.day_table.verticalHeader().setDefaultSectionSize(24)
        header = self.day_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_PATIENT, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        for column, width in DAY_COLUMN_WIDTHS.items():
            self.day_table.setColumnWidth(column, width)
        self.day_table.hideColumn(COL_STATUS)  # the patient's column says "○ wolny"
        self.week_model = WeekTableModel(self)
        self.week_schedule = QComboBox()
        self.week_schedule.setObjectName("weekSchedule")
        self.week_schedule.setToolTip(_("The week shows one schedule at a time, in its own "
                                        "rhythm"))
        self.week_table = QTableView()
        self.week_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.week_table.setObjectName("weekTable")
        self.week_table.setModel(self.week_model)
        self.week_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.week_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.week_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.week_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.week_table.verticalHeader().setDefaultSectionSize(
            2 * self.week_table.fontMetrics().lineSpacing() + 6)
        week = QWidget()
        week_layout = QVBoxLayout(week)
        week_layout.setContentsMargins(0, 4, 0, 0)
        chooser = QHBoxLayout()
        label = QLabel(_("Schedule:"))
        label.setBuddy(self.week_schedule)
        chooser.addWidget(label)
        chooser.addWidget(self.week_schedule, 1)
        week_layout.addLayout(chooser)
        week_layout.addWidget(self.week_table, 1)
        self.addTab(self.day_table, _("Day"))
        self.addTab(week, _("Week"))
        self.day_table.activated.connect(self._activated)
        self.day_table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.week_table.activated.connect(self._week_activated)
        self.week_table.selectionModel().currentChanged.connect(self._week_current_changed)
        self.week_schedule.currentIndexChanged.connect(
            lambda _i: emit(self.week_schedule_changed))
        self.currentChanged.connect(self._tab_changed)

    # --- the week's schedule ---------------------------------------------------------------

    def set_week_schedules(self, schedules: list[ScheduleInfo]) -> None:
        """The schedules the week grid may show (the filtered ones); the chosen one stays
        chosen while it is among them."""
        chosen = self.week_schedule_id()
        self.week_schedule.blockSignals(True)
        self.week_schedule.clear()
        for info in schedules:
            self.week_schedule.addItem(self.day_model.look.swatch(info.schedule.resource_id),
                                       schedule_choice_text(info), info.id)
        found = self.week_schedule.findData(chosen) if chosen is not None else -1
        self.week_schedule.setCurrentIndex(max(found, 0) if schedules else -1)
        self.week_schedule.blockSignals(False)

    def week_schedule_id(self) -> int | None:
        value = self.week_schedule.currentData()
        return int(value) if value is not None else None

    def choose_week_schedule(self, schedule_id: int) -> bool:
        """Show this schedule's week (e.g. the one of the selected term); False if it is not
        among the chosen schedules."""
        found = self.week_schedule.findData(schedule_id)
        if found < 0:
            return False
        self.week_schedule.setCurrentIndex(found)
        return True

    # --- contents --------------------------------------------------------------------------

    def show_day(self, rows: list[DayRow]) -> None:
        self.day_model.set_rows(rows)
        if self._chosen is not None:
            self._select_day_row(self._chosen.entry.slot_id)
        emit(self.current_row_changed, self.current_row())

    def show_week(self, week: dict[dt.date, list[DayRow]] | WeekGrid,
                  info: ScheduleInfo | None) -> None:
        self.week_model.set_week(week, info)
        self.week_table.horizontalHeader().viewport().update()  # the days' names
        if self._chosen is None or not self._select_week_cell(self._chosen.entry.slot_id):
            # Updated in place, the grid keeps its current cell: now another term (a reset
            # cleared it). No term is the current one then, as after a reset.
            if self.week_table.currentIndex().isValid():
                self.week_table.selectionModel().clear()

    def mark_week_day(self, day: dt.date) -> None:
        """Mark the day shown in the day view in the week's header."""
        if self.week_model.set_current(day):
            self.week_table.horizontalHeader().viewport().update()

    def current_row(self) -> DayRow | None:
        """The term the visit actions work on: the selected row of the day, or the selected
        cell of the week."""
        if self.currentIndex() == WEEK_TAB:
            index = self.week_table.currentIndex()
            return self.week_model.row_at(index.row(), index.column()) \
                if index.isValid() else None
        index = self.day_table.currentIndex()
        return self.day_model.row_at(index.row()) if index.isValid() else None

    def select_slot(self, slot_id: int) -> bool:
        in_week = self._select_week_cell(slot_id)
        return self._select_day_row(slot_id) or in_week

    def _select_day_row(self, slot_id: int) -> bool:
        for number, row in enumerate(self.day_model.rows()):
            if row.entry.slot_id == slot_id:
                self.day_table.selectRow(number)
                self.day_table.setCurrentIndex(self.day_model.index(number, 0))
                self.day_table.scrollTo(self.day_model.index(number, 0))
                return True
        return False

    def _select_week_cell(self, slot_id: int) -> bool:
        index = self.week_model.index_of(slot_id)
        if index is None:
            return False
        self.week_table.setCurrentIndex(index)
        self.week_table.scrollTo(index)
        return True

    # --- signals ---------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._chose(self.day_model.row_at(current.row()), DAY_TAB)

    def _week_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._chose(self.week_model.row_at(current.row(), current.column()), WEEK_TAB)

    def _chose(self, row: DayRow | None, tab: int) -> None:
        """The term chosen in one tab stays chosen in the other (when it is there)."""
        if row is not None:
            self._chosen = row
        if self.currentIndex() == tab:
            emit(self.current_row_changed, row)

    def _tab_changed(self, index: int) -> None:
        """The week opens on the chosen term's schedule; either tab selects that term."""
        if self._chosen is None:
            return
        if index == WEEK_TAB:
            self.choose_week_schedule(self._chosen.entry.schedule_id)
        self.select_slot(self._chosen.entry.slot_id)

    def _activated(self, index: QModelIndex) -> None:
        row = self.day_model.row_at(index.row())
        if row is not None:
            emit(self.row_activated, row)

    def _week_activated(self, index: QModelIndex) -> None:
        day = self.week_model.day_at(index.column())
        if day is not None:
            emit(self.day_picked, day)

