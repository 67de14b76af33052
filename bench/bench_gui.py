"""Front desk benchmarks (issue 5): cold start, switching day in the week view, peak memory.

    python bench/bench_gui.py BENCH.sqlite [--runs 5] [--from-source] [--json]

BENCH.sqlite is the large database from ``bench/generate.py`` (10 schedules, ~200k slots, 50k
patients, 100k visits). Every cold start is a fresh Python process (offscreen Qt):

- **bare**: import PySide6, create QApplication and an empty QMainWindow, show it, wait until
  the first paint has been processed (the first event-loop turn after the window's first paint
  event: a zero timer alone fires before Qt paints);
- **app**: the same for Recepcja's MainWindow, made as the app makes it (its panels installed
  in the turn after the first paint), over a copy of the large database (no sync thread, the
  window's clock on a working day the database covers, so the first view is a busy day); the
  times until the panels are installed and until the day's terms are in view (the first read
  starts after the first paint) are given beside it.

Both kinds of process read compiled bytecode, as an installed app (or the second start from
a checkout) does: the children keep it in a cache inside the temporary folder, written by the
warm-up run. ``--from-source`` compiles every module at every start instead
(``PYTHONDONTWRITEBYTECODE=1``, as a shell with that variable set runs a checkout).

- **end to end**: from starting the process to its first paint (the interpreter's own start
  included): ``python -m recepcja`` - the app's entry, the command line included - with
  ``RECEPCJA_SMOKE_TEST=paint`` (it prints ``smoke-painted`` in the turn after the first paint
  and exits), beside a bare window's process timed the same way.

Runs alternate bare / app; medians and their ratio. In the app process, after start: 30 switches
to the next day with the week tab shown and painted once (its first paint timed on its own:
opening the tab is not a switch; the week grid shows one schedule; a switch into the
next week reads that schedule's week), median and maximum time per switch including the
repaint of both tables and the events that follow (and, when the switch enters another week,
the read of that week on the views' reader thread until it is shown); interleaved with each
switch, the same repaint with nothing switched (the paint floor: what a switch can never go
below); and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Both children stop the clock in the event-loop turn after the window's first paint event;
# whatever the window defers until after its first paint is not part of the figure.
FIRST_PAINT = r"""
from PySide6.QtCore import QEvent, QObject
class _FirstPaint(QObject):
    def __init__(self, window, then):
        super().__init__()
        self.window, self.then = window, then
        window.installEventFilter(self)
    def eventFilter(self, watched, event):
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self.then)
        return False
"""

CHILD_BARE = r"""
import time
t0 = time.perf_counter()
c0 = time.process_time()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow()
w.resize(1360, 820)
def done():
    print(time.perf_counter() - t0, time.process_time() - c0)
    app.quit()
""" + FIRST_PAINT + r"""
painted = _FirstPaint(w, done)
w.show()
app.exec()
"""

CHILD_APP = r"""
import time
t0 = time.perf_counter()
c0 = time.process_time()
import gc
gc.disable()  # as recepcja/__main__.py: the collector is off until the start's objects are frozen
import datetime as dt
# In the app's order: the command line has the context (and gui.app) before Qt is imported.
from recepcja.services.context import AppContext
from recepcja.gui.app import make_application
from recepcja.domain.model import WARSAW
from PySide6.QtCore import QTimer
from recepcja.gui.main_window import MainWindow
app = make_application([])
moment = dt.datetime(2026, 11, 23, 10, 5, tzinfo=WARSAW)
w = MainWindow(AppContext.load(), clock=lambda: moment, start_sync=False,
               panels_after_paint=True)  # as the app (gui/app.py) makes it
