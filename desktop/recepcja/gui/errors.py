"""The one place that turns an error from a service into words for the desk.

Domain errors carry their own (translated) message; anything else is our bug or an outage, and
the desk gets a short Polish sentence instead of a traceback (which goes to the log).
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from recepcja.domain.errors import DomainError
from recepcja.i18n import _, translate_error

log = logging.getLogger("recepcja.gui")


def error_text(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return translate_error(error)
    if isinstance(error, (ConnectionError, TimeoutError)):
        return _("CeR cannot be reached right now. The change is kept and will be sent later.")
    return _("Something went wrong: {error}").format(error=type(error).__name__)


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """A modal message box with the error; unexpected errors are logged with their traceback."""
    if not isinstance(error, DomainError):
        log.error("unexpected error in the window", exc_info=error)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_("Recepcja"))
    box.setText(error_text(error))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText(_("OK"))
    box.open()
