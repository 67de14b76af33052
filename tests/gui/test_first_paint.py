"""Deferred start-up work: runs after the window's first paint, in order; never for a window
that is never shown."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from recepcja.gui.first_paint import after_first_paint


def _window(qtbot) -> QMainWindow:
    """A small window to paint."""
    window = QMainWindow()
    window.setCentralWidget(QLabel("dzień"))
    qtbot.addWidget(window)
    return window


def _child(desk_ctx, args: list[str], **variables: str):
    """``python ARGS`` on the desk's data folder, in Polish, offscreen, without CeR or a
    practice database from this environment; its completed process."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "RECEPCJA_HOME": str(desk_ctx.paths.root), "RECEPCJA_LANG": "pl",
           "QT_QPA_PLATFORM": "offscreen", **variables}
    env.pop("RECEPCJA_CER_URL", None)
    env.pop("RECEPCJA_DATABASE_URL", None)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_callbacks_wait_for_the_first_paint_and_keep_their_order(qtbot):
    window = _window(qtbot)
    calls: list[str] = []
    after_first_paint(window, lambda: calls.append("first"))
    after_first_paint(window, lambda: calls.append("second"))
    qtbot.wait(50)
    assert calls == []  # not shown yet
    window.show()
    qtbot.waitUntil(lambda: calls == ["first", "second"], timeout=3000)
    after_first_paint(window, lambda: calls.append("later"))  # already painted: next turn
    qtbot.waitUntil(lambda: calls[-1] == "later", timeout=3000)
    qtbot.wait(600)  # the fallback timer must not run anything twice
    assert calls == ["first", "second", "later"]


def test_a_window_never_shown_runs_nothing(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    calls: list[str] = []
    after_first_paint(window, lambda: calls.append("x"))
    qtbot.wait(700)
    assert calls == []


def test_the_app_installs_its_panels_after_the_first_paint_and_gives_back_the_docks(
        qtbot, desk_ctx, clock):
    """As the app makes it (``panels_after_paint``): the desk is painted before the panels of
    ``gui/extensions.py`` exist; they come in the next turn, and a dock the receptionist left
    open, where she left it, is open there again at the next start."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget

    from recepcja.gui.main_window import MainWindow

    first = MainWindow(desk_ctx, clock=clock, start_sync=False, panels_after_paint=True)
    qtbot.addWidget(first)
    assert first.extensions == [] and first.findChild(QDockWidget, "changesDock") is None
    first.show()
    qtbot.waitUntil(lambda: bool(first.extensions), timeout=5000)
    dock = first.findChild(QDockWidget, "changesDock")
    assert dock is not None and dock.isHidden()  # the change log starts hidden
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    dock.show()
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    first.close()

    again = MainWindow(desk_ctx, clock=clock, start_sync=False, panels_after_paint=True)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: bool(again.extensions), timeout=5000)
    dock = again.findChild(QDockWidget, "changesDock")
    assert dock is not None
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    assert again.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    again.close()


def test_a_window_closed_before_its_first_paint_installs_no_panels(qtbot, desk_ctx, clock):
    from recepcja.gui.main_window import MainWindow

    window = MainWindow(desk_ctx, clock=clock, start_sync=False, panels_after_paint=True)
    qtbot.addWidget(window)
    window.close()
    window._install_panels()  # a late first-paint turn: nothing for a closed window
    assert window.extensions == []


def test_at_the_app_start_the_first_read_waits_for_the_first_paint(qtbot, desk_ctx, clock):
    """The reader thread does not compete with the start: nothing is read before the window is
    painted (the views say they are not settled), then the day and today's visits come."""
    from recepcja.gui.main_window import MainWindow

    window = MainWindow(desk_ctx, clock=clock, start_sync=False, panels_after_paint=True)
    qtbot.addWidget(window)
    window.refresh_status()  # the status bar's timer asking meanwhile changes nothing
    qtbot.wait(300)
    assert window.schedule_view.day_model.rowCount() == 0
    assert not window.views.settled  # asked, waiting for the paint
    window.show()
    qtbot.waitUntil(lambda: window.views.settled, timeout=5000)
    assert window.schedule_view.day_model.rowCount() > 0
    assert window.today.model.rowCount() > 0  # today's booked visits (the fixture has four)
    window.close()


def test_a_callback_asked_first_runs_before_the_ones_given_earlier(qtbot):
    window = _window(qtbot)
    calls: list[str] = []
    after_first_paint(window, lambda: calls.append("panels"))
    after_first_paint(window, lambda: calls.append("timed"), first=True)
    window.show()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=3000)
    assert calls == ["timed", "panels"]


