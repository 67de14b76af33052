"""The one place that turns an error from a service into words for the desk.

The words come from ``i18n.error_text``, the one error-to-words function of the app (domain
and CeR errors carry their own message; anything else is our bug or an outage, and the desk
gets a short Polish sentence - never a class name - while the traceback goes to the log).
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from recepcja.domain.errors import DomainError
from recepcja.i18n import _, error_text

__all__ = ["error_text", "show_error", "show_message"]

log = logging.getLogger("recepcja.gui")


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """A modal message box with the error; unexpected errors are logged with their traceback."""
    if not isinstance(error, DomainError):
        log.error("unexpected error in the window", exc_info=error)
    show_message(parent, error_text(error))


def show_message(parent: QWidget | None, text: str, *,
                 icon: QMessageBox.Icon = QMessageBox.Icon.Warning, name: str = "") -> None:
    """A window-modal message box with ``text`` and OK (``name``: its object name)."""
    box = QMessageBox(parent)
    if name:
        box.setObjectName(name)
    box.setIcon(icon)
    box.setWindowTitle(_("Recepcja"))
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText(_("OK"))
    box.open()