out = {}
def started():
    out["start"] = time.perf_counter() - t0
    out["start_cpu"] = time.process_time() - c0
    while not w.extensions:  # the panels, installed in a turn after the first paint
        app.processEvents()
    out["panels"] = time.perf_counter() - t0
    while not w.views.settled:  # the day's first read, started after the first paint
        app.processEvents()
        time.sleep(0.0002)
    out["day_shown"] = time.perf_counter() - t0
    import json, resource, statistics, sys  # the bench's own tools: not part of the start
    out["rows"] = w.schedule_view.day_model.rowCount()
    w.actions_.week_view.trigger()
    app.processEvents()

    def paint():
        w.schedule_view.week_table.viewport().repaint()
        w.schedule_view.day_table.viewport().repaint()
        app.processEvents()

    def shown():  # the week (and the status numbers) are read off the UI thread
        while not getattr(w.views, "settled", True):
            app.processEvents()
            time.sleep(0.0002)

    shown()
    while not gc.isenabled():  # the start's work done (its objects frozen, the collector on)
        app.processEvents()
        time.sleep(0.0002)
    # The week tab's first paint (its cells' glyphs drawn for the first time: 5-30 ms) is
    # opening the tab, not switching day: timed on its own, before the first switch.
    s, c = time.perf_counter(), time.thread_time()
    paint()
    out["week_tab_paint"], out["week_tab_paint_cpu"] = time.perf_counter() - s, \
        time.thread_time() - c
    times, floor, cpu = [], [], []
    for _ in range(int(sys.argv[1])):
        s, c = time.perf_counter(), time.thread_time()  # the UI thread's own CPU time
        w.actions_.next_day.trigger()
        shown()
        paint()
        times.append(time.perf_counter() - s)
        cpu.append(time.thread_time() - c)
        s = time.perf_counter()  # the floor, interleaved: the same paint, nothing switched
        paint()
        floor.append(time.perf_counter() - s)
    out["switch_median"] = statistics.median(times)
    out["switch_max"] = max(times)
    out["switch_cpu_median"] = statistics.median(cpu)
    out["switch_cpu_max"] = max(cpu)
    out["switch_cpu_times"] = cpu
    out["switch_wall_times"] = times
    out["switch_times"] = times
    out["floor_median"] = statistics.median(floor)
    out["floor_max"] = max(floor)
    out["week_cells"] = w.schedule_view.week_model.rowCount() * 7
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    w.close()
    app.quit()
""" + FIRST_PAINT + r"""
painted = _FirstPaint(w, started)
w.show()
app.exec()
"""


# End to end: a process started, until it prints that its window has been painted (bare: the
# same as CHILD_BARE; the app: ``python -m recepcja`` - the command line, the context, the
# window - with RECEPCJA_SMOKE_TEST=paint, see gui/app.py).
CHILD_BARE_E2E = r"""
import os
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow()
w.resize(1360, 820)
def done():
    print("smoke-painted", flush=True)
    os._exit(0)
""" + FIRST_PAINT + r"""
painted = _FirstPaint(w, done)
w.show()
app.exec()
"""


def _until_painted(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``command`` to its ``smoke-painted`` line."""
    start = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE,  # our own interpreter
                          stderr=subprocess.DEVNULL, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "smoke-painted":
                elapsed = time.perf_counter() - start
                break
        else:
            raise RuntimeError(f"{command[-1]}: no first paint (exit {child.wait()})")
        child.wait(timeout=60)
    return elapsed


