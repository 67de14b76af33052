"""Other desks' changes on this desk's views at once (issue 15): on a practice database a
booking, cancellation or notification applied by another desk reloads the day (or week) this
desk shows when it touches a shown day, without the receptionist pressing refresh.

The thread is ``services.desk_changes.DeskChangesFollower`` (plain Python); its callback emits a
signal that Qt queues onto the UI thread; notices arriving close together make one reload (a
single-shot timer). On SQLite nothing is installed: one desk has nobody to hear.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from recepcja.gui.signals import emit

log = logging.getLogger("recepcja.gui.desk_changes")

COALESCE_MS = 30  # notices within this window reload the view once


class DeskChanges(QObject):
    changed = Signal(object, object)  # set of days (None: no day), set of workstation names

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.follower: Any = None
        self.reloads = 0  # how many reloads other desks caused (tests, benchmarks)
        self._days: set[dt.date | None] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._reload)
        self.changed.connect(self._collect, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        from recepcja.services.desk_changes import DeskChangesFollower

        ctx = self.window.ctx
        self.follower = DeskChangesFollower(
            ctx.open_db, lambda days, desks: emit(self.changed, days, desks))
        self.follower.start()

    def _collect(self, days: set[dt.date | None], _desks: set[str]) -> None:
        if getattr(self.window, "closed", False):
            return
        self._days |= days
        if not self._timer.isActive():
            self._timer.start()

    def _reload(self) -> None:
        days, self._days = self._days, set()
        window = self.window
        if getattr(window, "closed", False):
            return
        views = getattr(window, "views", None)
        if views is not None:  # a week read ahead may hold one of these days
            views.ahead.drop()
        shown = window.current_day
        monday = shown - dt.timedelta(days=shown.weekday())
        visible = {monday + dt.timedelta(days=offset) for offset in range(7)}
        visible.add(window.clock().date())  # today's list
        if None in days or days & visible:
            self.reloads += 1
            window.reload()

    def close(self) -> None:
        self.blockSignals(True)
        self._timer.stop()
        if self.follower is not None:
            self.follower.stop()
            self.follower = None


def install(window: Any) -> DeskChanges | None:
    """Follow the other desks when this one shares a practice database."""
    from recepcja.services.database import shares_practice_database

    if not shares_practice_database(window.ctx):
        return None
    changes = DeskChanges(window)
    try:
        changes.start()
    except Exception:  # the desk works, only without live updates
        log.exception("following the other desks' changes did not start")
    return changes
