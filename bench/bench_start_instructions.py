"""Cold start in instructions, phase by phase (issue 18): a figure the machine's load does not move.

    python bench/bench_start_instructions.py BENCH.sqlite [--json]

Wall-clock starts (``bench_gui.py``) swing by tens of percent on a shared virtual machine. This
counts the instructions the UI (main) thread executes, under valgrind's callgrind
(``--separate-threads=yes``; valgrind must be installed: ``apt-get install valgrind``), from the
interpreter's start to the event-loop turn after the window's first paint, where the child ends
at once (``os._exit``: no teardown counted) - for a bare Qt window (import PySide6, an empty
QMainWindow, shown and painted) and for Recepcja's window made as the app makes it
(``panels_after_paint=True``), and for the app's start cut after each phase:

- ``pyside``: PySide6's QtCore and QtWidgets imported (what the bare window imports);
- ``imports``: the context, ``recepcja.gui.app``, PySide6 and ``recepcja.gui.main_window``
  imported, in the app's order (the command line imports the context before Qt);
- ``window``: the QApplication, ``AppContext.load()`` and the ``MainWindow`` built;
- ``painted``: shown, until the turn after its first paint.

The app's child starts with the cyclic collector off, as ``python -m recepcja`` does
(``recepcja/__main__.py``); the bare window's child is a plain PySide6 program.

Other threads (the views' reader, if one ran before the paint) are reported apart: on two cores
they run beside the UI thread. Instructions are not time (an instruction of Qt's C++ and one of
the interpreter's loop differ), but their ratio tracks the start's CPU cost without noise; one
run each is enough (the counts repeat within ~0.5 %). For a baseline, run it with
``PYTHONPATH=<a checkout of older code>/desktop``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIRST_PAINT = r"""
import os
from PySide6.QtCore import QEvent, QObject, QTimer
class _FirstPaint(QObject):
    def __init__(self, window):
        super().__init__()
        self.window = window
        window.installEventFilter(self)
    def eventFilter(self, watched, event):
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, lambda: os._exit(0))
        return False
"""

BARE = r"""
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow()
w.resize(1360, 820)
""" + FIRST_PAINT + r"""
painted = _FirstPaint(w)
w.show()
app.exec()
"""

APP = r"""
import gc
gc.disable()  # as recepcja/__main__.py does, until the start's objects are frozen
import datetime as dt, os, sys
phase = sys.argv[1]
if phase == "pyside":
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    os._exit(0)
# In the app's order: the command line has the context (and gui.app) before Qt is imported.
from recepcja.services.context import AppContext
from recepcja.gui.app import make_application
from recepcja.domain.model import WARSAW
from PySide6.QtCore import QTimer
from recepcja.gui.main_window import MainWindow
if phase == "imports":
    os._exit(0)
app = make_application([])
moment = dt.datetime(2026, 11, 23, 10, 5, tzinfo=WARSAW)
try:
    w = MainWindow(AppContext.load(), clock=lambda: moment, start_sync=False,
                   panels_after_paint=True)
except TypeError:  # code before the deferred start (a baseline: PYTHONPATH=<old>/desktop)
    w = MainWindow(AppContext.load(), clock=lambda: moment, start_sync=False)
if phase == "window":
    os._exit(0)
""" + FIRST_PAINT + r"""
painted = _FirstPaint(w)
w.show()
app.exec()
"""

PHASES = ("pyside", "imports", "window", "painted")


def _count(code: str, env: dict[str, str], out: Path, *args: str) -> dict[str, int]:
    """Instructions per thread (thread number → count) of one child under callgrind."""
    for old in out.parent.glob(out.name + "*"):
        old.unlink()
    subprocess.run(  # our own interpreter and code, under valgrind
        ["valgrind", "--tool=callgrind", "--separate-threads=yes",
         f"--callgrind-out-file={out}", sys.executable, "-c", code, *args],
        env=env, capture_output=True, text=True, check=True, timeout=600)
    counts = {}
    for part in sorted(out.parent.glob(out.name + "*")):
        thread = int(part.name.rsplit("-", 1)[-1]) if "-" in part.name else 1
        match = re.search(r"^(?:summary|totals):\s+(\d+)", part.read_text(errors="replace"),
                          re.MULTILINE)
        counts[thread] = int(match.group(1)) if match else 0
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    home = Path(tempfile.mkdtemp(prefix="bench-instr-"))
    try:
        shutil.copy(args.database, home / "recepcja.sqlite")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RECEPCJA_HOME=str(home),
                   RECEPCJA_LANG="pl", PYTHONPYCACHEPREFIX=str(home / "pycache"))
        env.pop("RECEPCJA_CER_URL", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # Warm-up without valgrind: the copy migrated, the bytecode cache written.
        subprocess.run([sys.executable, "-c", APP, "painted"], env=env, check=True,
                       capture_output=True, timeout=300)
        bare = _count(BARE, env, home / "cg.bare")
        app = {phase: _count(APP, env, home / f"cg.{phase}", phase) for phase in PHASES}
        main_bare = bare.get(1, 0)
        result = {
            "bare_main_thread": main_bare,
            "app_main_thread": {phase: counts.get(1, 0) for phase, counts in app.items()},
            "app_other_threads_painted": sum(v for k, v in app["painted"].items() if k != 1),
            "ratio_main_thread": app["painted"].get(1, 0) / main_bare if main_bare else None,
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        previous = 0
        print(f"bare Qt window, main thread: {main_bare / 1e6:8.1f} M instructions")
        for phase, count in result["app_main_thread"].items():
            print(f"app to {phase:8s}: {count / 1e6:8.1f} M  (+{(count - previous) / 1e6:.1f})")
            previous = count
        print(f"app, other threads before the paint: "
              f"{result['app_other_threads_painted'] / 1e6:.1f} M")
        print(f"ratio (main thread, to the first paint): {result['ratio_main_thread']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
