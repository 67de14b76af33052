"""The always-visible status: CeR connection, changes waiting for CeR, last good exchange, and
what is running in the background."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

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
        self.connection = QLabel()
        self.connection.setObjectName("connection")
        self.pending = QLabel()
        self.pending.setObjectName("pending")
        self.last_exchange = QLabel()
        self.last_exchange.setObjectName("lastExchange")
        self.addWidget(self.busy, 1)
        self.addPermanentWidget(self.connection)
        self.addPermanentWidget(self.pending)
        self.addPermanentWidget(self.last_exchange)
        self.set_connection(Connection.UNKNOWN)
        self.set_pending(0)
        self.set_last_exchange(None)

    def set_connection(self, state: Connection) -> None:
        self.connection.setText(connection_label(state))
        self.connection.setStyleSheet(
            f"color: {CONNECTION_COLOURS[state]}; font-weight: bold; padding: 0 8px;"
        )

    def set_pending(self, count: int) -> None:
        self.pending.setText(_("Changes waiting for CeR: {count}").format(count=count))
        weight = "bold" if count else "normal"
        self.pending.setStyleSheet(f"font-weight: {weight}; padding: 0 8px;")

    def set_last_exchange(self, moment: dt.datetime | None) -> None:
        when = datetime_text(moment) if moment else _("none yet")
        self.last_exchange.setText(_("Last exchange with CeR: {when}").format(when=when))

    def set_busy(self, label: str) -> None:
        self.busy.setText(f"⏳ {label}" if label else "")
