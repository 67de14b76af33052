"""The day sheet as a Qt table model: one row per term, no widget per slot, so thousands of
rows cost nothing until they are painted."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from recepcja.gui.formatting import phone_text, time_text
from recepcja.gui.list_model import Index, ListTableModel
from recepcja.gui.term_style import (
    COLOURS,
    PAST_TEXT,
    attendance_label,
    cer_label,
    status_label,
)
from recepcja.i18n import _
from recepcja.services.day_view import DayRow, TermStatus

COL_TIME, COL_STATUS, COL_PATIENT, COL_PHONE, COL_SCHEDULE, COL_ARRIVAL, COL_CER = range(7)


class DayTableModel(ListTableModel[DayRow]):
    """Rows of ``services.day_view.day_rows``; ``row_at`` gives the record behind a row."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__((_("Time"), _("Status"), _("Patient"), _("Phone"), _("Schedule"),
                          _("Arrival"), _("CeR")), parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[DayRow]) -> None:
        self.set_items(rows)

    def rows(self) -> list[DayRow]:
        return self.items()

    def row_at(self, row: int) -> DayRow | None:
        return self.item_at(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.BackgroundRole:
            return COLOURS[row.status]
        if role == Qt.ItemDataRole.ForegroundRole and row.is_past:
            return PAST_TEXT
        if role == Qt.ItemDataRole.FontRole and row.status == TermStatus.BOOKED and column in (
            COL_STATUS,
            COL_PATIENT,
        ):
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def _text(self, row: DayRow, column: int) -> str:
        entry = row.entry
        if column == COL_TIME:
            return f"{time_text(row.start)}–{time_text(row.end)}"
        if column == COL_STATUS:
            return status_label(row.status)
        if column == COL_PATIENT:
            return row.patient_name
        if column == COL_PHONE:
            return phone_text(entry.patient_phone) if entry.patient_phone else ""
        if column == COL_SCHEDULE:
            return row.schedule_name
        if column == COL_ARRIVAL:
            return attendance_label(entry.attendance) if entry.visit_id else ""
        if column == COL_CER:
            return cer_label(entry.visit_state)
        return ""

    def _tooltip(self, row: DayRow) -> str:
        parts = [f"{time_text(row.start)} {status_label(row.status)}", row.schedule_name]
        if row.entry.visit_id:
            parts.append(f"{row.patient_name} ({row.entry.patient_local_id or ''})")
        return "\n".join(parts)
