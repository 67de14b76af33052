"""Where the window writes a file, and whether it may replace one: the window's side of the one
rule for every file the app writes (``config.private_files``).

Qt's save dialog itself asks before an existing file is chosen, so a path picked there may be
replaced. A path given otherwise (a default, a test) is replaced only after a "Yes" here. The
services refuse to overwrite unless told, so nothing is replaced without one of the two.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from recepcja.i18n import _


def save_target(parent: QWidget | None, title: str, suggested: str, file_filter: str,
                path: Path | None = None) -> tuple[Path, bool] | None:
    """(path, overwrite) for a file to write, or None when the user cancelled."""
    if path is None:
        name, _filter = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
        if not name:
            return None
        return Path(name), True  # the dialog asked before an existing file was chosen
    if path.exists():
        answer = QMessageBox.question(
            parent, title, _("The file {path} already exists. Replace it?").format(path=path),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return path, True
    return path, False


def export_password_or_ask(parent: QWidget | None, title: str) -> tuple[bool, str | None]:
    """(go on, password) for an export: the password from the keyring, or - when the keyring
    cannot be read - the user's explicit choice to write without one."""
    from recepcja.config.secrets import ExportPasswordUnknown, export_password

    try:
        return True, export_password()
    except ExportPasswordUnknown:
        answer = QMessageBox.warning(
            parent, title,
            _("The keyring cannot be read, so it is unknown whether exports must be protected "
              "with a password. Write the file WITHOUT a password? It holds patients' data."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes, None
