"""A non-blocking toast: a small frameless label in the window's bottom-right corner that
shows CeR's news for a few seconds and hides itself - never a modal dialog, never focus."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

TOAST_MS = 6000
MAX_LINES = 4
MARGIN = 16


class Toast(QLabel):
    """``show_message(text)``: adds a line (the last ``MAX_LINES`` stay) and restarts the
    timer that hides the toast."""

    def __init__(self, parent: QWidget, duration_ms: int = TOAST_MS) -> None:
        super().__init__(parent)
        self.setObjectName("syncToast")
        self.setWordWrap(True)
        self.setMaximumWidth(420)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet(
            "QLabel#syncToast { background: rgba(40, 40, 40, 230); color: white;"
            " border-radius: 6px; padding: 8px 12px; }"
        )
        self.lines: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(duration_ms)
        self._timer.timeout.connect(self.dismiss)
        parent.installEventFilter(self)  # stay in the corner when the window is resized
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt API
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def show_message(self, text: str) -> None:
        self.lines = [*self.lines, text][-MAX_LINES:]
        self.setText("\n".join(self.lines))
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self._timer.start()

    def dismiss(self) -> None:
        self._timer.stop()
        self.lines = []
        self.hide()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        x = max(0, parent.width() - self.width() - MARGIN)
        y = max(0, parent.height() - self.height() - MARGIN - 24)  # above the status bar
        self.move(x, y)
