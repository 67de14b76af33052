"""The emergency queue in the window (issue 6): a "Kolejka awaryjna" menu with the queue dock,
export to / import from Excel, the "call the patient" list and the receptionist's own emergency
switch. Also offers the first-start choice (issue 8) when no practice is configured.

``install(window)`` returns the panel; ``close()`` stops its timer. File work runs in
``window.runner``; the switch goes through the sync engine when there is one (so it wakes) and
otherwise straight to the connectivity monitor, which persists it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from recepcja.gui.connection import Connection
from recepcja.gui.first_paint import after_first_paint
from recepcja.gui.queue_dock import QueueDock, entry_cells
from recepcja.gui.workers import BackgroundRunner
from recepcja.i18n import _, ngettext
from recepcja.store.repos import Repositories
from recepcja.sync.terms import manual_emergency

if TYPE_CHECKING:  # the Excel, call-list and connectivity code loads at first use
    from recepcja.gui.call_list_dialog import CallListDialog
    from recepcja.gui.main_window import MainWindow
    from recepcja.services.emergency import ImportReport
    from recepcja.sync.monitor import ConnectivityMonitor

log = logging.getLogger("recepcja.gui.queue")

REFRESH_MS = 15000
EMERGENCY_SHORTCUT = "Ctrl+Shift+E"
ENV_SMOKE = "RECEPCJA_SMOKE_TEST"


class QueuePanel(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dock = QueueDock(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.call_dialog: CallListDialog | None = None
        self.first_start: Any = None
        self.last_report: ImportReport | None = None
        self.closed = False
        self._waiting = False  # whether the last refresh found work for the desk
        self._filled = False  # the queue's first rows are in
        self._shown_by_itself = False  # the dock appeared on its own (not the desk's choice)
        # The automatic refreshes read the queue on a thread of their own (the UI thread runs
        # no query of hundreds of rows after every piece of work): one read at a time.
        self._reader = BackgroundRunner(self, workers=1)
        self._reading = False
        self._again = False
        self.dock.hide()  # an empty queue is clutter on a normal day
        menu = window.menuBar().addMenu(_("Emergency &queue"))
        self.menu = menu
        menu.addAction(self.dock.toggleViewAction())
        self.export_action = menu.addAction(_("&Export the queue to Excel…"))
        self.export_action.triggered.connect(lambda *_args: self.export())
        self.import_action = menu.addAction(_("&Import the queue from Excel…"))
        self.import_action.triggered.connect(lambda *_args: self.import_file())
        self.call_action = menu.addAction(_("Patients to &notify"))
        self.call_action.triggered.connect(lambda *_args: self.show_call_list())
        menu.addSeparator()
        self.emergency_action = QAction(_("Emergency mode (&manual)"), window)
        self.emergency_action.setCheckable(True)
        self.emergency_action.setShortcut(QKeySequence(EMERGENCY_SHORTCUT))
        self.emergency_action.setToolTip(
            _("Emergency mode (&manual)").replace("&", "") + f" ({EMERGENCY_SHORTCUT})")
        self.emergency_action.setChecked(manual_emergency(window.repos))
        self.emergency_action.toggled.connect(self.set_manual_emergency)
        menu.addAction(self.emergency_action)
        window.addAction(self.emergency_action)  # the shortcut works with the menu closed
        if self.emergency_action.isChecked():
            window.bridge.set_manual_emergency(True)
            self.dock.show()
        window.bridge.queue_changed.connect(lambda _count: self.refresh_soon())
        window.bridge.pass_done.connect(lambda _batch: self.refresh_soon())
        window.runner.finished.connect(self.refresh_soon)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh_soon)
        self.timer.start(REFRESH_MS)
        if window.repos.outbox.has_queued_bookings():
            self.dock.show()  # in the first paint already: no jump when its rows arrive
        # Reading the queue (and sizing the dock to it) waits until the day is on the screen.
        after_first_paint(window, self.refresh_soon)

    # -- the queue -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the queue now, on this thread (after the desk's own change to it)."""
        if self.closed:  # a queued signal after the window closed its store
            return
        from recepcja.services.emergency import queue_entries

        self._show(queue_entries(self.window.repos))

    def refresh_soon(self) -> None:
        """Read the queue in the background and show it (after any work, on the timer, on the
        sync engine's news); asked again while reading: once more afterwards."""
        if self.closed:
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        ctx = self.window.ctx

        def read() -> tuple[list[Any], list[list[str]]]:
            from recepcja.services.emergency import queue_entries

            # The desk's copy while the practice server is away, as the window shows.
            with Repositories.over(ctx.open_desk_db()) as repos:
                entries = queue_entries(repos)
            return entries, [entry_cells(entry) for entry in entries]  # the texts too

        def shown(read: tuple[list[Any], list[list[str]]]) -> None:
            self._reading = False
            if not self.closed:
                self._show(*read)
            self._read_again()

        def failed(error: BaseException) -> None:
            self._reading = False
            log.warning("reading the emergency queue failed: %s", error)
            self._read_again()

        self._reader.run(read, on_success=shown, on_failure=failed)

    def _read_again(self) -> None:
        if self._again and not self.closed:
            self._again = False
            self.refresh_soon()

    def _show(self, entries: list[Any], cells: list[list[str]] | None = None) -> None:
        self.dock.set_entries(entries, cells)
        if not self._filled:  # the first rows, read after the first paint
            self._filled = True
            self.window.start_work_done()
        urgent = needs_the_desk(entries, self.emergency_action.isChecked()
                                or self.window.connection_state == Connection.OFFLINE)
        if urgent and not self._waiting:
            self.dock.show()  # something waits for CeR: make it impossible to miss
            self._shown_by_itself = True
        elif not urgent and self._shown_by_itself and not entries:
            self.dock.hide()  # it came by itself and its work is done: give the day its room
            self._shown_by_itself = False
        self._waiting = urgent

    def _monitor(self) -> ConnectivityMonitor:
        from recepcja.sync.monitor import ConnectivityMonitor

        return ConnectivityMonitor(self.window.repos)

    def set_manual_emergency(self, on: bool) -> None:
        """The receptionist's switch: persisted, the banner follows, switching off wakes sync."""
        user = self.window.ctx.user
        engine = self.window.bridge.engine
        if engine is not None and hasattr(engine, "set_emergency"):
            engine.set_emergency(on, user)
        else:
            self._monitor().set_manual_emergency(on, user)
        self.window.bridge.set_manual_emergency(on)  # the one writer of the connection state
        if on:
            self.dock.show()
            self.window.status.showMessage(_("Emergency mode switched on by hand."), 5000)
            return
        self.window.status.showMessage(_("Emergency mode switched off."), 5000)
        self.window.bridge.wake()
        if self.window.ctx.settings.effective_cer_url():
            self.window.bridge.probe()

    # -- Excel ---------------------------------------------------------------------------------

    def export(self, path: Path | None = None) -> None:
        """Export the queue: encrypted with the keyring's export password when one is set; an
        existing file only after a yes; without a readable keyring only after a yes too."""
        from recepcja.gui.file_choice import export_password_or_ask, save_target

        title = _("&Export the queue to Excel…").replace("&", "")
        suggested = str(self.window.ctx.paths.export_file(
            "kolejka_awaryjna", ".xlsx", self.window.clock().date()))
        chosen = save_target(self.window, title, suggested,
                             _("Excel workbook (*.xlsx)"), path)
        if chosen is None:
            return
        target, overwrite = chosen
        go_on, password = export_password_or_ask(self.window, title)
        if not go_on:
            return
        ctx = self.window.ctx

        def work() -> int:
            from recepcja.services.emergency import export_queue

            # While the practice server is away: the desk's own queue, from its copy.
            with Repositories.over(ctx.open_desk_db()) as repos:
                return export_queue(repos, target, password=password, overwrite=overwrite)

        self.window.runner.run(
            work, label=_("Exporting the queue…"), error_parent=self.window,
            on_success=lambda count: self.window.status.showMessage(
                ngettext("Queue exported: {count} entry to {path}",
                         "Queue exported: {count} entries to {path}", count).format(
                    count=count, path=target),
                8000))

    def import_file(self, path: Path | None = None, *, show: bool = True) -> None:
        from recepcja.gui.away_panels import QUEUE_IMPORT, refuse_while_away

        if refuse_while_away(self.window, QUEUE_IMPORT):
            return
        if path is None:
            name, _filter = QFileDialog.getOpenFileName(
                self.window, _("&Import the queue from Excel…").replace("&", ""), "",
                _("Excel workbook (*.xlsx)"))
            if not name:
                return
            path = Path(name)
        ctx, user = self.window.ctx, self.window.ctx.user

        def work() -> ImportReport:
            from recepcja.services.emergency import import_queue

            with ctx.repositories() as repos:
                return import_queue(repos, path, user=user)

        def done(report: ImportReport) -> None:
            self.last_report = report
            self.refresh()
            self.window.reload()
            self.window.bridge.wake()
            if show:
                self._show_report(report)

        self.window.runner.run(work, on_success=done, label=_("Importing the queue…"),
                               error_parent=self.window)

    def _show_report(self, report: ImportReport) -> None:
        box = QMessageBox(self.window)
        box.setWindowTitle(_("Queue import"))
        box.setIcon(QMessageBox.Icon.Warning if report.problems else QMessageBox.Icon.Information)
        box.setText(report_text(report))
        if report.problems:
            box.setDetailedText("\n".join(
                _("Row {row}: {reason}").format(row=p.row, reason=p.reason)
                for p in report.problems))
        box.setModal(False)
        box.show()

    # -- call list -----------------------------------------------------------------------------

    def show_call_list(self) -> CallListDialog:
        """The call worklist (replay, absence, tomorrow's reminders); one dialog, raised and
        re-read when asked again."""
        from recepcja.gui.call_list_dialog import CallListDialog
        from recepcja.services.call_worklist import mark_call, worklist

        window = self.window
        if self.call_dialog is not None and self.call_dialog.isVisible():
            self.call_dialog.refresh()
            self.call_dialog.raise_()
            self.call_dialog.activateWindow()
            return self.call_dialog

        def load(include_done: bool) -> list[Any]:
            return worklist(window.repos, window.clock(), include_done=include_done)

        def mark(item: Any, outcome: Any) -> None:
            mark_call(window.repos, item, outcome, window.ctx.user, now=window.clock())

        def printer(html: str, name: str) -> None:
            from recepcja.gui.printing import print_html

            print_html(window, html, Path(name).stem)

        suggested = window.ctx.paths.export_file("do_telefonu", ".xlsx", window.clock().date())
        self.call_dialog = CallListDialog(load, mark, self.export_call_list, window,
                                          printer=printer, suggested=str(suggested))
        self.call_dialog.show()
        return self.call_dialog

    def export_call_list(self, path: Path, overwrite: bool = False) -> None:
        from recepcja.gui.file_choice import export_password_or_ask
        from recepcja.services.call_words import mark_words, reason_words

        go_on, password = export_password_or_ask(self.window, _("Patients to notify"))
        if not go_on:
            return
        ctx, now = self.window.ctx, self.window.clock()
        reasons = {str(k): v for k, v in reason_words().items()}
        marks = {str(k): v for k, v in mark_words().items()}

        def work() -> int:
            from recepcja.services.call_worklist import export_worklist

            with ctx.repositories() as repos:
                return export_worklist(repos, path, now, reasons, marks, password=password,
                                       overwrite=overwrite)

        self.window.runner.run(
            work, label=_("Exporting the list…"), error_parent=self.window,
            on_success=lambda count: self.window.status.showMessage(
                ngettext("List exported: {count} patient to {path}",
                         "List exported: {count} patients to {path}", count).format(
                    count=count, path=path), 8000))

    # -- first start ---------------------------------------------------------------------------

    def offer_first_start_if_needed(self) -> None:
        from recepcja.gui.first_start import needs_first_start

        if self.closed:
            return
        try:
            needed = needs_first_start(self.window.repos, bool(self.window.ctx.training))
        except Exception as error:  # the practice database went away: no set-up to offer now
            log.warning("the first-start check could not read the database: %s", error)
            return
        if needed:
            self.offer_first_start()

    def offer_first_start(self) -> None:
        from recepcja.gui.first_start import FirstStartDialog
        from recepcja.services import day_view
        from recepcja.services.practice_setup import setup_practice

        window = self.window

        def apply(path: Path) -> object:
            return setup_practice(window.repos.db, path, window.ctx.user)

        dialog = FirstStartDialog(apply, parent=window)
        self.first_start = dialog

        def finished(result: int) -> None:
            if result == FirstStartDialog.DialogCode.Accepted:
                window.filters.set_choices(day_view.filter_choices(window.repos))
                window.reload()
                window.refresh_status()
                window.status.showMessage(
                    _("The practice is set up. Its schedules still need to be published in "
                      "CeR (onboarding)."), 15000)
            elif dialog.chose_training:
                window.close()
            elif dialog.chose_by_hand:
                from PySide6.QtGui import QAction

                settings = window.findChild(QAction, "actionPracticeSettings")
                if settings is not None:
                    settings.trigger()

        dialog.finished.connect(finished)
        dialog.open()

    def close(self) -> None:
        self.closed = True
        self.timer.stop()
        self._reader.shutdown()
        if self.call_dialog is not None:
            self.call_dialog.close()
        if self.first_start is not None:
            self.first_start.close()


WAITING_STATES = frozenset({"failed", "ambiguous", "rejected"})


def needs_the_desk(entries: list[Any], emergency: bool) -> bool:
    """Whether the queue must be in view: entries queued while CeR is away (emergency), or
    entries that wait (CeR unreachable for them, an answer to read back, a refusal, a set-up
    problem). An ordinary booking passes through the outbox for a second: no dock for it."""
    if not entries:
        return False
    return emergency or any(e.state in WAITING_STATES or e.waiting_for for e in entries)


def report_text(report: ImportReport) -> str:
    text = _("Imported: {imported}. Already present: {present}. Rows with problems: "
             "{problems}.").format(imported=report.imported, present=report.already_present,
                                   problems=len(report.problems))
    lines = [text] + [_("Row {row}: {reason}").format(row=p.row, reason=p.reason)
                      for p in report.problems[:10]]
    return "\n".join(lines)


def install(window: MainWindow) -> QueuePanel:
    panel = QueuePanel(window)
    if os.environ.get(ENV_SMOKE) != "1":
        after_first_paint(window, panel.offer_first_start_if_needed)
    return panel
