"""Previous day / date / next day / today: the navigation above the schedule views."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from recepcja.gui.formatting import long_date_text
from recepcja.gui.signals import emit
from recepcja.i18n import _


class DateBar(QWidget):
    shown = Signal(object)  # the day the views show now (a date)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previous = QToolButton()
        self.previous.setText("◀")
        self.next = QToolButton()
        self.next.setText("▶")
        self.today = QToolButton()
        self.today.setText(_("Today"))
        self.goto = QToolButton()
        self.goto.setText(_("Go to date…"))
        self.label = QLabel()
        self.label.setObjectName("currentDate")
        self.label.setStyleSheet("font-size: 16px; font-weight: bold; padding: 0 10px;")
        # The day's terms are read off the UI thread (gui/schedule_loader.py): a light word
        # while a read takes long enough to be seen.
        self.loading = QLabel(_("loading…"))
        self.loading.setObjectName("dayLoading")
        self.loading.setStyleSheet("color: #666; font-style: italic; padding: 0 6px;")
        self.loading.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.previous, self.label, self.next, self.today, self.goto,
                       self.loading):
            layout.addWidget(widget)
        layout.addStretch(1)

    def set_loading(self, on: bool) -> None:
        self.loading.setVisible(on)

    def set_date(self, day: dt.date, today: dt.date) -> None:
        suffix = f"  ({_('today')})" if day == today else ""
        self.label.setText(long_date_text(day) + suffix)
        emit(self.shown, day)
