"""The call worklist ("Do telefonu"): everybody the desk must phone - after a replay moved
terms, a doctor's absence, tomorrow's reminders - with the marks "zadzwoniono / nie odbiera /
umówiono" (stored in the patient's call history), printable, kept until done.

Non-modal. The dialog reads and marks through two callables the window gives it (the local
database: milliseconds), and exports through ``exporter(path, overwrite)`` (in the runner).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.model import WARSAW
from recepcja.gui.formatting import datetime_text, phone_text
from recepcja.i18n import _, ngettext
from recepcja.services.call_words import mark_words, reason_words
from recepcja.services.call_worklist import WorkItem
from recepcja.store.patient_card import CallOutcome


def headers() -> list[str]:
    return [_("Patient"), _("Phone"), _("Why"), _("Term"), _("Earlier term"), _("Where"),
            _("Last call")]


def _when(moment: Any) -> str:
    return datetime_text(moment.astimezone(WARSAW)) if moment is not None else ""


def item_cells(item: WorkItem) -> list[str]:
    if item.term is None:
        term = _("central waiting list")
        if item.waiting_list_position is not None:
            term += f" ({item.waiting_list_position})"
    else:
        term = _when(item.term)
    last = ""
    if item.calls:
        call = item.calls[0]
        last = f"{mark_words()[call.outcome]} {_when(call.called_at)}"
        tries = sum(1 for c in item.calls if c.outcome == CallOutcome.NO_ANSWER)
        if tries > 1:
            last += " (" + ngettext("{n} try", "{n} tries", tries).format(n=tries) + ")"
    return [item.patient_name, phone_text(item.phone) if item.phone else _("no phone"),
            reason_words()[item.reason] + (f": {item.detail}" if item.detail else ""), term,
            _when(item.lost_term), item.where, last]


def worklist_html(items: list[WorkItem], title: str) -> str:
    """The list as a printout: a table with an empty column for the desk's pen."""
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(text)}</td>" for text in item_cells(item))
        + "<td>&nbsp;</td></tr>" for item in items)
    head = "".join(f"<th align='left'>{html.escape(h)}</th>"
                   for h in [*headers(), _("Notes")])
    return (f"<html><body><h2>{html.escape(title)}</h2>"
            f"<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
            f"<tr>{head}</tr>{rows}</table></body></html>")


class CallListDialog(QDialog):
    """``load(include_done)`` -> items; ``mark(item, outcome)`` records a call."""

    def __init__(self, load: Callable[[bool], list[WorkItem]],
                 mark: Callable[[WorkItem, CallOutcome], None],
                 exporter: Callable[[Path, bool], None], parent: QWidget | None = None, *,
                 printer: Callable[[str, str], None] | None = None,
                 suggested: str = "do_telefonu.xlsx") -> None:
        super().__init__(parent)
        self.setObjectName("callList")
        self.setWindowTitle(_("Patients to notify"))
        self.load, self.mark, self.exporter, self.printer = load, mark, exporter, printer
        self.suggested = suggested  # where the export goes unless the desk picks elsewhere
        self.items: list[WorkItem] = []
        self.note = QLabel()
        self.show_done = QCheckBox(_("&Show finished"))
        self.show_done.toggled.connect(lambda _on: self.refresh())
        self.table = QTableWidget(0, len(headers()))
        self.table.setHorizontalHeaderLabels(headers())
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName(_("Patients to notify"))
        marks = QHBoxLayout()
        self.mark_buttons: dict[CallOutcome, QPushButton] = {}
        for outcome, text, key in ((CallOutcome.REACHED, _("&Called"), "Ctrl+1"),
                                   (CallOutcome.NO_ANSWER, _("&No answer"), "Ctrl+2"),
                                   (CallOutcome.ARRANGED, _("&Arranged"), "Ctrl+3")):
            button = QPushButton(text)
            button.setShortcut(QKeySequence(key))
            button.setToolTip(f"{text.replace('&', '')} ({key})")
            button.clicked.connect(lambda _c=False, o=outcome: self.mark_current(o))
            marks.addWidget(button)
            self.mark_buttons[outcome] = button
        marks.addStretch(1)
        marks.addWidget(self.show_done)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        self.print_button = self.buttons.addButton(_("&Print…"),
                                                   QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(lambda *_args: self.print_list())
        self.export_button = self.buttons.addButton(
            _("Export the list to Excel…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(lambda *_args: self.export())
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(marks)
        layout.addWidget(self.buttons)
        self.resize(1000, 440)
        self.refresh()

    def refresh(self, keep: tuple[str, int | None, int] | None = None) -> None:
        self.items = self.load(self.show_done.isChecked())
        self.table.setRowCount(len(self.items))
        grey = QBrush(QColor("#777777"))
        for row, item in enumerate(self.items):
            for column, text in enumerate(item_cells(item)):
                cell = QTableWidgetItem(text)
                if item.done:
                    cell.setForeground(grey)
                self.table.setItem(row, column, cell)
        open_items = sum(1 for item in self.items if not item.done)
        self.note.setText(ngettext("{n} patient to call", "{n} patients to call",
                                   open_items).format(n=open_items) if open_items
                          else _("Nobody left to call."))
        rows = [n for n, item in enumerate(self.items) if item.key == keep]
        if rows or self.items:
            self.table.selectRow(rows[0] if rows else 0)
        for button in self.mark_buttons.values():
            button.setEnabled(bool(self.items))

    def current(self) -> WorkItem | None:
        row = self.table.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def mark_current(self, outcome: CallOutcome) -> None:
        item = self.current()
        if item is None:
            return
        row = self.table.currentRow()
        self.mark(item, outcome)
        self.refresh(keep=item.key)
        if not self.show_done.isChecked() and self.items:  # the next patient to call
            self.table.selectRow(min(row, len(self.items) - 1))

    def print_list(self) -> None:
        if self.printer is not None:
            self.printer(worklist_html(self.items, self.windowTitle()), self.suggested)

    def export(self, path: Path | None = None) -> None:
        from recepcja.gui.file_choice import save_target

        chosen = save_target(self, _("Export the list to Excel…"), self.suggested,
                             _("Excel workbook (*.xlsx)"), path)
        if chosen is not None:
            self.exporter(*chosen)

    def keyPressEvent(self, event: Any) -> None:  # Qt API
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
