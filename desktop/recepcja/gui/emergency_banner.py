"""The banner nobody can miss when CeR is unreachable: the desk keeps booking, and must know
that the bookings wait in the emergency queue."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from recepcja.i18n import _


class EmergencyBanner(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergencyBanner")
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "#emergencyBanner { background: #b00000; }"
            " QLabel { color: white; font-size: 15px; font-weight: bold; padding: 6px; }"
        )
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        self.set_pending(0)
        self.hide()

    def set_pending(self, count: int) -> None:
        self.label.setText(
            "⚠ "
            + _("EMERGENCY MODE: no connection with CeR. Keep booking as usual — "
                "changes wait in the queue ({count}) and are sent when CeR is back.").format(
                count=count)
        )
