"""The "Changes from CeR" dock: the log of changes CeR reported (newest first: when each
arrived, its term in full, the change in words; a double click shows the term in the day view)
and the last reconciliation's report (in agreement, open items, the incident report's path)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.model import WARSAW
from recepcja.gui.formatting import date_text
from recepcja.gui.signals import emit
from recepcja.i18n import _
from recepcja.services.change_log import ChangeLine

MAX_ROWS = 200


def report_lines(report: Any) -> list[str]:
    """The reconciliation report as lines for the GUI (no PESEL)."""
    if report.in_agreement:
        lines = [
            _("The schedule agrees with CeR ({slots} terms compared).").format(
                slots=report.slots_compared
            )
        ]
    else:
        lines = [
            _("The schedule does not agree with CeR: {count} open items.").format(
                count=len(report.open_items)
            )
        ]
    repaired = len(report.items) - len(report.open_items)
    if repaired:
        lines.append(_("Repaired automatically: {count}.").format(count=repaired))
    for item in report.open_items[:20]:
        when = item.start.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M") if item.start else ""
        which = item.visit_cer_id or item.slot_cer_id or ""
        lines.append(f"• {item.drift} {when} {which}".rstrip())
    if report.incidents:
        paths = ", ".join(str(p) for p in report.incidents.paths) or "-"
        lines.append(_("Incident report: {path}").format(path=paths))
    return lines


def term_text(line: ChangeLine) -> str:
    """``pon. 23.11.2026 10:20–10:40, lek. Anna Nowak, Poradnia kardiologiczna``"""
    if line.start is None:
        return ""
    start = line.start.astimezone(WARSAW)
    text = f"{date_text(start.date())} {start:%H:%M}"
    if line.end is not None:
        text += f"–{line.end.astimezone(WARSAW):%H:%M}"
    return ", ".join(part for part in (text, line.doctor, line.place) if part)


class ChangesDock(QDockWidget):
    """The log: when the change arrived, its term in full, the change in words; Enter or a
    double click on a line emits ``term_chosen`` (the window shows that term)."""

    term_chosen = Signal(object)  # ChangeLine

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Changes from CeR"), parent)
        self.setObjectName("changesDock")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.report = QLabel(body)
        self.report.setObjectName("reconcileReport")
        self.report.setWordWrap(True)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report.hide()
        self.changes = QTableWidget(0, 3, body)
        self.changes.setObjectName("changesList")
        self.changes.setHorizontalHeaderLabels([_("Received"), _("Term"), _("Change")])
        header = self.changes.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.changes.verticalHeader().hide()
        self.changes.setWordWrap(True)
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.changes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.changes.setToolTip(_("Enter or a double click shows the term in the day view"))
        self.changes.activated.connect(self._activated)
        layout.addWidget(self.report)
        layout.addWidget(self.changes)
        self.setWidget(body)

    def set_log(self, lines: list[ChangeLine]) -> None:
        """The whole log, newest first."""
        self.changes.setRowCount(0)
        for line in reversed(lines[:MAX_ROWS]):
            self._insert(line)

    def add_lines(self, lines: list[ChangeLine]) -> None:
        """New changes (oldest first, as applied) go on top."""
        for line in lines:
            self._insert(line)
        while self.changes.rowCount() > MAX_ROWS:
            self.changes.removeRow(self.changes.rowCount() - 1)

    def _insert(self, line: ChangeLine) -> None:
        self.changes.insertRow(0)
        received = line.received_at.astimezone(WARSAW) if line.received_at else None
        cells = (f"{received:%d.%m %H:%M}" if received else "", term_text(line), line.message)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, line)
            self.changes.setItem(0, column, item)

    def _activated(self, index: QModelIndex) -> None:
        item = self.changes.item(index.row(), 0)
        if item is not None:
            emit(self.term_chosen, item.data(Qt.ItemDataRole.UserRole))

    def show_report(self, lines: list[str]) -> None:
        self.report.setText("\n".join(lines))
        self.report.show()

    def messages(self) -> list[str]:
        rows = range(self.changes.rowCount())
        return [item.text() for item in (self.changes.item(r, 2) for r in rows) if item]

    def line_at(self, row: int) -> ChangeLine | None:
        item = self.changes.item(row, 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None
