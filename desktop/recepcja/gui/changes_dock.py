"""The "Changes from CeR" dock: the log of changes CeR reported (newest first) and the last
reconciliation's report (in agreement, open items, the incident report's path)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.model import WARSAW
from recepcja.i18n import _

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


class ChangesDock(QDockWidget):
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
        self.changes = QTableWidget(0, 1, body)  # one column: a table reads as a log
        self.changes.setObjectName("changesList")
        self.changes.setHorizontalHeaderLabels([_("Changes from CeR")])
        self.changes.horizontalHeader().hide()
        self.changes.horizontalHeader().setStretchLastSection(True)
        self.changes.verticalHeader().hide()
        self.changes.setWordWrap(True)
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.report)
        layout.addWidget(self.changes)
        self.setWidget(body)

    def set_log(self, messages: list[str]) -> None:
        """The whole log, newest first."""
        self.changes.setRowCount(0)
        for message in reversed(messages[:MAX_ROWS]):
            self._insert(message)

    def add_messages(self, messages: list[str]) -> None:
        """New changes (oldest first, as applied) go on top."""
        for message in messages:
            self._insert(message)
        while self.changes.rowCount() > MAX_ROWS:
            self.changes.removeRow(self.changes.rowCount() - 1)

    def _insert(self, message: str) -> None:
        self.changes.insertRow(0)
        self.changes.setItem(0, 0, QTableWidgetItem(message))

    def show_report(self, lines: list[str]) -> None:
        self.report.setText("\n".join(lines))
        self.report.show()

    def messages(self) -> list[str]:
        rows = range(self.changes.rowCount())
        return [item.text() for item in (self.changes.item(r, 0) for r in rows) if item]
