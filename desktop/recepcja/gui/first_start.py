"""First start: no practice configured yet, so instead of an empty window the desk is offered
training mode (a separate ``recepcja --training`` process on its own data) or setting the
practice up from its TOML file (``recepcja setup --config FILE``'s flow)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.errors import DomainError
from recepcja.i18n import _, translate_error


def needs_first_start(repos: Any, training: bool) -> bool:
    """No place in the store and not training: nothing to show in the desk yet."""
    return not training and not repos.practice.places()


def start_training_process() -> bool:
    """``python -m recepcja --training`` as a new, independent process."""
    return bool(QProcess.startDetached(sys.executable, ["-m", "recepcja", "--training"])[0])


class FirstStartDialog(QDialog):
    """``setup(path)`` calls ``apply(path)`` (raising on a bad file) and accepts on success;
    ``training()`` starts the training process and rejects with ``chose_training`` set;
    ``by_hand()`` rejects with ``chose_by_hand`` set (the caller opens the practice settings)."""

    def __init__(self, apply: Callable[[Path], object],
                 launch: Callable[[], bool] = start_training_process,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("No practice configured yet"))
        self.apply = apply
        self.launch = launch
        self.chose_training = False
        self.chose_by_hand = False
        intro = QLabel(_("This computer has no practice set up yet. You can try the program "
                         "in training mode (a simulated CeR, made-up patients), set up "
                         "the practice from its configuration file (TOML) or enter it by "
                         "hand in the practice settings."))
        intro.setWordWrap(True)
        self.training_button = QPushButton(_("Start &training mode"))
        self.setup_button = QPushButton(_("Set up the practice from a &file…"))
        self.by_hand_button = QPushButton(_("Enter the practice &by hand…"))
        self.by_hand_button.setObjectName("firstStartByHand")
        self.later_button = QPushButton(_("&Later"))
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00000; font-weight: bold;")
        self.error.hide()
        self.training_button.clicked.connect(lambda *_args: self.training())
        self.setup_button.clicked.connect(lambda *_args: self.setup())
        self.by_hand_button.clicked.connect(lambda *_args: self.by_hand())
        self.later_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.training_button)
        layout.addWidget(self.setup_button)
        layout.addWidget(self.by_hand_button)
        layout.addWidget(self.error)
        layout.addWidget(self.later_button)
        self.setup_button.setDefault(True)
        self.resize(520, 260)

    def training(self) -> None:
        if not self.launch():
            self._show_error(_("Training mode could not be started."))
            return
        self.chose_training = True
        self.reject()

    def by_hand(self) -> None:
        self.chose_by_hand = True
        self.reject()

    def setup(self, path: Path | None = None) -> None:
        if path is None:
            name, _filter = QFileDialog.getOpenFileName(
                self, _("Set up the practice from a &file…").replace("&", ""), "",
                _("Practice configuration (*.toml)"))
            if not name:
                return
            path = Path(name)
        try:
            self.apply(path)
        except DomainError as error:
            self._show_error(translate_error(error))
            return
        except (OSError, ValueError) as error:  # unreadable file, bad TOML
            self._show_error(_("The file {path} cannot be used: {error}").format(
                path=path, error=error))
            return
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
