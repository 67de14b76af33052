"""The banner nobody can miss when CeR is unreachable: the desk keeps booking, and must know
that the bookings wait in the emergency queue."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from recepcja.i18n import _

BANNER_RED = "#b00000"


class EmergencyBanner(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergencyBanner")
        # A plain QWidget subclass paints a stylesheet background only with this attribute:
        # without it the banner was white text on the grey window.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            f"#emergencyBanner {{ background: {BANNER_RED}; }}"
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
