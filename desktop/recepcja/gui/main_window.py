"""The receptionist's window: schedules (day / week), patients, today's visits, CeR status.

The window composes widgets and routes actions; it holds no business rules. Small reads of the
local database run on the UI thread over the window's own connection (local, indexed,
milliseconds); the day sheet and the booking dialog's free terms are read off it;
every change goes through ``DeskActions`` in the background runner, and the views refresh from
the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMainWindow, QSplitter, QVBoxLayout, QWidget

from recepcja.domain.errors import DomainError
from recepcja.domain.model import WARSAW, Attendance
from recepcja.domain.scopes import ScopeRegistry
from recepcja.gui.actions import MainActions
from recepcja.gui.booking_flow import BookingFlow
from recepcja.gui.connection import Connection
from recepcja.gui.date_bar import DateBar
from recepcja.gui.desk_actions import DeskActions
from recepcja.gui.desk_handlers import DeskHandlers
from recepcja.gui.emergency_banner import EmergencyBanner
from recepcja.gui.extensions import install_extensions
from recepcja.gui.filter_bar import FilterBar
from recepcja.gui.first_paint import after_first_paint, freeze_start_objects
from recepcja.gui.patients_panel import PatientsPanel
from recepcja.gui.schedule_loader import ScheduleLoader
from recepcja.gui.schedule_view import DAY_TAB, WEEK_TAB, ScheduleView
from recepcja.gui.status_bar import CerStatusBar
from recepcja.gui.sync_bridge import SyncBridge
from recepcja.gui.today_panel import TodayPanel
from recepcja.gui.window_geometry import WindowGeometry
from recepcja.gui.workers import BackgroundRunner
from recepcja.i18n import _
from recepcja.services import day_view
from recepcja.services.context import AppContext
from recepcja.services.day_view import DayRow, ScheduleInfo
from recepcja.store.repos import Repositories

if TYPE_CHECKING:  # the dialogs load when first opened, not at start
    from PySide6.QtGui import QCloseEvent  # a Qt class imported costs its type and enums
    from PySide6.QtWidgets import QDialog

    from recepcja.domain.entities import Patient
    from recepcja.gui.booking_dialog import BookingRequest
    from recepcja.services.training import TrainingSession

Clock = Callable[[], dt.datetime]
STATUS_REFRESH_MS = 3000


class MainWindow(QMainWindow):
    def __init__(
        self,
        ctx: AppContext,
        *,
        clock: Clock | None = None,
        training: TrainingSession | None = None,
        icon: QIcon | None = None,
        start_sync: bool = True,
        panels_after_paint: bool = False,
    ) -> None:
        """``panels_after_paint``: the app's start (``gui/app.py``) installs the panels of
        ``gui/extensions.py`` - their docks, menus and background work - and starts the first
        read of the views in the turn after the window's first paint, so the receptionist
        sees the desk sooner; otherwise (tests, tools) the panels are there when the
        constructor returns and the first read runs at once."""
        super().__init__()
        self.ctx = ctx
        self.clock: Clock = clock or (lambda: dt.datetime.now(WARSAW))
        self.training = training
        # The UI thread's own connection (the desk's copy while the practice server is away).
        self.repos = Repositories.over(ctx.open_desk_db())
        self.desk = DeskActions(ctx, self.clock)
        self.scopes = ScopeRegistry.default()
        self.runner = BackgroundRunner(self)
        self.current_day = self.clock().date()
        self.schedules: list[ScheduleInfo] = []
        self.patient: Patient | None = None
        self.last_exchange: dt.datetime | None = None
        self.last_call_list: list[str] = []
        self.connection_state = Connection.UNKNOWN
        self.absence_result: QDialog | None = None  # the last absence's outcome (absence_dialog)
        self.closed = False  # late answers (sync thread, pool) arrive after close: ignore them
        self.setObjectName("mainWindow")
        self.setWindowTitle(self._title())
        if icon is not None:
            self.setWindowIcon(icon)

        self.actions_ = MainActions(self, training=ctx.training)
        self.banner = EmergencyBanner()
        self.date_bar = DateBar()
        self.filters = FilterBar(self._scope_name)
        self.schedule_view = ScheduleView()
        self.patients = PatientsPanel(self._search)
        self.today = TodayPanel()
        self.status = CerStatusBar()
        self.setStatusBar(self.status)
        self.views = ScheduleLoader(self, hold=panels_after_paint)
        self.booking = BookingFlow(self)
        self.handlers = DeskHandlers(self)
        self._layout()

        self.bridge = SyncBridge(ctx, self.runner, self)
        self._connect()
        # At the app's start the schedules the filters select are read in the turn after the
        # first paint, before the views' held first read: their records' module (~20 M
        # instructions of the cold start) is not needed to paint an empty sheet.
        self._schedules_later = panels_after_paint
        self.filters.set_choices(day_view.filter_choices(self.repos))  # loads the views
        if panels_after_paint:
            after_first_paint(self, self._read_schedules_now, first=True)
        self.refresh_status()
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(STATUS_REFRESH_MS)
        if start_sync:
            self.bridge.start()
        else:
            self.set_connection(Connection.UNKNOWN)
        # Size, place and splitters before the window is shown; the docks' places once the
        # panels exist.
        self.placement = WindowGeometry(self)
        self.placement.restore()
        self.extensions: list[Any] = []
        self._app_start = panels_after_paint  # the app's own window (see start_work_done)
        if panels_after_paint:
            after_first_paint(self, self._install_panels)
            # Last, in a turn after the panels' own deferred work (the change log, the queue).
            after_first_paint(self, lambda: QTimer.singleShot(0, self.start_work_done))
        else:
            self._install_panels()

    def start_work_done(self) -> None:
        """A piece of the start's deferred work is done (the panels' turn, the log of changes
        and the queue read after the first paint): what the start made so far is frozen out
        of the garbage collector's sight (``first_paint.freeze_start_objects``) - in the
        app's window only, never in a tool's or a test's."""
        if self._app_start and not self.closed:
            freeze_start_objects()

    def _install_panels(self) -> None:
        if self.closed or self.extensions:
            return
        self.extensions = install_extensions(self)  # gui/extensions.py
        self.placement.restore_docks()

    # --- layout and wiring -----------------------------------------------------------------

    def _title(self) -> str:
        title = _("Recepcja — front desk")
        if self.ctx.training:
            title = _("TRAINING — {title} (simulated CeR, no real data)").format(title=title)
        return title

    def _layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 6, 6)
        left_layout.addWidget(self.date_bar)
        left_layout.addWidget(self.filters)
        left_layout.addWidget(self.booking.readback)
        left_layout.addWidget(self.schedule_view, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setObjectName("rightSplitter")
        right.addWidget(self.patients)
        right.addWidget(self.today)
        right.setContentsMargins(6, 6, 6, 6)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        order = (self.patients.query, self.patients.table, self.schedule_view.day_table,
                 self.today.table, self.patients.add_button, self.patients.edit_button)
        for first, second in zip(order, order[1:], strict=False):  # patient → term → today
            self.setTabOrder(first, second)

    def _connect(self) -> None:
        a = self.actions_
        a.find_patient.triggered.connect(self.patients.focus_search)
        a.new_patient.triggered.connect(self.add_patient)
        a.edit_patient.triggered.connect(lambda: self.edit_patient(self.patients.selected()))
        a.book.triggered.connect(self.book)
        a.next_free.triggered.connect(self.next_free_term)
        a.cancel_visit.triggered.connect(self.cancel_visit)
        a.reschedule.triggered.connect(self.reschedule)
        a.arrived.triggered.connect(lambda: self.set_attendance(Attendance.ARRIVED))
        a.no_show.triggered.connect(lambda: self.set_attendance(Attendance.NO_SHOW))
        a.absence.triggered.connect(self.doctor_absence)
        a.today.triggered.connect(lambda: self.go_to(self.clock().date()))
        a.goto_date.triggered.connect(self.ask_date)
        a.previous_day.triggered.connect(lambda: self.go_to(self.current_day - dt.timedelta(1)))
        a.next_day.triggered.connect(lambda: self.go_to(self.current_day + dt.timedelta(1)))
        a.day_view.triggered.connect(lambda: self.schedule_view.setCurrentIndex(DAY_TAB))
        a.week_view.triggered.connect(lambda: self.schedule_view.setCurrentIndex(WEEK_TAB))
        a.refresh.triggered.connect(lambda: self.reload())  # noqa: PLW0108 - drop `checked`
        a.quit.triggered.connect(self.close)
        a.print_confirmation.triggered.connect(lambda: self.printout("confirmation"))
        a.print_day.triggered.connect(lambda: self.printout("day"))
        a.pdf_confirmation.triggered.connect(lambda: self.printout("confirmation", pdf=True))
        a.pdf_day.triggered.connect(lambda: self.printout("day", pdf=True))
        a.outage_start.triggered.connect(lambda: self.training_outage(True))
        a.outage_end.triggered.connect(lambda: self.training_outage(False))
        self.date_bar.previous.setDefaultAction(a.previous_day)
        self.date_bar.next.setDefaultAction(a.next_day)
        self.date_bar.previous.setText("◀")
        self.date_bar.next.setText("▶")
        self.date_bar.today.clicked.connect(a.today.trigger)
        self.date_bar.goto.clicked.connect(a.goto_date.trigger)
        self.date_bar.today.setToolTip(a.today.toolTip())
        self.date_bar.goto.setToolTip(a.goto_date.toolTip())
        self.filters.changed.connect(self._filters_changed)
        self.schedule_view.row_activated.connect(self._row_activated)
        self.schedule_view.day_picked.connect(self._day_picked)
        self.schedule_view.currentChanged.connect(lambda _i: self.reload(force=False))
        self.schedule_view.week_schedule_changed.connect(lambda: self.reload(force=False))
        self.schedule_view.current_row_changed.connect(lambda _row: self._update_actions())
        self.patients.patient_chosen.connect(self._patient_chosen)
        self.patients.add_requested.connect(self.add_patient)
        self.patients.edit_requested.connect(self.edit_patient)
        self.today.row_chosen.connect(self._today_chosen)
        self.runner.busy_changed.connect(self.status.set_busy)
        self.bridge.connection_changed.connect(lambda v: self.set_connection(Connection.parse(v)))
        self.bridge.queue_changed.connect(self._queue_changed)
        self.bridge.pass_done.connect(lambda _batch: self.reload())  # once per pass
        self.bridge.exchanged.connect(self._exchanged)

    # --- reading ---------------------------------------------------------------------------

    def _scope_name(self, code: str) -> str:
        try:
            return self.scopes.get(code).name_pl
        except DomainError:
            return code

    def _search(self, text: str) -> list[Patient]:
        return self.repos.patients.search(text, 50)

    def _read_schedules_now(self) -> None:
        self._schedules_later = False
        if not self.closed:
            self._filters_changed()

    def _filters_changed(self) -> None:
        if self._schedules_later:
            return  # the app's start: read once the window is painted (_read_schedules_now)
        scope, place, resource = self.filters.values()
        self.schedules = day_view.schedule_infos(
            self.repos, scope_code=scope, place_id=place, resource_id=resource
        )
        self.schedule_view.set_week_schedules(self.schedules)
        self.reload()

    def reload(self, force: bool = True) -> None:
        """Re-read what the views show from the local database (``gui/schedule_loader.py``):
        ``force=False`` (moving between days, tabs) reuses what is still valid."""
        if self.closed:
            return
        self.views.reload(force)
        self._update_actions()

    def refresh_status(self) -> None:
        """The status bar's numbers, read off the UI thread (``gui/schedule_loader.py``)."""
        if self.closed:
            return
        self.views.refresh_status()

    def show_status(self, numbers: day_view.StatusNumbers) -> None:
        self._queue_changed(numbers.pending_changes)
        moment = numbers.last_exchange or self.last_exchange
        if numbers.last_exchange and self.last_exchange:
            moment = max(numbers.last_exchange, self.last_exchange)
        self.status.set_last_exchange(moment)

    def _queue_changed(self, count: int) -> None:
        self.status.set_pending(count)
        self.banner.set_pending(count)

    def _exchanged(self) -> None:
        self.last_exchange = self.clock()
        self.refresh_status()

    def set_connection(self, state: Connection) -> None:
        self.connection_state = state
        self.status.set_connection(state)
        self.banner.setVisible(state == Connection.OFFLINE)

    def go_to(self, day: dt.date) -> None:
        self.current_day = day
        self.reload(force=False)

    def ask_date(self) -> None:
        from recepcja.gui.goto_date_dialog import GotoDateDialog

        dialog = GotoDateDialog(self.current_day, self)
        if self._run_dialog(dialog):
            self.go_to(dialog.chosen())

    def _day_picked(self, day: dt.date) -> None:
        picked = self.schedule_view.current_row()
        self.schedule_view.setCurrentIndex(DAY_TAB)
        self.go_to(day)
        if picked is not None:
            self.views.when_shown(lambda: self.schedule_view.select_slot(picked.entry.slot_id))

    def _update_actions(self) -> None:
        row = self.schedule_view.current_row()
        has_visit = row is not None and row.entry.visit_id is not None
        for action in (self.actions_.cancel_visit, self.actions_.reschedule,
                       self.actions_.arrived, self.actions_.no_show,
                       self.actions_.print_confirmation, self.actions_.pdf_confirmation):
            action.setEnabled(has_visit)

    def _patient_chosen(self, patient: Patient | None) -> None:
        self.patient = patient
        self.actions_.edit_patient.setEnabled(patient is not None)

    def _today_chosen(self, row: DayRow | None) -> None:
        if row is not None:
            self.schedule_view.setCurrentIndex(DAY_TAB)
            self.go_to(row.start.date())
            self.views.when_shown(lambda: self.schedule_view.select_slot(row.entry.slot_id))

    def _row_activated(self, row: DayRow) -> None:
        if row.entry.visit_id is None and row.status.value == "free":
            self.book()

    def _run_dialog(self, dialog: QDialog) -> bool:
        """Run a modal dialog, then dispose of it and give the focus back to the window (a
        hidden dialog left alive would keep being the "active window" for shortcuts)."""
        try:
            return bool(dialog.exec())
        finally:
            dialog.deleteLater()
            self.activateWindow()

    # --- feature handlers (gui/desk_handlers.py, gui/booking_flow.py) -----------------------

    def add_patient(self) -> None:
        self.handlers.add_patient()

    def edit_patient(self, patient: Patient | None) -> None:
        self.handlers.edit_patient(patient)

    # --- visits ----------------------------------------------------------------------------

    def _need_patient(self) -> Patient | None:
        if self.patient is None:
            self.status.showMessage(_("First find and select the patient (Ctrl+F)."), 8000)
            self.patients.focus_search()
        return self.patient

    def book(self) -> None:
        self.booking.book()  # gui/booking_flow.py

    def submit_booking(self, request: BookingRequest) -> None:
        self.booking.submit(request)

    def next_free_term(self) -> None:
        self.handlers.next_free_term()

    def _visit_row(self) -> DayRow | None:
        row = self.schedule_view.current_row()
        if row is None or row.entry.visit_id is None:
            self.status.showMessage(_("Select a booked visit first."), 8000)
            return None
        return row

    def cancel_visit(self) -> None:
        self.handlers.cancel_visit()

    def reschedule(self) -> None:
        self.booking.reschedule()

    def set_attendance(self, attendance: Attendance) -> None:
        self.handlers.set_attendance(attendance)

    def _changed(self, message: str) -> None:
        self.bridge.wake()
        self.reload()
        self.refresh_status()
        if message:
            self.status.showMessage(message, 8000)

    # --- doctor absence ---------------------------------------------------------------------

    def doctor_absence(self) -> None:
        from recepcja.gui.absence_dialog import open_absence

        open_absence(self)

    def printout_html(self, kind: str) -> tuple[str, str] | None:
        return self.handlers.printout_html(kind)

    def printout(self, kind: str, pdf: bool = False, path: Path | None = None) -> Path | None:
        return self.handlers.printout(kind, pdf, path)

    def training_outage(self, start: bool) -> None:
        self.handlers.training_outage(start)

    # --- shutdown --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt API
        if self.closed:
            super().closeEvent(event)
            return
        self.closed = True
        for extension in self.extensions:
            extension.close()
        self.placement.close()  # last: what the panels left open is remembered
        self._status_timer.stop()
        self.bridge.blockSignals(True)
        self.bridge.stop()
        self.views.close()
        self.booking.close()
        self.runner.wait(5000)
        self.runner.shutdown()
        self.repos.close()
        super().closeEvent(event)
