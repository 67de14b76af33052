"""Helper of tools/screenshot.sh: the app in training mode, showing the next working day with
bookings, a patient search and a selected visit, then the grab (see gui/app.py).

``RECEPCJA_SCREENSHOT_VIEW`` picks what is shown: ``day`` (default), ``week`` (the week of the
selected visit's schedule) or ``card`` (the patient card of the selected visit).

Run it only through screenshot.sh (it expects RECEPCJA_HOME and RECEPCJA_SCREENSHOT set).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

from PySide6.QtCore import QTimer

from recepcja.gui.app import run
from recepcja.services.context import AppContext


def prepare(window: Any) -> None:
    day = window.clock().date()
    for _ in range(14):
        if day.weekday() < 5 and day > window.clock().date():
            break
        day += dt.timedelta(days=1)
    window.go_to(day)
    window.patients.query.setText("Now")
    window.patients.run_search()
    # The app's first read waits for the window's first paint: choose once the day is shown.
    window.views.when_shown(lambda: _choose(window))


def _choose(window: Any) -> None:
    rows = window.schedule_view.day_model.rows()
    booked = [n for n, row in enumerate(rows) if row.entry.visit_id is not None]
    if booked:
        window.schedule_view.day_table.selectRow(booked[min(2, len(booked) - 1)])
    view = os.environ.get("RECEPCJA_SCREENSHOT_VIEW", "day")
    row = window.schedule_view.current_row()
    if view == "week":
        if row is not None:
            window.schedule_view.choose_week_schedule(row.entry.schedule_id)
        window.actions_.week_view.trigger()
    elif view == "card" and row is not None:
        window.schedule_view.day_table.setFocus()
        QTimer.singleShot(300, window.actions_.patient_card.trigger)


if __name__ == "__main__":
    sys.exit(run(AppContext.load(training=True), prepare=prepare))
