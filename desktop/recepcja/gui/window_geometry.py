"""Where the window was: its size, place, docks and splitters are remembered per desk user (in
``window.ini`` in the data folder, one group per user) and given back at the next start.

The first start fits the screen: the preferred 1360×820 where there is room, otherwise (a
1366×768 laptop) the window starts maximised, so its frame never reaches past the screen.
A remembered place on a screen that is gone is ignored.

Made by the window before it is shown (``restore``: size, place, splitters); the docks'
places are given back once the panels that own them are installed (``restore_docks``);
``close()`` (when the window closes) saves.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter

from recepcja.config.private_files import create_private, make_private, private_folder

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow

PREFERRED = QSize(1360, 820)
FRAME_ALLOWANCE = QSize(16, 48)  # a window manager's borders and title bar
FILE_NAME = "window.ini"
SPLITTERS = ("mainSplitter", "rightSplitter")
SCHEDULE_SHARE = 0.61  # at 1366 pixels today's visits keep ~520: no horizontal scroll bar


def _private(path: Path) -> None:
    """Create the file ``0600`` before Qt first writes it (it names the desk's users), and
    narrow one an older version left wider."""
    if not path.exists():
        with contextlib.suppress(OSError):
            private_folder(path.parent)
            os.close(create_private(path))
    make_private(path)


def _group(user: str) -> str:
    return "user-" + (re.sub(r"[^A-Za-z0-9_.-]", "_", user) or "default")


class WindowGeometry:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.path = window.ctx.paths.root / FILE_NAME
        _private(self.path)
        self.settings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self.group = _group(window.ctx.user)
        self.state: QByteArray | None = None  # the docks' places, remembered

    def restore(self) -> bool:
        """The remembered geometry, else the first start's; True if remembered."""
        window = self.window
        self.settings.beginGroup(self.group)
        try:
            geometry = self.settings.value("geometry")
            state = self.settings.value("state")
            splitters = self.settings.value("splitters")
        finally:
            self.settings.endGroup()
        if isinstance(geometry, QByteArray) and window.restoreGeometry(geometry) \
                and self._on_a_screen():
            if isinstance(state, QByteArray):
                self.state = state
            if isinstance(splitters, list):
                for splitter, saved in zip(self._splitters(), splitters, strict=False):
                    if isinstance(saved, QByteArray):
                        splitter.restoreState(saved)
            return True
        self.first_start()
        return False

    def restore_docks(self) -> None:
        """The remembered places of the docks (call once the panels owning them exist)."""
        if self.state is not None:
            self.window.restoreState(self.state)

    def first_start(self) -> None:
        window = self.window
        screen = window.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else QRect(0, 0, 1920, 1080)
        wanted = PREFERRED + FRAME_ALLOWANCE
        if available.width() >= wanted.width() and available.height() >= wanted.height():
            window.resize(PREFERRED)
            frame = QRect(0, 0, wanted.width(), wanted.height())
            frame.moveCenter(available.center())
            window.move(frame.topLeft())
        else:
            window.resize(available.size() - FRAME_ALLOWANCE)
            window.move(available.topLeft())
            window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
        main = window.findChild(QSplitter, SPLITTERS[0])
        if main is not None:  # the schedule left, the patients and today's visits right
            width = min(window.width(), available.width())
            main.setSizes([round(width * SCHEDULE_SHARE), width - round(width * SCHEDULE_SHARE)])

    def close(self) -> None:
        """Remember the geometry (called when the window closes)."""
        self.settings.beginGroup(self.group)
        try:
            self.settings.setValue("geometry", self.window.saveGeometry())
            self.settings.setValue("state", self.window.saveState())
            self.settings.setValue("splitters", [s.saveState() for s in self._splitters()])
        finally:
            self.settings.endGroup()
        self.settings.sync()  # Qt replaces the file: narrow the new one as well
        make_private(self.path)

    def _splitters(self) -> list[QSplitter]:
        found = (self.window.findChild(QSplitter, name) for name in SPLITTERS)
        return [splitter for splitter in found if splitter is not None]

    def _on_a_screen(self) -> bool:
        frame = self.window.frameGeometry()
        return any(screen.availableGeometry().intersects(frame)
                   for screen in QGuiApplication.screens())


def install(window: MainWindow) -> WindowGeometry:
    geometry = WindowGeometry(window)
    geometry.restore()
    return geometry