def test_the_app_says_when_its_window_is_painted_for_the_start_benchmark(desk_ctx):
    """``RECEPCJA_SMOKE_TEST=paint`` (bench/bench_gui.py's end-to-end start): ``recepcja``
    prints ``smoke-painted`` after the window's first paint and exits 0."""
    done = _child(desk_ctx, ["-m", "recepcja"], RECEPCJA_SMOKE_TEST="paint")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "smoke-painted"


# What the window does not need to paint its first frame, and each costs the cold start its
# import (issue 18: a dataclass made at import is ~4 M instructions on Python 3.11, a module
# loading OpenSSL or platform data more): read in the turns after the first paint.
NOT_BEFORE_THE_FIRST_PAINT = (
    "recepcja.domain.entities",  # patients, slots, visits: none is made before the paint
    "recepcja.store.records",  # the practice's records: the schedules are read after the paint
    "recepcja.store.working_records",  # visits, day sheets, the outbox's rows, the logs
    "recepcja.store.visits", "recepcja.store.outbox", "recepcja.store.patients",
    "recepcja.store.logs", "recepcja.store.notifications",  # repositories made on first use
    "recepcja.services.backup", "recepcja.store.backup",  # only when a migration is pending
    "recepcja.store.journal",  # the practice database's change journal
    "uuid", "calendar", "tomli_w", "ctypes",
    "hashlib",  # OpenSSL's library: the desk's derived prefix is hashed at its first write
)

_AT_FIRST_PAINT = r"""
import datetime as dt, json, sys
from recepcja.services.context import AppContext
from recepcja.gui.app import make_application
from recepcja.domain.model import WARSAW
from PySide6.QtCore import QTimer
from recepcja.gui.first_paint import after_first_paint
from recepcja.gui.main_window import MainWindow

app = make_application([])
moment = dt.datetime.combine(dt.date.fromisoformat(sys.argv[1]), dt.time(10, 5), WARSAW)
window = MainWindow(AppContext.load(), clock=lambda: moment, start_sync=False,
                    panels_after_paint=True)
seen = {}

def at_paint():
    seen["loaded"] = [name for name in sys.argv[2:] if name in sys.modules]
    seen["schedules_at_paint"] = len(window.schedules)

def settled():
    if not window.views.settled:
        QTimer.singleShot(20, settled)
        return
    seen["schedules"] = len(window.schedules)
    seen["day_rows"] = window.schedule_view.day_model.rowCount()
    print(json.dumps(seen), flush=True)
    app.quit()

after_first_paint(window, at_paint, first=True)  # before the window's own deferred work
after_first_paint(window, lambda: QTimer.singleShot(0, settled))
window.show()
app.exec()
"""


def test_the_window_paints_before_importing_what_it_reads_later(desk_ctx, monday):
    """In a fresh interpreter started as the app starts its window, none of the modules above
    is imported when the first frame is painted - and the schedules (with their records) are
    read in the next turn, before the day's terms, which then show."""
    import json

    done = _child(desk_ctx, ["-c", _AT_FIRST_PAINT, monday.isoformat(),
                             *NOT_BEFORE_THE_FIRST_PAINT])
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["loaded"] == []
    assert seen["schedules_at_paint"] == 0
    assert seen["schedules"] == 2 and seen["day_rows"] > 0  # the fixture's two schedules


def test_the_first_freeze_switches_the_collector_on():
    """The app starts with the cyclic collector off (``recepcja/__main__.py``); the window's
    first freeze of the start's objects switches it on, so it walks only what comes after."""
    import gc

    from recepcja.gui.first_paint import freeze_start_objects

    gc.disable()
    try:
        freeze_start_objects()
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_desk_on_its_own_file_does_not_import_the_server_watch_to_start(desk_ctx):
    """``recepcja`` (the window) on a desk's own SQLite file: no practice server to watch, and
    its module (with the local copy and sockets) is not imported on the way to the paint."""
    probe = ("import sys\nfrom recepcja.services.context import AppContext\n"
             "from recepcja.gui.app import _server_absence\n"
             "print(_server_absence(AppContext.load()),\n"
             "      [m for m in ('recepcja.services.server_absence', 'recepcja.store.local_copy',"
             " 'socket') if m in sys.modules])")
    done = _child(desk_ctx, ["-c", probe])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "None []"
