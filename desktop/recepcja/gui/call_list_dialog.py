"""The "call the patient" list: whose term the replay changed (or whose e-referral it found
unusable, with the reason), with an export to Excel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.model import WARSAW
from recepcja.gui.formatting import datetime_text
from recepcja.i18n import _
from recepcja.services.call_list import CallItem


def _when(moment: Any) -> str:
    return datetime_text(moment.astimezone(WARSAW)) if moment is not None else ""


def item_cells(item: CallItem) -> list[str]:
    if item.on_waiting_list:
        new = _("central waiting list")
        if item.waiting_list_position is not None:
            new += f" ({item.waiting_list_position})"
    else:
        new = _when(item.new_term)
    return [item.patient_local_id, f"{item.last_name} {item.first_name}".strip(),
            item.phone or "", _when(item.lost_term), new, item.reason or ""]


class CallListDialog(QDialog):
    """Non-modal; ``export(path)`` runs ``exporter(path)`` (in the window's runner)."""

    def __init__(self, items: list[CallItem], exporter: Callable[[Path, bool], None],
                 parent: QWidget | None = None, suggested: str = "do_telefonu.xlsx") -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Patients to notify"))
        self.exporter = exporter
        self.suggested = suggested  # where the export goes unless the desk picks elsewhere
        self.items = items
        self.note = QLabel(_("Patients whose term changed while the queue was sent: {count}")
                           .format(count=len(items)))
        headers = [_("Local patient ID"), _("Queued patient"), _("Phone"), _("Lost term"),
                   _("New term"), _("Why (e-referral)")]
        self.table = QTableWidget(len(items), len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, item in enumerate(items):
            for column, text in enumerate(item_cells(item)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            _("Export the list to Excel…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(lambda *_args: self.export())
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(760, 420)

    def export(self, path: Path | None = None) -> None:
        from recepcja.gui.file_choice import save_target

        chosen = save_target(self, _("Export the list to Excel…"), self.suggested,
                             _("Excel workbook (*.xlsx)"), path)
        if chosen is not None:
            self.exporter(*chosen)
