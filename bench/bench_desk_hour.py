"""The slowest database call on the UI thread during a receptionist's scripted hour (issue 18).

    python bench/bench_desk_hour.py BENCH.sqlite [--rounds 60] [--json]

BENCH.sqlite is the large database from ``bench/generate.py``. One process (offscreen Qt) opens
Recepcja's window over a copy of it (no sync thread; the window's clock on a working day the
database covers), then plays ``--rounds`` rounds of a receptionist's work, each:

- **search**: a surname prefix typed into the patient search (run at once, as the search box's
  timer would after the typing pauses) - the search runs on the UI thread;
- **card**: the patient card of the first hit opened (read in the pool, shown on the UI thread;
  the dialog is closed at once instead of waiting for a click);
- **book**: the booking dialog opened for the patient as Ctrl+N opens it (its free terms and
  first lawful term read on the dialog's reader thread; the benchmark waits for them), then the
  booking of the patient on the term the dialog chose, in the pool as the window submits it,
  and the window's refresh after it;
- **switch**: three days forward in the day view (the day sheet read on the views' reader
  thread; each switch waits until the day is shown), then three in the week view.

Every statement the UI thread's connection runs (``execute`` / ``executemany`` and the fetching
of its rows) is timed, with the action it belongs to: wall time, and the UI thread's own CPU
time in it (on a shared machine the wall time also counts the time the thread waited for a
core). Reported: the slowest single statement
(with its SQL, numbers elided), the slowest action's total database time, and per action the
median and maximum. The UI thread's connection is the window's own (``MainWindow.repos``);
work the window hands to the pool or to a reader thread runs on other connections and is not
counted (the timed connection refuses to be used off the UI thread).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


class TimedCursor:
    def __init__(self, cursor: Any, record: Any) -> None:
        self._cursor = cursor
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Any:
        began, cpu = time.perf_counter(), time.thread_time()
        rows = list(self._cursor)
        self._record(time.perf_counter() - began, time.thread_time() - cpu)
        return iter(rows)

    def _timed(self, name: str, *args: Any) -> Any:
        began, cpu = time.perf_counter(), time.thread_time()
        result = getattr(self._cursor, name)(*args)
        self._record(time.perf_counter() - began, time.thread_time() - cpu)
        return result

    def fetchone(self) -> Any:
        return self._timed("fetchone")

    def fetchall(self) -> Any:
        return self._timed("fetchall")

    def fetchmany(self, *args: Any) -> Any:
        return self._timed("fetchmany", *args)


class TimedConnection:
    """The UI thread's connection, every statement timed (execute + fetching its rows)."""

    def __init__(self, conn: Any, ui_thread: threading.Thread) -> None:
        self._conn = conn
        self._ui = ui_thread
        self.action = "start"
        self.statements: list[tuple[float, str, str]] = []  # seconds, action, sql
        self.cpu: list[float] = []  # the UI thread's CPU seconds in each statement

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def _run(self, name: str, sql: str, *args: Any) -> Any:
        assert threading.current_thread() is self._ui, "the window's connection off its thread"
        entry = [0.0, self.action, sql]
        self.statements.append(entry)  # type: ignore[arg-type]
        number = len(self.cpu)
        self.cpu.append(0.0)

        def record(seconds: float, cpu: float) -> None:
            entry[0] += seconds
            self.cpu[number] += cpu

        began, cpu = time.perf_counter(), time.thread_time()
        cursor = getattr(self._conn, name)(sql, *args)
        record(time.perf_counter() - began, time.thread_time() - cpu)
        return TimedCursor(cursor, record)

    def execute(self, sql: str, *args: Any) -> Any:
        return self._run("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._run("executemany", sql, *args)


def play(rounds: int) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from recepcja.domain.model import WARSAW, Urgency
    from recepcja.gui.app import make_application
    from recepcja.gui.booking_dialog import BookingRequest
    from recepcja.gui.main_window import MainWindow
    from recepcja.gui.patient_card_actions import PatientCardActions
    from recepcja.services.context import AppContext

    gc.disable()  # as recepcja/__main__.py: the collector is off until the start is frozen
    app = make_application([])
    moment = dt.datetime(2026, 11, 23, 10, 5, tzinfo=WARSAW)
    window = MainWindow(AppContext.load(), clock=lambda: moment, start_sync=False,
                        panels_after_paint=True)  # as the app (gui/app.py) makes it
    window.show()
    deadline = time.monotonic() + 60
    while not (window.extensions and gc.isenabled()) and time.monotonic() < deadline:
        app.processEvents()  # the panels installed, the start's objects frozen
        time.sleep(0.001)
    timed = TimedConnection(window.repos.db.conn, threading.current_thread())
    window.repos.db.conn = timed
    window._run_dialog = lambda dialog: (dialog.close(), dialog.deleteLater(), False)[2]
    cards = next(e for e in window.extensions if isinstance(e, PatientCardActions))
    panel = window.patients
    prefixes = [row[0][:3] for row in window.repos.db.conn._conn.execute(
        "SELECT last_name FROM patients ORDER BY id LIMIT ?", (rounds * 37,)).fetchall()[::37]]
    actions: dict[str, list[float]] = defaultdict(list)

    def settle() -> None:
        """Until the pool's work is handled and the views show what was asked for."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            window.runner.wait(30000)
            for _ in range(5):
                app.processEvents()
            # What the app's event loop does and processEvents() here does not: the closed
            # dialogs' deleteLater() (without it every booking dialog stayed alive, and the
            # collector walked a heap growing by ~1,500 objects a round).
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
            if window.views.settled and not window.runner.active:
                return
            time.sleep(0.001)
        raise RuntimeError("the window did not settle in 60 s")

    def act(name: str, work: Any) -> None:
        timed.action = name
        first = len(timed.statements)
        work()
        settle()
        actions[name].append(sum(s[0] for s in timed.statements[first:]))

    booked = 0
    for index in range(rounds):
        prefix = prefixes[index % len(prefixes)]

        def search(prefix: str = prefix) -> None:
            panel.query.setText(prefix)
            panel.run_search()

        act("search", search)
        patient = panel.model.patient_at(0) if panel.model.rowCount() else None
        if patient is not None:
            act("card", lambda patient=patient: cards.open(patient.id))

            def book(patient: Any = patient) -> None:
                nonlocal booked
                dialog = window.booking.dialog(patient)
                deadline = time.monotonic() + 60
                while dialog.loading and time.monotonic() < deadline:
                    window.booking.reader.wait(100)
                    app.processEvents()
                offer = dialog.current()
                dialog.done(0)
                dialog.deleteLater()
                if offer is not None:
                    # A paper referral's number: a first visit of cardiology needs one.
                    window.submit_booking(BookingRequest(patient.id, offer.slot_id,
                                                         Urgency.STABLE, None, "SK-1"))
                    booked += 1

            act("book", book)
        window.actions_.day_view.trigger()
        for _ in range(3):
            act("switch day (day view)", window.actions_.next_day.trigger)
        window.actions_.week_view.trigger()
        for _ in range(3):
            act("switch day (week view)", window.actions_.next_day.trigger)
        for _ in range(6):  # back to the same week: the hour stays around one day
            window.actions_.previous_day.trigger()
    window.close()
    QApplication.processEvents()
    slowest = max(timed.statements, key=lambda s: s[0])
    return {
        "rounds": rounds,
        "bookings": booked,
        "statements": len(timed.statements),
        "slowest_statement_ms": round(slowest[0] * 1000, 2),
        "slowest_statement_action": slowest[1],
        "slowest_statement_sql": re.sub(r"\s+", " ", re.sub(r"\d+", "N", slowest[2]))[:160],
        "statement_p99_ms": round(1000 * statistics.quantiles(
            [s[0] for s in timed.statements], n=100)[98], 2),
        # The UI thread's own CPU time in a statement: what the statement costs the window
        # whatever else the machine runs (wall time above also counts waiting for the CPU).
        "slowest_statement_cpu_ms": round(1000 * max(timed.cpu), 2),
        "statement_cpu_p99_ms": round(1000 * statistics.quantiles(timed.cpu, n=100)[98], 2),
        "actions": {name: {"count": len(times),
                           "median_db_ms": round(1000 * statistics.median(times), 2),
                           "max_db_ms": round(1000 * max(times), 2)}
                    for name, times in actions.items()},
        "slowest_by_action": {name: _slowest(timed.statements, name) for name in actions},
    }


def _slowest(statements: list[Any], action: str) -> dict[str, Any]:
    mine = [s for s in statements if s[1] == action]
    if not mine:
        return {"ms": 0.0, "sql": ""}
    seconds, _action, sql = max(mine, key=lambda s: s[0])
    return {"ms": round(seconds * 1000, 2),
            "sql": re.sub(r"\s+", " ", re.sub(r"\d+", "N", sql))[:120]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-desk-hour-"))
    try:
        shutil.copy(args.database, home / "recepcja.sqlite")
        os.environ.update(QT_QPA_PLATFORM="offscreen", RECEPCJA_HOME=str(home),
                          RECEPCJA_LANG="pl")
        os.environ.pop("RECEPCJA_CER_URL", None)
        result = play(args.rounds)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
