"""CeR's news in the window (issue 7): starts the notification thread for the window's
context (pulling by cursor when the receiver is off; the receiver too when it is switched on
and has its secret - on a practice database only while this desk is the practice's CeR client,
``sync.owner_receiver``), turns its callbacks into signals, shows a toast for every change, keeps
the "Changes from CeR" dock (the log of changes and the last reconciliation's report),
refreshes the views, and offers "Reconcile with CeR" (run in the window's thread pool).

Nothing is started for a window whose sync was not started (``MainWindow(start_sync=False)``,
the GUI tests): the dock and the actions are there, the thread is not.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from recepcja.gui.changes_dock import ChangesDock, report_lines
from recepcja.gui.first_paint import after_first_paint
from recepcja.gui.signals import emit
from recepcja.gui.toast import Toast
from recepcja.gui.workers import BackgroundRunner
from recepcja.i18n import _
from recepcja.services.change_log import ChangeLine, change_lines
from recepcja.store.repos import Repositories

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow

log = logging.getLogger("recepcja.gui.sync")

PULL_SECONDS = 30.0
TRAINING_PULL_SECONDS = 3.0  # the simulator's portal bookings should show up quickly
RECONCILE_SECONDS = 900.0


def sync_started(window: MainWindow) -> bool:
    """Whether the window started its sync bridge (``start_sync=True`` and CeR configured)."""
    bridge = getattr(window, "bridge", None)
    if bridge is None:
        return False
    timer = getattr(bridge, "_timer", None)
    return getattr(bridge, "engine", None) is not None or bool(timer and timer.isActive())


class SyncPanel(QObject):
    changes_arrived = Signal(object)  # list[Change], emitted from the notification thread
    report_ready = Signal(object)  # ReconcileReport

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.worker: Any = None
        self.receiver: Any = None
        self.last_report: Any = None
        self.pulling = False
        self.toast = Toast(window)
        self.dock = ChangesDock(window)
        self.dock.term_chosen.connect(self._show_term)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.show_changes = self.dock.toggleViewAction()
        self.show_changes.setObjectName("showChanges")
        self.show_changes.setText(_("Changes from CeR"))
        self.show_changes.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.reconcile_action = QAction(_("Reconcile with CeR"), window)
        self.reconcile_action.setObjectName("reconcile")
        self.reconcile_action.setShortcut(QKeySequence("Ctrl+Shift+U"))
        self.reconcile_action.triggered.connect(self.reconcile)
        menu = window.menuBar().addMenu(_("Sy&nc with CeR"))
        menu.addAction(self.show_changes)
        menu.addAction(self.reconcile_action)
        window.addAction(self.show_changes)
        window.addAction(self.reconcile_action)
        self._reconciling = False
        self.changes_arrived.connect(self._on_changes, Qt.ConnectionType.QueuedConnection)
        self.report_ready.connect(self._on_report, Qt.ConnectionType.QueuedConnection)
        # The log of changes is read on a thread of its own (its module and the read cost the
        # UI thread ~50 ms at start); changes arriving before it are kept (``_early``).
        self._reader = BackgroundRunner(self, workers=1)
        self._early: list[ChangeLine] | None = []  # None once the log is shown
        self.log_reads = 0  # logs read and shown (tests)
        self._closed = False
        after_first_paint(window, self._load_log)  # the dock starts hidden: no hurry

    # --- the notification thread ----------------------------------------------------------

    def start(self) -> None:
        from recepcja.services.gateway_factory import gateway_from_context
        from recepcja.sync.notification_worker import NotificationWorker

        ctx = self.ctx
        from recepcja.services.database import shares_practice_database

        ownership = getattr(getattr(getattr(self.window, "bridge", None), "engine", None),
                            "ownership", None)
        # On a practice database only the practice's CeR client listens: not without an engine.
        if ctx.settings.receiver.enabled and (ownership is not None
                                              or not shares_practice_database(ctx)):
            from recepcja.sync.owner_receiver import OwnerReceiver
            from recepcja.sync.receiver import NotificationReceiver

            try:
                receiver = NotificationReceiver.from_context(ctx, on_stored=self._wake)
            except Exception:  # no secret: pull by cursor instead
                log.exception("the notification receiver cannot run; pulling instead")
            else:
                self.receiver = OwnerReceiver(receiver, ownership=ownership,
                                              on_failed=self._pull_instead)
        self.pulling = self.receiver is None  # the receiver brings the news: no pulling
        self.worker = NotificationWorker(
            ctx.repositories,
            lambda: gateway_from_context(ctx),
            pull=self.pulling,
            pull_seconds=TRAINING_PULL_SECONDS if ctx.training else PULL_SECONDS,
            reconcile_seconds=RECONCILE_SECONDS,
            reconcile_options=self._reconcile_options(),
            on_report=lambda report: emit(self.report_ready, report),
            listeners=[lambda changes: emit(self.changes_arrived, list(changes))],
            may_work=getattr(getattr(self.window, "bridge", None), "owns_practice", None),
        )
        self.worker.start()
        if self.receiver is not None:
            self.receiver.start()

    def _pull_instead(self) -> None:
        """The receiver could not start (its port taken): pull by cursor instead."""
        self.pulling = True
        worker = self.worker
        if worker is not None:
            worker.set_pull(True)

    def start_safely(self) -> None:
        if getattr(self.window, "closed", False):
            return
        try:
            self.start()
        except Exception:  # the desk works without CeR's news
            log.exception("the notification thread did not start")

    def _wake(self) -> None:
        worker = self.worker
        if worker is not None:
            worker.wake()

    def close(self) -> None:
        self.blockSignals(True)
        if self.receiver is not None:
            try:
                self.receiver.close()
            except Exception:  # shutting down: log, never block the exit
                log.exception("stopping the notification receiver failed")
            self.receiver = None
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        self._reader.shutdown()  # a log still to be read is not wanted any more
        self._closed = True
        self.toast.dismiss()

    # --- on the UI thread -------------------------------------------------------------------

    def _load_log(self) -> None:
        """Read the log of changes off the UI thread (the desk's copy while the practice
        server is away, as the window shows) and show it when it comes."""
        if self._closed or getattr(self.window, "closed", False):
            return
        ctx = self.ctx

        def read() -> list[ChangeLine]:
            from recepcja.sync.notifications import change_log

            with Repositories.over(ctx.open_desk_db()) as repos:
                return change_lines(repos, change_log(repos))

        self._reader.run(read, on_success=self._show_log, on_failure=self._log_failed)

    def _show_log(self, lines: list[ChangeLine]) -> None:
        if getattr(self.window, "closed", False):
            return
        first = self._early is not None
        early, self._early = self._early or [], None
        self.dock.set_log(lines)
        self.dock.add_lines([line for line in early if line not in lines])  # came meanwhile
        self.log_reads += 1
        if first:
            self.window.start_work_done()  # its module and objects: frozen too

    def _log_failed(self, error: BaseException) -> None:
        """An empty log is better than an error at start (the new changes still come)."""
        self._early = None
        log.error("reading the log of changes failed: %s", error, exc_info=error)

    def _on_changes(self, changes: list[Any]) -> None:
        if getattr(self.window, "closed", False) or not changes:
            return
        lines = change_lines(self.window.repos, changes)
        if self._early is not None:
            self._early.extend(lines)  # shown again after the log, should it miss them
        self.dock.add_lines(lines)
        for line in lines:
            self.toast.show_message(line.message)
        if any(c.needs_the_desk for c in changes):
            self.dock.show()  # e.g. a portal booking on an absent doctor's day: kept in view
        if any(c.changed_schedule for c in changes):
            self.window.reload()

    def _on_report(self, report: Any) -> None:
        if getattr(self.window, "closed", False):
            return
        self.last_report = report
        self.dock.show_report(report_lines(report))
        if report.incidents or report.open_items:
            self.dock.show()
        self.window.reload()

    def _show_term(self, line: Any) -> None:
        from recepcja.gui.term_jump import show_term

        if line.slot_id is None or line.day is None:
            self.window.status.showMessage(
                _("This change is not about a term of this practice's schedules."), 8000)
            return
        show_term(self.window, line.slot_id, line.day)

    # --- reconciliation on demand ---------------------------------------------------------

    def _reconcile_options(self) -> dict[str, Any]:
        from recepcja.sync.reconcile import DEFAULT_HORIZON_DAYS

        publishing = self.ctx.settings.publishing
        return {
            "horizon_days": max(DEFAULT_HORIZON_DAYS,
                                publishing.horizon_months * 31 + publishing.margin_days),
            "incident_folder": self.ctx.paths.exports / "incidents",
        }

    def reconcile(self) -> None:
        if self._reconciling:
            return
        self._reconciling = True
        self.dock.show()
        self.dock.show_report([_("Reconciling with CeR…")])
        self.window.runner.run(self._reconcile_call, on_success=self._reconciled,
                               on_failure=self._reconcile_failed,
                               label=_("Reconciling with CeR…"))

    def _reconcile_call(self) -> Any:
        from recepcja.services.gateway_factory import gateway_from_context
        from recepcja.sync.reconcile import reconcile

        ctx = self.ctx
        with ctx.repositories() as repos, gateway_from_context(ctx) as gateway:
            provider = repos.practice.provider()
            return reconcile(repos, gateway, provider=provider.name if provider else "",
                             make_gateway=lambda: gateway_from_context(ctx),
                             **self._reconcile_options())

    def _reconciled(self, report: Any) -> None:
        self._reconciling = False
        if getattr(self.window, "closed", False):
            return
        self._on_report(report)
        self.dock.show()

    def _reconcile_failed(self, error: BaseException) -> None:
        self._reconciling = False
        log.info("reconciliation failed: %s", type(error).__name__)
        from recepcja.i18n import error_text

        self.dock.show_report([_("The reconciliation with CeR failed: {error}").format(
            error=error_text(error))])


def install(window: MainWindow) -> SyncPanel:
    panel = SyncPanel(window)
    if sync_started(window):
        after_first_paint(window, panel.start_safely)  # like the sync engine: after the day
    return panel
