"""Cancel a visit: a reason is required (it goes to CeR and to the audit trail)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from recepcja.i18n import _


class CancelDialog(QDialog):
    def __init__(self, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cancelDialog")
        self.setWindowTitle(_("Cancel the visit"))
        self.reason = QComboBox()
        self.reason.setObjectName("cancelReason")
        self.reason.setEditable(True)
        self.reason.addItems([
            _("patient's request"),
            _("doctor unavailable"),
            _("booked by mistake"),
        ])
        self.reason.setCurrentText("")
        line = self.reason.lineEdit()
        assert line is not None  # an editable combo box has its line
        line.setPlaceholderText(_("reason (required)"))
        self.error = QLabel(_("Enter the reason for cancelling."))
        self.error.setStyleSheet("color: #a00000; font-weight: bold;")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Cancel the visit"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Back"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(description))
        layout.addWidget(QLabel(_("Reason:")))
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.reason.setFocus()

    def reason_text(self) -> str:
        return self.reason.currentText().strip()

    def accept(self) -> None:
        if not self.reason_text():
            self.error.show()
            return
        super().accept()
