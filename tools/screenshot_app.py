"""Helper of tools/screenshot.sh: the app in training mode, showing the next working day with
bookings, a patient search and a selected visit, then the grab (see gui/app.py).

Run it only through screenshot.sh (it expects RECEPCJA_HOME and RECEPCJA_SCREENSHOT set).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

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
    rows = window.schedule_view.day_model.rows()
    booked = [n for n, row in enumerate(rows) if row.entry.visit_id is not None]
    if booked:
        window.schedule_view.day_table.selectRow(booked[min(2, len(booked) - 1)])


if __name__ == "__main__":
    sys.exit(run(AppContext.load(training=True), prepare=prepare))
