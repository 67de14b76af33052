"""Previous day / date / next day / today: the navigation above the schedule views."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from recepcja.gui.formatting import long_date_text, weekday_long
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
        self._fix_label_size()

    def _fix_label_size(self) -> None:
        """The date's label is as wide as the widest date it can show, fixed: a new day's
        text never changes its size hint, so a day switch relays out nothing around it (a
        narrower or wider date resized the whole left side of the window - its tables
        repainted - on some switches: ~15 ms of the UI thread)."""
        label = self.label
        label.ensurePolished()  # the style sheet's font and padding
        metrics = label.fontMetrics()
        digit = max("0123456789", key=metrics.horizontalAdvance)
        widest = dt.date(2026, 11, 23)
        width = height = 0
        for offset in range(7):
            day = widest + dt.timedelta(days=offset)
            label.setText(f"{weekday_long(day)}, {digit * 2}.{digit * 2}.{digit * 4}"
                          f"  ({_('today')})")
            hint = label.sizeHint()
            width, height = max(width, hint.width()), max(height, hint.height())
        label.clear()
        label.setFixedSize(width, height)

    def set_loading(self, on: bool) -> None:
        self.loading.setVisible(on)

    def set_date(self, day: dt.date, today: dt.date) -> None:
        suffix = f"  ({_('today')})" if day == today else ""
        self.label.setText(long_date_text(day) + suffix)
        emit(self.shown, day)
