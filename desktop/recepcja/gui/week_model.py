"""The week of ONE schedule as a Qt table model: a column per day, a row per start time of that
schedule, so the grid follows the schedule's own rhythm (15, 20 or 30 minutes) instead of
merging several.

A cell shows the status symbol and word or the patient, then the term's kind and, for an urgent
visit, "! pilny" - symbols and words, never colour alone. Everything a cell shows is made once
when the week is set: painting only looks it up (the week view repaints on every day switch).
``build_grid`` makes it (plain Python: on the views' reader thread, beside the week's read), so
entering another week costs the UI thread only the model's reset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from recepcja.gui.formatting import date_text, time_text, weekday_short
from recepcja.gui.signals import emit
from recepcja.gui.term_style import (
    COLOURS,
    PAST_TEXT,
    SYMBOLS,
    URGENT_TEXT,
    TermLook,
    bold_font,
    status_label,
    urgency_label,
)
from recepcja.services.day_view import DayRow, ScheduleInfo, TermStatus

Index = QModelIndex | QPersistentModelIndex

_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)


class _Cell:
    __slots__ = ("background", "foreground", "row", "text", "urgent")

    def __init__(self, row: DayRow, text: str, background: QColor,
                 foreground: QColor | None, urgent: bool) -> None:
        self.row = row
        self.text = text
        self.background = background
        self.foreground = foreground
        self.urgent = urgent


class WeekGrid:
    """A week made ready for the model: day headers, start times, every cell by (row, column)
    and every slot's cell."""

    __slots__ = ("cells", "day_headers", "days", "slots", "times")

    def __init__(self, look: TermLook, week: dict[dt.date, list[DayRow]]) -> None:
        self.days = sorted(week)
        self.day_headers = [f"{weekday_short(day)} {day:%d.%m}" for day in self.days]
        minutes = sorted({row.entry.start.hour * 60 + row.entry.start.minute
                          for rows in week.values() for row in rows})
        self.times = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]
        position = {m: i for i, m in enumerate(minutes)}
        self.cells: dict[tuple[int, int], _Cell] = {}
        self.slots: dict[int, tuple[int, int]] = {}
        for column, day in enumerate(self.days):
            for row in week[day]:
                key = (position[row.entry.start.hour * 60 + row.entry.start.minute], column)
                self.cells[key] = _cell(look, row)
                self.slots[row.entry.slot_id] = key


def _cell(look: TermLook, row: DayRow) -> _Cell:
    entry = row.entry
    urgent = entry.urgency == "urgent" and entry.visit_id is not None
    if entry.visit_id is not None:
        initial = f" {entry.patient_first_name[:1]}." if entry.patient_first_name else ""
        first = f"{SYMBOLS[row.status]} {entry.patient_last_name or ''}{initial}"
    else:
        first = f"{SYMBOLS[row.status]} {look.word(row.status)}"
    second = [look.word("urgent")] if urgent else []  # first: never elided away
    second.append(look.kind(entry.term_kind, row.scope_code))
    text = first + "\n" + " · ".join(part for part in second if part)
    foreground = URGENT_TEXT if urgent else (PAST_TEXT if row.is_past else None)
    return _Cell(row, text, COLOURS[row.status], foreground, urgent)


class WeekTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.look = TermLook()
        self.info: ScheduleInfo | None = None
        self._days: list[dt.date] = []
        self._day_headers: list[str] = []
        self._times: list[str] = []
        self._cells: dict[tuple[int, int], _Cell] = {}
        self._slots: dict[int, tuple[int, int]] = {}
        self._current: dt.date | None = None

    def set_current(self, day: dt.date) -> bool:
        """The day shown in the day view: its column header is bold and marked. No signal:
        ``headerDataChanged`` relays out and repaints the whole grid (~15 ms a switch), while
        the header's sections keep their size - the view repaints just the header
        (``ScheduleView.mark_week_day``). Whether anything changed."""
        if day == self._current:
            return False
        self._current = day
        return True

    def set_week(self, week: dict[dt.date, list[DayRow]] | WeekGrid,
                 info: ScheduleInfo | None) -> None:
        """The terms of ``info``'s schedule on the days of ``week`` (``schedule_week``, or
        its ``WeekGrid`` made already): in place when the grid keeps its shape, else by a
        reset."""
        grid = week if isinstance(week, WeekGrid) else WeekGrid(self.look, week)
        in_place = bool(self._times) and grid.times == self._times \
            and len(grid.days) == len(self._days)
        if not in_place:
            self.beginResetModel()
        self.info = info
        self._days = grid.days
        self._day_headers = grid.day_headers
        self._times = grid.times
        self._cells = grid.cells
        self._slots = grid.slots
        if not in_place:
            self.endResetModel()
            return
        # The same rows and columns (a week of the same rhythm): the cells change in place -
        # no reset, which made the view lay out its headers and grid anew and paint three
        # times (~10 ms a week entered). The day headers' sections keep their size
        # (stretched): the view repaints the header (``ScheduleView.show_week``).
        emit(self.dataChanged, self.index(0, 0),
             self.index(len(self._times) - 1, len(self._days) - 1))

    def day_at(self, column: int) -> dt.date | None:
        return self._days[column] if 0 <= column < len(self._days) else None

    def row_at(self, row: int, column: int) -> DayRow | None:
        cell = self._cells.get((row, column))
        return cell.row if cell is not None else None

    def index_of(self, slot_id: int) -> QModelIndex | None:
        key = self._slots.get(slot_id)
        return self.index(*key) if key is not None else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._times)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._days)

    def headerData(  # Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == _DISPLAY and section < len(self._times):
                return self._times[section]
            return None
        if section >= len(self._days):
            return None
        current = self._days[section] == self._current
        if role == _DISPLAY:
            return ("▶ " if current else "") + self._day_headers[section]
        if role == _FONT and current:
            return bold_font()
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self._cells.get((index.row(), index.column()))
        if cell is None:
            return None
        if role == _DISPLAY:
            return cell.text
        if role == _BACKGROUND:
            return cell.background
        if role == _FOREGROUND:
            return cell.foreground
        if role == _FONT:
            return bold_font() if cell.urgent else None
        if role == _TOOLTIP:
            return self._tooltip(cell.row)
        return None

    def _tooltip(self, row: DayRow) -> str:
        entry = row.entry
        lines = [f"{row.resource_name} — {row.schedule_name}".strip(" —"),
                 f"{date_text(row.start.date())} {time_text(row.start)}–{time_text(row.end)}",
                 status_label(row.status) if row.status != TermStatus.BOOKED
                 else f"{status_label(row.status)}: {row.patient_name}",
                 self.look.kind(entry.term_kind, row.scope_code),
                 urgency_label(entry.urgency) if entry.visit_id else ""]
        return "\n".join(line for line in lines if line)
