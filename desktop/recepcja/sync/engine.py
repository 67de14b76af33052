"""The sync engine: one thread that runs the connectivity monitor and the outbox replay.

Plain Python (a ``threading.Thread`` and callbacks, no Qt); ``gui/`` wraps the callbacks into
signals. The thread opens its OWN database connection and its own gateway (``open_repos`` and
``make_gateway`` are called on it), so nothing here is shared with the UI thread but the flags
below and the callbacks, which run on the sync thread. Each pass sends under the data folder's
sender lock (``store.sender_lock``, taken by the replay): while another process holds it (a
``recepcja sync --once``, a second window on the same data folder) the pass leaves the rows to
that process and looks again after the idle interval.

Use::

    engine = SyncEngine(lambda: Repositories.open(path), lambda: gateway_from_context(ctx),
                        on_state=..., on_queue_count=..., on_entry_done=...)
    engine.start()          # the thread: probe / replay / sleep
    engine.wake()           # something was just queued: look at the outbox now
    engine.set_emergency(True, user="ania")   # the receptionist's switch (persisted)
    engine.stop()

``run_once()`` does one pass on the calling thread (``recepcja sync --once``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from recepcja.cer.port import CerPort
from recepcja.store.repos import Repositories
from recepcja.store.working_records import OutboxEntry
from recepcja.sync.in_flight import DEFAULT_MAX_IN_FLIGHT, InFlightLimit
from recepcja.sync.monitor import ConnectionState, ConnectivityMonitor
from recepcja.sync.practice_owner import PracticeOwnership
from recepcja.sync.replay import Replayer
from recepcja.sync.replay_report import ReplayReport

log = logging.getLogger("recepcja.sync.engine")

StateCallback = Callable[[ConnectionState, bool], None]  # state, emergency (offline or manual)
CountCallback = Callable[[int], None]  # changes waiting for CeR
EntryCallback = Callable[[OutboxEntry, str, dict[str, Any]], None]  # entry, outcome, detail


class SyncEngine:
    """Monitor + replay on a background thread; see the module docstring.

    ``idle_interval``: how often the outbox is looked at when nothing wakes the engine (new
    rows from the UI should call ``wake()``). The monitor's backoff (1 s doubling to
    ``backoff_cap``) decides when an unreachable CeR is probed again; while online and idle,
    CeR is probed every ``probe_interval`` seconds so an outage is noticed before a booking.
    ``after_pass(repos)`` runs on the sync thread after each pass while CeR is online (the
    downtime printout refreshes itself there). ``max_in_flight`` (``[cer] max_in_flight``):
    how many CeR calls a pass keeps in flight at most; the limit backs off while CeR is busy
    and is kept across passes (``sync.in_flight``); ``worker_repos`` opens a connection for
    each of the pass's workers (needed for a PostgreSQL practice database; the SQLite file is
    opened again without it).
    """

    def __init__(
        self,
        open_repos: Callable[[], Repositories],
        make_gateway: Callable[[], CerPort],
        *,
        on_state: StateCallback | None = None,
        on_queue_count: CountCallback | None = None,
        on_entry_done: EntryCallback | None = None,
        idle_interval: float = 2.0,
        backoff_start: float = 1.0,
        backoff_cap: float = 60.0,
        offline_after: int = 3,
        scope_to_cer: Callable[[str], str] = str,
        probe_interval: float = 30.0,
        after_pass: Callable[[Repositories], Any] | None = None,
        make_referral_gateway: Callable[[], Any] | None = None,
        ownership: PracticeOwnership | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        worker_repos: Callable[[], Repositories] | None = None,
    ) -> None:
        self.worker_repos = worker_repos
        self.in_flight = InFlightLimit(max_in_flight)
        self._open_repos = open_repos
        self._make_gateway = make_gateway
        self._make_referral_gateway = make_referral_gateway  # P1's e-referral service
        self.on_state = on_state
        self.on_queue_count = on_queue_count
        self.on_entry_done = on_entry_done
        self.idle_interval = idle_interval
        self.backoff_start = backoff_start
        self.backoff_cap = backoff_cap
        self.offline_after = offline_after
        self.scope_to_cer = scope_to_cer
        self.probe_interval = probe_interval
        self.after_pass = after_pass
        # On a practice database: only the desk holding the practice's lock talks to CeR
        # (``sync.practice_owner``); None - one-shot passes (``sync --once``) - per-pass lock.
        self.ownership = ownership
        self._last_call = time.monotonic()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._emergency_request: tuple[bool, str] | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.state = ConnectionState.ONLINE
        self.emergency = False
        self.last_report: ReplayReport | None = None

    # -- control (any thread) -------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="recepcja-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish (after the CeR call in flight, bounded by its timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def owns_practice(self) -> bool:
        """Whether this engine is its practice's CeR client (always, on SQLite)."""
        return self.ownership is None or self.ownership.held

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Look at the outbox now (a booking was just stored)."""
        self._wake.set()

    def set_emergency(self, on: bool, user: str = "") -> None:
        """The receptionist's emergency switch; applied (and persisted) by the sync thread."""
        with self._lock:
            self._emergency_request = (on, user)
        self._wake.set()

    # -- one pass on the calling thread ---------------------------------------------------------

    def run_once(self, repos: Repositories | None = None, gateway: CerPort | None = None, *,
                 wait: float = 0.0) -> ReplayReport:
        """Probe CeR if it was not online, replay once (the replay takes the data folder's
        sender lock, waiting up to ``wait`` seconds for another sender, and takes over the rows
        of a sender that is gone). Uses the given ``repos``/``gateway`` or opens its own
        (closed afterwards)."""
        own_repos = repos is None
        repos = repos or self._open_repos()
        own_gateway = gateway is None
        try:
            gateway = gateway or self._make_gateway()
            monitor = self._monitor(repos)
            return self._pass(repos, gateway, monitor, force=True, wait=wait)
        finally:
            if own_gateway and gateway is not None and hasattr(gateway, "close"):
                gateway.close()
            if own_repos:
                repos.close()

    # -- the thread -------------------------------------------------------------------------------

    def _monitor(self, repos: Repositories) -> ConnectivityMonitor:
        monitor = ConnectivityMonitor(
            repos, backoff_start=self.backoff_start, backoff_cap=self.backoff_cap,
            offline_after=self.offline_after,
        )
        monitor.add_listener(self._state_changed)
        self.state = monitor.state
        self.emergency = monitor.emergency
        return monitor

    def _state_changed(self, _old: ConnectionState, new: ConnectionState, manual: bool) -> None:
        self.state = new
        self.emergency = manual or new == ConnectionState.OFFLINE
        if self.on_state is not None:
            self.on_state(new, self.emergency)

    def _run(self) -> None:
        repos = self._open_repos()
        gateway = None
        try:
            monitor = self._monitor(repos)
            while gateway is None and not self._stop.is_set():
                try:
                    gateway = self._make_gateway()
                except Exception as error:  # e.g. no CeR address configured yet
                    log.warning("no CeR gateway: %s", error)
                    monitor.record_failure(error)  # a set-up fault is kept for the desk
                    self._wake.wait(max(self.idle_interval, monitor.backoff()))
                    self._wake.clear()
            if gateway is None:
                return
            if self.on_state is not None:
                self.on_state(monitor.state, monitor.emergency)
            while not self._stop.is_set():
                self._apply_emergency_request(monitor)
                try:
                    self._pass(repos, gateway, monitor, force=False)
                    if self.after_pass is not None and monitor.state == ConnectionState.ONLINE:
                        self.after_pass(repos)  # e.g. refresh the downtime printout
                    self._publish_count(repos)
                    sleep = self._sleep_for(repos, monitor)
                except Exception:  # the thread must survive anything; the row stays queued
                    log.exception("sync pass failed")
                    # A practice database that went away and came back leaves this thread's
                    # connection broken: a new one, as soon as the database answers again.
                    repos, monitor = self._reopened_if_broken(repos, monitor)
                    sleep = max(self.idle_interval, 1.0)
                self._wake.wait(sleep)
                self._wake.clear()
        except Exception:
            log.exception("sync engine stopped by an error")
        finally:
            if self.ownership is not None:
                self.ownership.release()
            if gateway is not None and hasattr(gateway, "close"):
                gateway.close()
            repos.close()

    def _reopened_if_broken(self, repos: Repositories, monitor: ConnectivityMonitor
                            ) -> tuple[Repositories, ConnectivityMonitor]:
        """``repos`` if its connection still answers, else a new connection (and the monitor
        over it); the old one when no new one can be had yet (the next pass tries again)."""
        try:
            repos.db.conn.execute("SELECT 1")
            return repos, monitor
        except Exception as error:
            log.warning("the sync thread's database connection is broken: %s", error)
        try:
            fresh = self._open_repos()
        except Exception as error:
            log.warning("the database does not answer yet: %s", error)
            return repos, monitor
        try:
            repos.close()
        except Exception:  # a broken connection closes as it can
            log.debug("closing the broken connection failed", exc_info=True)
        return fresh, self._monitor(fresh)

    def _apply_emergency_request(self, monitor: ConnectivityMonitor) -> None:
        with self._lock:
            request, self._emergency_request = self._emergency_request, None
        if request is not None:
            monitor.set_manual_emergency(*request)

    def _pass(self, repos: Repositories, gateway: CerPort, monitor: ConnectivityMonitor, *,
              force: bool, wait: float = 0.0) -> ReplayReport:
        if monitor.manual_emergency and not force:
            return ReplayReport()
        if self.ownership is not None and not self.ownership.ensure():
            # Another desk is the practice's CeR client: it sends, probes, pulls.
            report = ReplayReport(busy=self.ownership.holder())
            self.last_report = report
            return report
        if (not force and monitor.state == ConnectionState.ONLINE
                and time.monotonic() - self._last_call >= self.probe_interval
                and not repos.outbox.count_pending()):
            # A quiet desk makes no calls: probe now and then, so an outage shows on the
            # banner before somebody books into it.
            self._last_call = time.monotonic()
            monitor.probe(gateway)
            return ReplayReport()
        if monitor.state != ConnectionState.ONLINE:
            if not force and not monitor.probe_due():
                return ReplayReport()
            self._last_call = time.monotonic()
            if not monitor.probe(gateway):
                report = ReplayReport(stopped_by=monitor.last_error)
                self.last_report = report
                return report

        def observe(outcome: BaseException | None) -> None:
            self._last_call = time.monotonic()
            monitor.observe(outcome)

        replayer = Replayer(
            repos, gateway, on_progress=self._entry_done, observe=observe,
            scope_to_cer=self.scope_to_cer, on_chunk=lambda: self._publish_count(repos),
            wait=wait, referrals=self._make_referral_gateway,
            sender_lock=self.ownership.sender_lock() if self.ownership else None,
            in_flight=self.in_flight, open_repos=self.worker_repos,
        )
        report = replayer.run()
        if report.busy:
            log.info("outbox not sent by this process: %s", report.busy)
        self.last_report = report
        return report

    def _entry_done(self, entry: OutboxEntry, outcome: str, detail: dict[str, Any]) -> None:
        if self.on_entry_done is not None:
            self.on_entry_done(entry, outcome, detail)

    def _publish_count(self, repos: Repositories) -> None:
        if self.on_queue_count is not None:
            self.on_queue_count(repos.outbox.count_pending())

    def _sleep_for(self, repos: Repositories, monitor: ConnectivityMonitor) -> float:
        """Until the next probe (CeR away), the next retry (a failed row), or the idle
        interval; at once after a pass that stopped at its batch limit with work left."""
        now = repos.outbox.clock()
        wait = self.idle_interval
        if monitor.state != ConnectionState.ONLINE and monitor.next_probe_at is not None:
            wait = min(wait, (monitor.next_probe_at - now).total_seconds())
        due = repos.outbox.next_due_at()
        if due is not None and due > now and not monitor.manual_emergency:
            wait = min(wait, (due - now).total_seconds())
        return max(0.05, wait)
