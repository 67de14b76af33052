"""Starting the window: ``recepcja`` and ``recepcja --training`` call ``run(ctx)``.

``RECEPCJA_SMOKE_TEST=1`` shows the window, lets it settle for about a second, prints the Qt
platform it was shown on (``smoke-window: platform=xcb exposed=True``) and ``smoke-ok``, and exits
0 - the installer's CI checks a built bundle with it, and ``./run``'s test a window under Xvfb.
``RECEPCJA_SMOKE_TEST=paint`` prints ``smoke-painted`` in the event-loop turn after the window's
first paint (before the work that waits for it) and exits 0: ``bench/bench_gui.py`` times the
whole start of ``recepcja`` with it, from the process's start.
``RECEPCJA_SCREENSHOT=FILE.png`` grabs the window (or the dialog in front of it) once it is
exposed and writes the PNG (``tools/screenshot.sh``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from recepcja.i18n import _
from recepcja.resources import resource
from recepcja.services.context import AppContext

log = logging.getLogger("recepcja.gui")

ENV_SMOKE = "RECEPCJA_SMOKE_TEST"
ENV_SCREENSHOT = "RECEPCJA_SCREENSHOT"
SMOKE_MS = 1000
SCREENSHOT_DELAY_MS = 1500


def app_icon():  # QIcon, imported lazily with Qt
    """The app's icon: the 256-pixel PNG rendered from the SVG (``installer/render_icons.py``)
    - a window icon is never larger, and the SVG would load Qt's SVG icon engine during the
    start (~3 ms) - else the SVG."""
    from PySide6.QtGui import QIcon

    for name in ("recepcja.png", "recepcja.svg"):
        path = resource("icons", name)
        if path.is_file():
            return QIcon(str(path))
    return QIcon()


UI_SWITCH_INTERVAL_S = 0.001


def make_application(argv: list[str] | None = None):  # QApplication
    """The QApplication with a Polish locale, the app's name and icon (or the existing one)."""
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    QLocale.setDefault(QLocale(QLocale.Language.Polish, QLocale.Country.Poland))
    app = cast(QApplication, QApplication.instance()
               or QApplication(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("Recepcja")
    app.setApplicationDisplayName(_("Recepcja"))
    app.setOrganizationName("Recepcja")
    app.setWindowIcon(app_icon())
    install_qt_translations(app)
    # The UI thread shares the GIL with the readers and the pool: a thread wanting it back
    # (after every SQLite call, every Qt call) waits up to one switch interval while another
    # runs Python. 1 ms instead of 5 keeps the window's frames short (issue 18).
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)
    return app


def install_qt_translations(app) -> bool:  # QApplication
    """Qt's own texts in Polish: the standard buttons, the file and print dialogs ("Drukuj do
    pliku (PDF)", "Anuluj"). Once per application; False when Qt ships no such catalogue."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from recepcja.i18n import current_language

    language = current_language()
    if language == "en" or app.property("recepcja_qt_translations"):
        return bool(app.property("recepcja_qt_translations"))
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(f"qtbase_{language}", folder):
        return False
    app.installTranslator(translator)
    app.setProperty("recepcja_qt_translations", True)
    return True


def run(ctx: AppContext, prepare: Callable[[Any], None] | None = None) -> int:
    """The app's main loop; ``prepare(window)`` runs once the window exists (the screenshot
    tool uses it to pick a busy day)."""
    from PySide6.QtCore import QTimer

    from recepcja.gui.main_window import MainWindow

    app = make_application()
    training = None
    if ctx.training:
        from recepcja.services.training import start_training

        # Before the window: the window's sync must already point at the simulator.
        training = start_training(ctx, actors=os.environ.get(ENV_SMOKE) != "1")
    absence = _server_absence(ctx)
    try:
        if absence is not None:
            # First: its first probe runs beside the window's start, which waits for it only
            # a moment (ServerAbsence.settle_cold_start).
            absence.start()
        window = MainWindow(ctx, training=training, icon=app_icon(), panels_after_paint=True)
        if prepare is not None:
            prepare(window)
        window.show()
        shot = os.environ.get(ENV_SCREENSHOT)
        if shot:
            QTimer.singleShot(SCREENSHOT_DELAY_MS, lambda: _grab(window, Path(shot), app))
        if os.environ.get(ENV_SMOKE) == "paint":
            from recepcja.gui.first_paint import after_first_paint

            def painted() -> None:
                print("smoke-painted", flush=True)
                os._exit(0)  # at once: the start's deferred work is not part of it

            after_first_paint(window, painted, first=True)
        if os.environ.get(ENV_SMOKE) == "1":
            def smoke() -> None:
                handle = window.windowHandle()
                exposed = handle is not None and handle.isExposed()
                print(f"smoke-window: platform={app.platformName()} exposed={exposed}", flush=True)
                print("smoke-ok", flush=True)
                window.close()
                app.quit()

            QTimer.singleShot(SMOKE_MS, smoke)
        code = app.exec()
        window.close()
        return int(code)
    finally:
        if absence is not None:
            absence.stop()
        if training is not None:
            training.stop()


def _server_absence(ctx: AppContext) -> Any:
    """A desk on a practice database watches its server and keeps a copy to work on when it is
    away (``services/server_absence.py``); None for a desk on its own SQLite file."""
    if ctx.training or ctx.server_absence is not None:
        return ctx.server_absence
    from recepcja.services.database import database_location

    if not database_location(ctx.paths, ctx.settings).url:
        return None  # without importing the watch, its local copy and sockets before the paint
    from recepcja.services.server_absence import ServerAbsence

    ctx.server_absence = ServerAbsence.for_context(ctx)
    return ctx.server_absence


def _grab(window, path: Path, app) -> None:  # Qt objects
    """Write the window to ``path`` once it is exposed (a grab before that is black)."""
    from PySide6.QtCore import QTimer

    handle = window.windowHandle()
    if handle is None or not handle.isExposed():
        QTimer.singleShot(200, lambda: _grab(window, path, app))
        return
    from recepcja.config.private_files import make_private, private_folder

    app.processEvents()
    private_folder(path.parent)
    dialog = app.activeModalWidget()  # a dialog in front (the patient card) is the picture
    pixmap = (dialog or window).grab()
    pixmap.save(str(path), "PNG")
    make_private(path)  # the window shows patients: the picture is as private as the data
    print(f"screenshot: {path}", flush=True)
    window.close()
    app.quit()
