"""The always-visible status: CeR connection, changes waiting for CeR, last good exchange, and
what is running in the background.

Messages (``showMessage``) are never cut off: they go to a label of their own that wraps onto a
second line when the window is too narrow for them, instead of Qt's one-line message area that
ends where the permanent fields begin.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from recepcja.gui.connection import CONNECTION_COLOURS, Connection, connection_label
from recepcja.gui.formatting import datetime_text
from recepcja.i18n import _


class CerStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cerStatusBar")
        self.setSizeGripEnabled(False)
        self.busy = QLabel()
        self.busy.setObjectName("busy")
        self.message = QLabel()
        self.message.setObjectName("statusMessage")
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.clearMessage)
        self.connection = QLabel()
        self.connection.setObjectName("connection")
        self.pending = QLabel()
        self.pending.setObjectName("pending")
        self.last_exchange = QLabel()
        self.last_exchange.setObjectName("lastExchange")
        self.addWidget(self.busy)
        self.addWidget(self.message, 1)
        self.addPermanentWidget(self.connection)
        self.addPermanentWidget(self.pending)
        self.addPermanentWidget(self.last_exchange)
        self.set_connection(Connection.UNKNOWN)
        self.set_pending(0)
        self.set_last_exchange(None)
        self._fit_message()
        self.message.installEventFilter(self)

    # --- messages: never cut off -----------------------------------------------------------

    def showMessage(self, text: str, timeout: int | None = 0) -> None:  # Qt API
        self.message.setText(text)
        self._fit_message()
        if timeout and timeout > 0:
            self._message_timer.start(timeout)
        else:
            self._message_timer.stop()

    def clearMessage(self) -> None:  # Qt API
        self._message_timer.stop()
        self.message.clear()
        self._fit_message()
        super().clearMessage()

    def currentMessage(self) -> str:  # Qt API
        return self.message.text() or super().currentMessage()

    def message_fits(self) -> bool:
        """Whether the whole message is visible (a test asks)."""
        return self._needed_height() <= self.message.height()

    def _needed_height(self) -> int:
        width = max(self.message.width(), 1)
        metrics = self.message.fontMetrics()
        text = self.message.text() or " "
        needed = metrics.boundingRect(QRect(0, 0, width, 10_000),
                                      int(Qt.TextFlag.TextWordWrap.value), text).height()
        return max(needed, metrics.height())

    def _fit_message(self) -> None:
        height = self._needed_height()
        if height != self.message.height() or self.message.minimumHeight() != height:
            self.message.setFixedHeight(height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt API
        message = getattr(self, "message", None)  # Qt asks during construction too
        if message is not None and watched is message and event.type() == QEvent.Type.Resize:
            self._fit_message()  # a new width: maybe another number of lines
        return super().eventFilter(watched, event)

    # --- the permanent fields --------------------------------------------------------------

    def set_connection(self, state: Connection) -> None:
        self.connection.setText(connection_label(state))
        self.connection.setStyleSheet(
            f"color: {CONNECTION_COLOURS[state]}; font-weight: bold; padding: 0 8px;"
        )

    def set_pending(self, count: int) -> None:
        self.pending.setText(_("Changes waiting for CeR: {count}").format(count=count))
        weight = "bold" if count else "normal"
        sheet = f"font-weight: {weight}; padding: 0 8px;"
        if self.pending.styleSheet() != sheet:  # a new style sheet re-polishes the label
            self.pending.setStyleSheet(sheet)

    def set_last_exchange(self, moment: dt.datetime | None) -> None:
        when = datetime_text(moment) if moment else _("none yet")
        self.last_exchange.setText(_("Last exchange with CeR: {when}").format(when=when))

    def set_busy(self, label: str) -> None:
        self.busy.setText(label)  # the label ends in "…"; no hourglass glyph (a box in many fonts)
