"""The sync side as Qt signals: connectivity, the number of changes waiting for CeR, finished
entries - so widgets never poll the sync thread and never touch it directly.

The bridge starts the sync engine (``recepcja.sync.engine``) after the first paint and turns
its callbacks (called on the sync thread) into signals, which Qt queues onto the UI thread.

The bridge is the ONE writer of the window's connection state (``connection_changed``). What
it hears - the engine's monitor, its own probe, the receptionist's emergency switch - goes into
``_publish``, which decides: the switch on means offline (emergency); else the latest word
heard. The bridge probes CeR itself (a cheap ``status`` call
in the thread pool, every 30 s; 5 s in training) only while there is no engine - before it has
started and when it cannot start - with a gateway of the pool thread's own (never one shared
across threads).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from recepcja.gui.connection import Connection
from recepcja.gui.first_paint import after_first_paint
from recepcja.gui.signals import emit
from recepcja.gui.workers import BackgroundRunner
from recepcja.services.context import AppContext

log = logging.getLogger("recepcja.gui.sync")

PROBE_INTERVAL_MS = 30000
TRAINING_PROBE_INTERVAL_MS = 5000  # rehearsing an outage: the banner should follow quickly


class SyncBridge(QObject):
    connection_changed = Signal(str)  # Connection value
    queue_changed = Signal(int)
    entry_done = Signal(object)
    _engine_state = Signal(str)  # from the sync thread, queued onto the UI thread
    # Once per sync pass (the engine publishes the count after each pass and chunk): the
    # entries it finished, as (entry, outcome) - the views refresh once, not once per row.
    pass_done = Signal(object)
    exchanged = Signal()  # a call to CeR worked (refresh "last exchange")

    def __init__(self, ctx: AppContext, runner: BackgroundRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.engine: Any = None
        self.state = Connection.UNKNOWN  # what the window shows (written by _publish only)
        self._heard: dict[str, Connection] = {}  # "engine" / "probe" -> its last word
        self.manual_emergency = False
        self._probing = False
        self._stopped = False  # the window closed: its pool takes no more work
        self._gateways = threading.local()  # one gateway per pool thread
        self._done_lock = threading.Lock()
        self._done: list[tuple[Any, str]] = []  # finished on the sync thread since the count
        self._timer = QTimer(self)
        self._timer.setInterval(
            TRAINING_PROBE_INTERVAL_MS if ctx.training else PROBE_INTERVAL_MS
        )
        self._timer.timeout.connect(self.probe)
        self._engine_state.connect(lambda value: self._heard_from("engine", value))

    def start(self) -> None:
        if not self.ctx.settings.effective_cer_url():
            self._heard_from("probe", Connection.NOT_CONFIGURED)
            return
        self._timer.start()
        parent = self.parent()
        if isinstance(parent, QWidget):
            # The engine (the sync services, ~60 ms to import, and its thread) starts once
            # the window shows the day; the outbox waits safely on disk until then.
            after_first_paint(parent, self._start_now)
        else:
            self._start_now()

    def _start_now(self) -> None:
        if not self._timer.isActive():  # stopped (the window closed) before it started
            return
        self._start_engine()
        if self.engine is None:
            self.probe()

    def owns_practice(self) -> bool:
        """Whether this desk may do the practice's CeR work (pull, reconcile, publish): on a
        practice database only the desk whose engine holds the practice's lock; on SQLite
        always (``sync.practice_owner``)."""
        if self.engine is not None:
            return bool(self.engine.owns_practice)
        from recepcja.services.database import shares_practice_database

        return not shares_practice_database(self.ctx)

    def wake(self) -> None:
        """Something was just queued: let the engine look at the outbox now."""
        if self.engine is not None:
            self.engine.wake()

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()
        if self.engine is not None:
            try:
                self.engine.stop()
            except Exception:  # shutting down: log, never block the exit
                log.exception("stopping the sync engine failed")
            self.engine = None

    def _start_engine(self) -> bool:
        try:
            from recepcja.services.sync_service import engine_for_context
        except ImportError:
            return False
        try:
            self.engine = engine_for_context(
                self.ctx,
                on_state=lambda state, emergency: emit(self._engine_state,
                    str(Connection.OFFLINE if emergency else Connection.parse(state))
                ),
                on_queue_count=self._counted,
                on_entry_done=self._entry_finished,
            )
            self.engine.start()
        except Exception:  # an engine we cannot drive: fall back to probing
            log.exception("the sync engine did not start; probing CeR instead")
            self.engine = None
            return False
        self._timer.stop()  # the engine probes CeR itself: one prober, one word
        return True

    def _entry_finished(self, entry: Any, outcome: object, _detail: object) -> None:
        """On the sync thread: remember it for the pass's one refresh."""
        with self._done_lock:
            self._done.append((entry, str(getattr(outcome, "value", outcome))))
        emit(self.entry_done, entry)

    def _counted(self, count: int) -> None:
        """On the sync thread, after a pass (or a chunk of one): one ``pass_done``."""
        with self._done_lock:
            batch, self._done = self._done, []
        if batch:
            emit(self.pass_done, batch)
        emit(self.queue_changed, int(count))

    # --- the one writer of the connection state ---------------------------------------------

    def set_manual_emergency(self, on: bool) -> None:
        """The receptionist's switch as the window shows it (persisting it is the engine's or
        the monitor's job)."""
        self.manual_emergency = on
        if not on:
            self._heard.clear()  # what was heard before is stale: "checking" until told again
        self._publish()

    def _heard_from(self, source: str, value: object) -> None:
        self._heard.pop(source, None)  # re-inserted last: the latest word is the dict's last
        self._heard[source] = Connection.parse(value)
        if source == "engine" and self._heard[source] == Connection.ONLINE:
            emit(self.exchanged)
        self._publish()

    def _publish(self) -> None:
        """The state from what was heard: the switch first, then the latest word."""
        if self.manual_emergency:
            state = Connection.OFFLINE
        elif self._heard:
            state = list(self._heard.values())[-1]
        else:
            state = Connection.UNKNOWN
        if state != self.state:
            self.state = state
            emit(self.connection_changed, str(state))

    def probe(self) -> None:
        """One ``status`` call in the thread pool (never on the UI thread). Nothing once the
        bridge is stopped: a probe scheduled earlier (the training outage's second probe) may
        fire after the window closed and its pool shut down."""
        if self._probing or self._stopped:
            return
        self._probing = True
        self.runner.run(self._probe_call, on_success=self._probed, on_failure=self._probe_failed)

    def _probe_call(self) -> bool:
        gateway = getattr(self._gateways, "gateway", None)
        if gateway is None:
            from recepcja.services.gateway_factory import gateway_from_context

            gateway = self._gateways.gateway = gateway_from_context(self.ctx)
        gateway.status()
        return True

    def _probed(self, _result: object) -> None:
        self._probing = False
        self._heard_from("probe", Connection.ONLINE)
        emit(self.exchanged)

    def _probe_failed(self, error: BaseException) -> None:
        self._probing = False
        log.info("CeR probe failed: %s", type(error).__name__)
        from recepcja.cer.errors import CerUnreachable

        unreachable = isinstance(error, CerUnreachable | OSError)
        before = self._heard.get("probe")
        self._heard_from("probe", Connection.OFFLINE if unreachable or before != Connection.ONLINE
                         else Connection.DEGRADED)
