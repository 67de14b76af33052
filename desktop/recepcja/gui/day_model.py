"""The day sheet as a Qt table model: one row per term, no widget per slot, so thousands of
rows cost nothing until they are painted."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from recepcja.gui.formatting import phone_text, time_text
from recepcja.gui.list_model import Index, ListTableModel
from recepcja.gui.term_style import (
    COLOURS,
    PAST_TEXT,
    URGENT_TEXT,
    TermLook,
    attendance_label,
    bold_font,
    cer_label,
    status_label,
    urgency_label,
)
from recepcja.i18n import _
from recepcja.services.day_view import DayRow, TermStatus

(COL_TIME, COL_STATUS, COL_PATIENT, COL_URGENCY, COL_KIND, COL_PHONE, COL_SCHEDULE, COL_ARRIVAL,
 COL_CER) = range(9)


class DayTableModel(ListTableModel[DayRow]):
    """Rows of ``services.day_view.day_rows``; ``row_at`` gives the record behind a row.

    The doctor's (or device's) column names it and carries its colour (a tint and a swatch);
    the other columns carry the term's status colour. The patient's column of a term nobody
    holds shows its status (``○ wolny``), so the day view hides its status column
    (``COL_STATUS``), which the model still serves."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__((_("Time"), _("Status"), _("Patient"), _("Urgency"), _("Term kind"),
                          _("Phone"), _("Doctor / device"), _("Arrival"), _("CeR")), parent)
        self.look = TermLook()

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
            return self.look.tint(row.resource_id) if column == COL_SCHEDULE \
                else COLOURS[row.status]
        if role == Qt.ItemDataRole.DecorationRole and column == COL_SCHEDULE:
            return self.look.swatch(row.resource_id)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == COL_URGENCY and row.entry.urgency == "urgent":
                return URGENT_TEXT
            return PAST_TEXT if row.is_past else None
        if role == Qt.ItemDataRole.FontRole and (
            (row.status == TermStatus.BOOKED and column in (COL_STATUS, COL_PATIENT))
            or (column == COL_URGENCY and row.entry.urgency == "urgent")
        ):
            return bold_font()
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
        if column == COL_PATIENT:  # a free term says so where a name would be
            return row.patient_name if entry.visit_id else status_label(row.status)
        if column == COL_URGENCY:
            return urgency_label(entry.urgency) if entry.visit_id else ""
        if column == COL_KIND:
            return self.look.kind(entry.term_kind, row.scope_code)
        if column == COL_PHONE:
            return phone_text(entry.patient_phone) if entry.patient_phone else ""
        if column == COL_SCHEDULE:
            return row.resource_name or row.schedule_name
        if column == COL_ARRIVAL:
            return attendance_label(entry.attendance) if entry.visit_id else ""
        if column == COL_CER:
            return cer_label(entry.visit_state)
        return ""

    def _tooltip(self, row: DayRow) -> str:
        parts = [f"{time_text(row.start)}–{time_text(row.end)} {status_label(row.status)}",
                 f"{row.resource_name} — {row.schedule_name}".strip(" —"),
                 self.look.kind(row.entry.term_kind, row.scope_code)]
        if row.entry.visit_id:
            parts.append(f"{row.patient_name} ({row.entry.patient_local_id or ''})")
            parts.append(urgency_label(row.entry.urgency))
        return "\n".join(part for part in parts if part)
