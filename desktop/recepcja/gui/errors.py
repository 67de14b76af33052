"""The one place that turns an error from a service into words for the desk.

The words come from ``i18n.error_text``, the one error-to-words function of the app (domain
and CeR errors carry their own message; anything else is our bug or an outage, and the desk
gets a short Polish sentence - never a class name - while the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from recepcja.domain.errors import DomainError
from recepcja.i18n import _, error_text

if TYPE_CHECKING:  # made when a message is first shown: a Qt class costs the cold start its
    # Python type and enums (~9 M instructions for this one) when it is imported
    from PySide6.QtWidgets import QMessageBox

__all__ = ["error_text", "show_error", "show_message"]

log = logging.getLogger("recepcja.gui")


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """A modal message box with the error; unexpected errors are logged with their traceback."""
    if not isinstance(error, DomainError):
        log.error("unexpected error in the window", exc_info=error)
    show_message(parent, error_text(error))


def show_message(parent: QWidget | None, text: str, *,
                 icon: QMessageBox.Icon | None = None, name: str = "") -> None:
    """A window-modal message box with ``text`` and OK (``name``: its object name; ``icon``:
    a warning unless told)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(parent)
    if name:
        box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Warning if icon is None else icon)
    box.setWindowTitle(_("Recepcja"))
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText(_("OK"))
    box.open()
