"""Desks see each other at once: the thread that follows a practice database's change journal.

Every write that changes slots, visits or notifications on a practice database is journalled
and announced by NOTIFY at COMMIT (``store/journal.py``). :class:`DeskChangesFollower` runs
one thread with a LISTEN connection of its own; on each notice it reads the journal after the
last id it saw and calls ``on_change(days, desks)`` - the days touched (``None`` among them for a
change without a day, e.g. a notification) and the workstations that made them - on its thread.
The GUI turns that into a signal (``gui/desk_changes.py``); nothing here knows Qt.

A lost connection is retried every second; on reconnecting the journal is read after the last
id, so a change made meanwhile is still reported. On SQLite there is no other desk: the
follower is never started (``shares_practice_database``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from recepcja.store import journal
from recepcja.store.db import Database

log = logging.getLogger("recepcja.services.desk_changes")

ChangeCallback = Callable[[set[dt.date | None], set[str]], None]
WAIT_SECONDS = 0.5  # how often the thread looks at its stop flag
RETRY_SECONDS = 1.0


class DeskChangesFollower:
    """See the module docstring. ``connect`` opens a new practice-database connection."""

    def __init__(self, connect: Callable[[], Database], on_change: ChangeCallback) -> None:
        self._connect = connect
        self.on_change = on_change
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_seen: int | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="recepcja-desk-changes",
                                        daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        """Block until the thread listens (tests, benchmarks)."""
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            listener = None
            try:
                db = self._connect()
                try:
                    listener = journal.ChangeListener(db)
                except BaseException:
                    db.close()
                    raise
                if self.last_seen is None:
                    self.last_seen = journal.last_id(listener.db)
                self._ready.set()
                self._follow(listener)  # also catches up on what came while reconnecting
                while not self._stop.is_set():
                    if listener.wait(WAIT_SECONDS):
                        self._follow(listener)
            except Exception as error:  # the server away: retry, lose nothing
                log.info("following the other desks' changes paused: %s", type(error).__name__)
                self._stop.wait(RETRY_SECONDS)
            finally:
                if listener is not None:
                    try:
                        listener.close()
                    except Exception:  # a broken connection closes as it can
                        log.debug("closing the listener failed", exc_info=True)

    def _follow(self, listener: journal.ChangeListener) -> None:
        entries = journal.since(listener.db, self.last_seen or 0)
        while entries:
            self.last_seen = entries[-1].id
            try:
                self.on_change({e.local_date for e in entries}, {e.workstation for e in entries})
            except Exception:  # a listener's fault must not stop the thread
                log.exception("a desk-changes listener failed")
            entries = journal.since(listener.db, self.last_seen)
