"""Jump to a date (Ctrl+G): a calendar in Polish, Monday first, Enter confirms."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import QCalendarWidget, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from recepcja.i18n import _


class GotoDateDialog(QDialog):
    def __init__(self, current: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gotoDateDialog")
        self.setWindowTitle(_("Go to date"))
        self.calendar = QCalendarWidget()
        self.calendar.setLocale(QLocale(QLocale.Language.Polish, QLocale.Country.Poland))
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.calendar.setGridVisible(True)
        self.calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        self.calendar.activated.connect(lambda _date: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Go"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.calendar)
        layout.addWidget(buttons)
        self.calendar.setFocus()

    def chosen(self) -> dt.date:
        date = self.calendar.selectedDate()
        return dt.date(date.year(), date.month(), date.day())
