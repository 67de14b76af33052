"""The notification thread: applies what the receiver stored, pulls by cursor when the
receiver is off, and reconciles on a timer. Plain Python (a thread and callbacks, no Qt); the GUI
wraps the callbacks into signals.

Use::

    worker = NotificationWorker(lambda: Repositories.open(path),
                                lambda: gateway_from_context(ctx),
                                pull=not settings.receiver.enabled, pull_seconds=30,
                                reconcile_seconds=900, on_report=show_report,
                                listeners=[toast_and_refresh])
    receiver = NotificationReceiver.from_context(ctx, on_stored=worker.wake)
    worker.start(); receiver.start()
    ...
    receiver.stop(); worker.stop()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from recepcja.cer.errors import CerError
from recepcja.sync.notifications import ChangeListener, NotificationApplier

if TYPE_CHECKING:
    from recepcja.cer.port import CerPort
    from recepcja.store.repos import Repositories

log = logging.getLogger("recepcja.sync.notifications")


class NotificationWorker:
    """The notification part of the sync thread: applies what the receiver stored as soon as
    it is woken (``wake``, the receiver's ``on_stored``); every ``pull_seconds`` also pulls by
    cursor when pulling is on (the receiver is off or unreachable); every ``reconcile_seconds``
    (when given) runs a reconciliation and hands its report to ``on_report`` - the timer of
    issue 7.

    It opens its own repositories and gateway on its own thread (``open_repos``,
    ``make_gateway``), as every thread must. Listeners are called on that thread.
    """

    def __init__(
        self,
        open_repos: Callable[[], Repositories],
        make_gateway: Callable[[], CerPort] | None = None,
        *,
        pull: bool = False,
        pull_seconds: float = 30.0,
        reconcile_seconds: float | None = None,
        reconcile_options: dict[str, Any] | None = None,
        on_report: Callable[[Any], None] | None = None,
        listeners: Iterable[ChangeListener] = (),
        may_work: Callable[[], bool] | None = None,
    ) -> None:
        self._open_repos = open_repos
        self._make_gateway = make_gateway
        self._pull = pull
        self._pull_seconds = pull_seconds
        self._reconcile_seconds = reconcile_seconds
        self._reconcile_options = dict(reconcile_options or {})
        self._on_report = on_report
        self._listeners = list(listeners)
        # On a practice database only the practice's CeR client pulls, applies and reconciles
        # (``sync.practice_owner``); the others look again when woken or at the next pull.
        self._may_work = may_work or (lambda: True)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    def set_pull(self, on: bool) -> None:
        """Pull by cursor from now on (the receiver could not start) - or no longer."""
        self._pull = on
        self.wake()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="recepcja-notifications", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """Block until a pass found nothing left to apply (tests, shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        repos = self._open_repos()
        gateway = None
        if self._make_gateway is not None:
            try:
                gateway = self._make_gateway()
            except Exception:  # not configured: apply what the receiver stores, pull nothing
                log.exception("no CeR gateway for the notification thread")
        applier = NotificationApplier(repos, gateway, self._listeners)
        next_pull = next_reconcile = time.monotonic()
        if self._reconcile_seconds is not None:
            next_reconcile += self._reconcile_seconds
        try:
            while not self._stop.is_set():
                self._wake.clear()
                now = time.monotonic()
                try:
                    if not self._may_work():
                        next_pull = next_reconcile = now + self._pull_seconds
                        self._wake.wait(self._pull_seconds)
                        continue
                    if self._pull and gateway is not None and now >= next_pull:
                        next_pull = now + self._pull_seconds
                        self._pull_once(gateway, repos)
                    applier.apply_pending()
                    if self._reconcile_seconds is not None and now >= next_reconcile:
                        next_reconcile = now + self._reconcile_seconds
                        self._reconcile_once(gateway, repos)
                    if repos.notifications.count_unapplied() == 0 and not self._wake.is_set():
                        self._idle.set()
                except CerError as error:
                    self.errors += 1
                    log.info("notification pass failed: %s", type(error).__name__)
                except Exception:
                    self.errors += 1
                    log.exception("notification pass failed")
                deadlines = [next_pull] if self._pull else []
                if self._reconcile_seconds is not None:
                    deadlines.append(next_reconcile)
                timeout = max(0.05, min(deadlines) - time.monotonic()) if deadlines else None
                self._wake.wait(timeout)
        finally:
            if gateway is not None:
                gateway.close()
            repos.close()

    @staticmethod
    def _pull_once(gateway: CerPort, repos: Repositories) -> None:
        from recepcja.sync.pull import pull_notifications

        pull_notifications(gateway, repos)

    def _reconcile_once(self, gateway: CerPort | None, repos: Repositories) -> None:
        if gateway is None:
            return
        from recepcja.sync.reconcile import reconcile

        report = reconcile(repos, gateway, **self._reconcile_options)
        if self._on_report is not None:
            try:
                self._on_report(report)
            except Exception:
                log.exception("a reconciliation listener failed")
