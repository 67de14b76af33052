"""The week overview as a Qt table model: a column per day, a row per start time.

A cell holding one term shows its status symbol and the patient's surname; a cell holding terms
of several schedules shows how many are free and booked (symbols + numbers, never colour alone).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from recepcja.gui.formatting import date_text, time_text
from recepcja.gui.signals import emit
from recepcja.gui.term_style import COLOURS, PAST_TEXT, SYMBOLS, status_label
from recepcja.services.day_view import DayRow, TermStatus

Index = QModelIndex | QPersistentModelIndex


class WeekTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._days: list[dt.date] = []
        self._times: list[str] = []
        self._cells: dict[tuple[int, int], list[DayRow]] = {}
        self._current: dt.date | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_current(self, day: dt.date) -> None:
        """The day shown in the day view: its column header is bold and marked."""
        self._current = day
        if self._days:
            emit(self.headerDataChanged, Qt.Orientation.Horizontal, 0, len(self._days) - 1)

    def set_week(self, week: dict[dt.date, list[DayRow]]) -> None:
        self.beginResetModel()
        self._days = sorted(week)
        times = sorted({time_text(row.start) for rows in week.values() for row in rows})
        self._times = times
        position = {text: i for i, text in enumerate(times)}
        self._cells = {}
        for column, day in enumerate(self._days):
            for row in week[day]:
                self._cells.setdefault((position[time_text(row.start)], column), []).append(row)
        self.endResetModel()

    def day_at(self, column: int) -> dt.date | None:
        return self._days[column] if 0 <= column < len(self._days) else None

    def rows_at(self, row: int, column: int) -> list[DayRow]:
        return self._cells.get((row, column), [])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._times)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._days)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        current = (orientation == Qt.Orientation.Horizontal and section < len(self._days)
                   and self._days[section] == self._current)
        if role == Qt.ItemDataRole.FontRole and current:
            return self._bold
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if section >= len(self._days):
                return None
            return ("▶ " if current else "") + date_text(self._days[section])
        return self._times[section] if section < len(self._times) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        rows = self.rows_at(index.row(), index.column())
        if not rows:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if len(rows) == 1:
                row = rows[0]
                return f"{SYMBOLS[row.status]} {row.patient_name}".rstrip() if row.patient_name \
                    else status_label(row.status)
            counts = Counter(row.status for row in rows)
            return " ".join(
                f"{SYMBOLS[status]}{counts[status]}" for status in TermStatus if counts[status]
            )
        if role == Qt.ItemDataRole.BackgroundRole:
            return COLOURS[_dominant(rows)]
        if role == Qt.ItemDataRole.ForegroundRole and all(row.is_past for row in rows):
            return PAST_TEXT
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(
                f"{row.schedule_name}: {status_label(row.status)} {row.patient_name}".rstrip()
                for row in rows
            )
        return None


def _dominant(rows: list[DayRow]) -> TermStatus:
    """Free wins (the desk looks for free terms), then booked, blocked, past."""
    present = {row.status for row in rows}
    for status in (TermStatus.FREE, TermStatus.BOOKED, TermStatus.BLOCKED, TermStatus.PAST):
        if status in present:
            return status
    return TermStatus.PAST