def _child(code: str, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
        check=True, timeout=300,
    )
    return result.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--switches", type=int, default=30)
    parser.add_argument("--from-source", action="store_true",
                        help="no bytecode cache: compile every module at every start")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    try:
        shutil.copy(args.database, home / "recepcja.sqlite")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RECEPCJA_HOME=str(home),
                   RECEPCJA_LANG="pl")
        env.pop("RECEPCJA_CER_URL", None)
        if args.from_source:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env.pop("PYTHONPYCACHEPREFIX", None)
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        _child(CHILD_APP, env, "1")  # migrate the copy once and warm the OS file cache
        bare, app, details, bare_cpu = [], [], [], []
        bare_e2e, app_e2e = [], []
        e2e_env = dict(env, RECEPCJA_SMOKE_TEST="paint")
        for _ in range(args.runs):
            bare_e2e.append(_until_painted([sys.executable, "-c", CHILD_BARE_E2E], e2e_env))
            app_e2e.append(_until_painted([sys.executable, "-m", "recepcja"], e2e_env))
            wall, cpu = _child(CHILD_BARE, env).split()
            bare.append(float(wall))
            bare_cpu.append(float(cpu))
            detail = json.loads(_child(CHILD_APP, env, str(args.switches)))
            app.append(detail["start"])
            details.append(detail)
        result = {
            "runs": args.runs,
            "bytecode": "compiled from source" if args.from_source else "cached",
            "bare_start_median_s": statistics.median(bare),
            "app_start_median_s": statistics.median(app),
            "ratio": statistics.median(app) / statistics.median(bare),
            # CPU seconds of the process (all threads) to the first paint: what the start
            # costs whatever else the machine runs (wall time also counts waiting for a core)
            "bare_start_cpu_median_s": statistics.median(bare_cpu),
            "app_start_cpu_median_s": statistics.median(d["start_cpu"] for d in details),
            "cpu_ratio": statistics.median(d["start_cpu"] for d in details)
            / statistics.median(bare_cpu),
            # the panels (docks, their menus, the change log, the queue) in a turn after it
            "app_panels_median_s": statistics.median(d["panels"] for d in details),
            # ... and the day's terms in view (read on the views' reader after the paint)
            "app_day_shown_median_s": statistics.median(d["day_shown"] for d in details),
            # end to end, from the process's start: `python -m recepcja` against a bare window
            "e2e_bare_median_s": statistics.median(bare_e2e),
            "e2e_app_median_s": statistics.median(app_e2e),
            "e2e_ratio": statistics.median(app_e2e) / statistics.median(bare_e2e),
            "e2e_bare": [round(t, 3) for t in bare_e2e],
            "e2e_app": [round(t, 3) for t in app_e2e],
            "bare_starts": bare,
            "app_starts": app,
            "day_rows": details[0]["rows"],
            "week_cells": details[0]["week_cells"],
            "switch_median_ms": 1000 * statistics.median(d["switch_median"] for d in details),
            "switch_max_ms": 1000 * max(d["switch_max"] for d in details),
            "switch_max_median_ms": 1000 * statistics.median(d["switch_max"] for d in details),
            "switch_medians_ms": [round(1000 * d["switch_median"], 2) for d in details],
            "switch_maxima_ms": [round(1000 * d["switch_max"], 1) for d in details],
            "switch_cpu_median_ms": 1000 * statistics.median(d["switch_cpu_median"]
                                                             for d in details),
            "switch_cpu_max_ms": 1000 * max(d["switch_cpu_max"] for d in details),
            "switch_cpu_maxima_ms": [round(1000 * d["switch_cpu_max"], 1) for d in details],
            # every switch of every process, to see which switches are the slow ones
            "switch_wall_times_ms": [[round(1000 * t, 1) for t in d["switch_wall_times"]]
                                     for d in details],
            "switch_cpu_times_ms": [[round(1000 * t, 1) for t in d["switch_cpu_times"]]
                                    for d in details],
            # the week tab's first paint, before the switches (not part of them)
            "week_tab_first_paint_ms": [round(1000 * d.get("week_tab_paint", 0), 1)
                                        for d in details],
            "week_tab_first_paint_cpu_ms": [round(1000 * d.get("week_tab_paint_cpu", 0), 1)
                                            for d in details],
            "paint_floor_median_ms": 1000 * statistics.median(d["floor_median"] for d in details),
            "switch_to_floor": statistics.median(d["switch_median"] / d["floor_median"]
                                                 for d in details),
            "peak_rss_mb": max(d["peak_rss_mb"] for d in details),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
