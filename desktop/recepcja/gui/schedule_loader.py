"""What the schedule views, today's list and the status bar show, read from the local database
off the UI thread - and only what is in view.

The day sheet of every chosen schedule (hundreds of terms on a busy day: tens of milliseconds
on a loaded PC), the week of the week view's schedule and the status bar's numbers are read on
a reader thread of its own, over its own connection, as the queue dock's refresh is
(``gui/queue_panel.py``); the UI thread shows the result. One read at a time:
asked again while reading, the newest request runs afterwards, and a result that is no longer
the newest (an older day finishing after the desk moved on, data changed meanwhile) is dropped.
While a read takes longer than ``LOADING_DELAY_MS`` the date bar says "wczytywanie…".

Moving between days reuses what was read: the week of the shown schedule while the day stays in
that week, today's visits while nothing changed; every read brings the status numbers along.
The day sheet is read only when the day tab is in view; in the week tab it is read when
someone needs it (``day_rows``, on the UI thread: a printout of the day). Anything that
changes data (a booking, CeR's news, the filters) reloads with ``force``.
``when_shown(callback)`` runs a callback once the view shows what was asked for (selecting a
term after moving to its day).

At the app's start (``hold=True``) the first read waits for the window's first paint: the
desk is painted sooner without the reader thread taking turns at the interpreter meanwhile,
and the day follows a moment later (the newest request asked meanwhile is the one read).

While nothing is read and the week tab is shown, the reader reads the next two weeks in the
direction the desk moves ahead (``gui/weeks_ahead.py``), where the week shown last is kept too:
entering any of them shows it at once, without a read.
``forget`` (every change of data) drops them, and a week read ahead of a change is never shown.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from recepcja.gui.first_paint import after_first_paint
from recepcja.gui.schedule_view import WEEK_TAB
from recepcja.gui.week_model import WeekGrid
from recepcja.gui.weeks_ahead import WeekKey, WeeksAhead
from recepcja.gui.workers import BackgroundRunner
from recepcja.services import day_view
from recepcja.services.day_view import DayRow, ScheduleInfo, StatusNumbers
from recepcja.store.repos import Repositories

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow
    from recepcja.gui.term_style import TermLook
    from recepcja.services.context import AppContext

log = logging.getLogger("recepcja.gui.schedule")

LOADING_DELAY_MS = 150  # a read this fast shows no "loading" word (no flicker)


@dataclass(frozen=True, slots=True)
class SheetRequest:
    """One read: the day sheet of ``day`` (when ``day_needed``), today's visits (when
    ``today_needed``) of ``schedules`` as they were when asked, the week of ``week``'s
    (monday, schedule) and the status numbers; ``ticket`` orders requests; ``generation``:
    the data's when asked (a week read ahead under it serves instead of a query)."""

    ticket: int
    day: dt.date
    schedules: tuple[ScheduleInfo, ...]
    now: dt.datetime
    day_needed: bool = False
    today_needed: bool = False
    week: tuple[dt.date, ScheduleInfo] | None = None
    generation: int = 0

    @property
    def asked(self) -> bool:
        """Something the desk is waiting to see (not only the status bar's numbers)."""
        return self.day_needed or self.today_needed or self.week is not None


@dataclass(frozen=True, slots=True)
class Sheets:
    day: list[DayRow] | None
    today: list[DayRow] | None
    week: WeekGrid | None  # made ready for the week model
    status: StatusNumbers


class ReaderConnection:
    """The reader thread's connection, kept between reads (a practice database on PostgreSQL
    would otherwise be connected to every few seconds) and opened again when the desk
    switches between the practice database and its copy, or after a failed read. Used only
    on the reader's one thread."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._repos: Repositories | None = None
        self._away: bool | None = None

    def repos(self) -> Repositories:
        absence = self.ctx.server_absence
        away = absence.away if absence is not None else None
        if self._repos is None or away != self._away:
            self.close()
            self._repos = Repositories.over(self.ctx.open_desk_db())
            self._away = away
        return self._repos

    def close(self) -> None:
        repos, self._repos = self._repos, None
        if repos is not None:
            try:
                repos.close()
            except Exception:  # a connection the server dropped: nothing left to close
                log.debug("closing the views' reader connection failed", exc_info=True)


def read_sheets(connection: ReaderConnection, request: SheetRequest, look: TermLook,
                ahead: WeeksAhead | None = None) -> Sheets:
    """The reader thread's work over its own connection (the desk's copy while the practice
    server is away, as the window shows); the week's cells made with the week view's
    ``look`` (or taken from ``ahead``, read there under the request's generation). A failed
    read closes the connection (the next read opens a new one)."""
    try:
        return _read(connection.repos(), request, look, ahead)
    except BaseException:
        connection.close()
        raise


def read_week_ahead(connection: ReaderConnection, ahead: WeeksAhead, *, key: WeekKey,
                    info: ScheduleInfo, generation: int, now: dt.datetime,
                    look: TermLook) -> bool:
    """The reader thread reads the week ``key`` ahead of the desk and keeps it in ``ahead``
    (refused there when the data changed since it was asked)."""
    try:
        grid = WeekGrid(look, day_view.schedule_week(connection.repos(), info, key[0], now))
    except BaseException:
        connection.close()
        raise
    return ahead.put(key, generation, now, grid)


def _read(repos: Repositories, request: SheetRequest, look: TermLook,
          ahead: WeeksAhead | None) -> Sheets:
    rows = None
    if request.day_needed:
        rows = day_view.day_rows(repos, request.schedules, request.day, request.now)
    today = None
    if request.today_needed:
        today_date = request.now.date()
        today = rows if rows is not None and request.day == today_date else \
            day_view.day_rows(repos, request.schedules, today_date, request.now)
    week = None
    if request.week is not None:
        monday, info = request.week
        week = ahead.get((monday, info.id), request.generation, request.now) \
            if ahead is not None else None
        if week is None:
            week = WeekGrid(look, day_view.schedule_week(repos, info, monday, request.now))
    return Sheets(rows, today, week, day_view.status_numbers(repos))


class ScheduleLoader:
    def __init__(self, window: MainWindow, *, hold: bool = False) -> None:
        """``hold``: no read starts before the window's first paint (the app's start)."""
        self.window = window
        self._week_key: tuple[dt.date, int | None] | None = None  # (monday, schedule id)
        self._day: dt.date | None = None  # the day the day sheet holds
        self._today: list[DayRow] | None = None
        self._reader = BackgroundRunner(window, workers=1)
        self._connection = ReaderConnection(window.ctx)  # used on the reader's thread only
        self._ticket = 0  # the newest request's; any reload makes older results stale
        self._reading: SheetRequest | None = None
        self._next: SheetRequest | None = None  # asked while reading: runs afterwards
        self._callbacks: list[Callable[[], object]] = []
        self.dropped = 0  # stale results thrown away (for tests and curiosity)
        self.ahead = WeeksAhead()  # the neighbouring weeks, read while nothing else is
        self._reading_ahead: WeekKey | None = None
        self._forward = True  # the desk's last move between days: forward (or back)
        self._last_day: dt.date | None = None
        self._ahead_timer = QTimer(window)
        self._ahead_timer.setSingleShot(True)
        self._ahead_timer.setInterval(0)  # the turn after the views settled
        self._ahead_timer.timeout.connect(self._read_ahead)
        self._loading = QTimer(window)
        self._loading.setSingleShot(True)
        self._loading.timeout.connect(lambda: window.date_bar.set_loading(True))
        self._held = hold
        if hold:
            after_first_paint(window, self._release)

    # --- state ----------------------------------------------------------------------------

    @property
    def settled(self) -> bool:
        """Nothing is being read: the views show what was asked for."""
        return self._reading is None and self._next is None

    def when_shown(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the UI thread once the views show what was asked last (now, if
        nothing is being read)."""
        if self.settled:
            callback()
        else:
            self._callbacks.append(callback)

    def forget(self) -> None:
        """The data changed: nothing read is reused, no week read ahead is shown."""
        self.ahead.drop()
        self._week_key = None
        self._day = None
        self._today = None

    def close(self) -> None:
        """The window closes: no more reads; a running one is waited for (its connection)."""
        self._ticket += 1
        self._next = None
        self._callbacks.clear()
        self._loading.stop()
        self._ahead_timer.stop()
        self._reader.run(self._connection.close)  # on its thread, after any running read
        self._reader.wait(5000)
        self._reader.shutdown()

    # --- reloading ------------------------------------------------------------------------

    def reload(self, force: bool) -> None:
        window = self.window
        now = window.clock()
        day = window.current_day
        window.date_bar.set_date(day, now.date())
        if self._last_day is not None and day != self._last_day:
            self._forward = day > self._last_day
        self._last_day = day
        self._ticket += 1  # whatever is being read was asked before this
        if force:
            self.forget()
        view = window.schedule_view
        day_needed = False
        week = None
        if view.currentIndex() == WEEK_TAB:
            week = self._week_wanted(day)
            if week is not None and self._show_ahead(week, now):
                week = None
            view.mark_week_day(day)
        else:
            day_needed = self._day != day
        today_needed = self._today is None
        if day_needed or today_needed or week is not None or force:
            self._ask(SheetRequest(self._ticket, day, tuple(window.schedules), now,
                                   day_needed, today_needed, week, self.ahead.generation))
        else:
            self._next = None  # an older request that waited is not wanted any more
            self._settle()

    def refresh_status(self) -> None:
        """The status bar's numbers, read with the next read (now, when nothing is read)."""
        if self._reading is None and self._next is None:
            window = self.window
            self._start(SheetRequest(self._ticket, window.current_day,
                                     tuple(window.schedules), window.clock()))

    def day_rows(self) -> list[DayRow]:
        """The day sheet of the shown day, read now if it is not read yet (a printout of the
        day in the week tab: on this thread, once)."""
        window = self.window
        view = window.schedule_view
        if self._day != window.current_day:
            rows = day_view.day_rows(window.repos, window.schedules, window.current_day,
                                     window.clock())
            view.show_day(rows)
            self._day = window.current_day
        return view.day_model.rows()

    def _ask(self, request: SheetRequest) -> None:
        if self._reading is not None:
            self._next = request
            return
        self._start(request)

    def _start(self, request: SheetRequest) -> None:
        if self._held:  # before the first paint: the newest request waits for it
            if self._next is None or request.asked or not self._next.asked:
                self._next = request  # (a request of the views also reads the numbers)
            return
        self._reading = request
        if request.asked and not self._loading.isActive():
            self._loading.start(LOADING_DELAY_MS)
        connection, look = self._connection, self.window.schedule_view.week_model.look
        ahead = self.ahead
        self._reader.run(lambda: read_sheets(connection, request, look, ahead),
                         on_success=lambda sheets: self._arrived(request, sheets),
                         on_failure=lambda error: self._failed(request, error))

    def _arrived(self, request: SheetRequest, sheets: Sheets) -> None:
        self._reading = None
        if self.window.closed:
            return
        if request.ticket == self._ticket:
            self._show(request, sheets)
        else:
            self.dropped += 1
        self._go_on()

    def _failed(self, request: SheetRequest, error: BaseException) -> None:
        self._reading = None
        if self.window.closed:
            return
        log.warning("reading the views failed: %s", type(error).__name__)
        if request.asked and request.ticket == self._ticket and self._next is None:
            # What the desk asked for (not the status bar's numbers every 3 s): told once.
            from recepcja.gui.errors import show_error

            show_error(self.window, error)
        self._go_on()

    def _release(self) -> None:
        """The window has been painted: the read asked meanwhile starts."""
        self._held = False
        if not self.window.closed and self._reading is None:
            self._go_on()

    def _go_on(self) -> None:
        request, self._next = self._next, None
        if request is not None:
            self._start(request)
        else:
            self._settle()

    def _settle(self) -> None:
        if self._reading is not None:
            return
        self._loading.stop()
        self.window.date_bar.set_loading(False)
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()
        if self.window.schedule_view.currentIndex() == WEEK_TAB:
            self._ahead_timer.start()

    def _show(self, request: SheetRequest, sheets: Sheets) -> None:
        window = self.window
        if sheets.day is not None:
            window.schedule_view.show_day(sheets.day)
            self._day = request.day
        if sheets.today is not None:
            self._today = sheets.today
            window.today.set_rows(day_view.booked_rows(sheets.today))
        if request.week is not None and sheets.week is not None:
            monday, info = request.week
            window.schedule_view.show_week(sheets.week, info)
            self._week_key = (monday, info.id)
            # Kept with the weeks read ahead: coming back to it shows it at once too.
            self.ahead.put((monday, info.id), request.generation, request.now, sheets.week)
        window.show_status(sheets.status)
        window._update_actions()

    # --- the week -------------------------------------------------------------------------

    def week_info(self) -> ScheduleInfo | None:
        chosen = self.window.schedule_view.week_schedule_id()
        return next((info for info in self.window.schedules if info.id == chosen), None)

    def _week_wanted(self, day: dt.date) -> tuple[dt.date, ScheduleInfo] | None:
        """The (monday, schedule) whose week must be read for ``day``; None when the view
        shows it already (or there is no schedule: an empty week, shown now)."""
        info = self.week_info()
        monday = day - dt.timedelta(days=day.weekday())
        key = (monday, info.id if info is not None else None)
        if key == self._week_key:
            return None
        if info is None:
            self.window.schedule_view.show_week(
                {monday + dt.timedelta(days=i): [] for i in range(7)}, None)
            self._week_key = key
            return None
        return monday, info

    # --- the weeks ahead ------------------------------------------------------------------

    def _show_ahead(self, week: tuple[dt.date, ScheduleInfo], now: dt.datetime) -> bool:
        """Show the wanted week now if it was read ahead (and is still true)."""
        monday, info = week
        grid = self.ahead.get((monday, info.id), self.ahead.generation, now)
        if grid is None:
            return False
        self.window.schedule_view.show_week(grid, info)
        self._week_key = (monday, info.id)
        return True

    def _read_ahead(self) -> None:
        """While nothing else is read: the next two weeks in the direction the desk moves
        (after the shown one; before it after a move back), each read once (again after a
        change of data) - two, so that one is ready even when the desk runs through a week
        faster than the reader, which takes turns at the interpreter with the UI thread,
        reads the next. Not the week behind: its read held up the one ahead, and it is
        mostly the week the desk came from, kept when it was shown."""
        window = self.window
        if window.closed or self._held or self._reading_ahead is not None or not self.settled \
                or window.schedule_view.currentIndex() != WEEK_TAB:
            return
        info = self.week_info()
        if info is None:
            return
        monday = window.current_day - dt.timedelta(days=window.current_day.weekday())
        step = dt.timedelta(days=7 if self._forward else -7)
        wanted = [(monday + step, info.id), (monday + 2 * step, info.id)]
        self.ahead.keep({*wanted, (monday, info.id), (monday - step, info.id)})
        now, generation = window.clock(), self.ahead.generation
        key = next((key for key in wanted if self.ahead.get(key, generation, now) is None), None)
        if key is None:
            return
        self._reading_ahead = key
        connection, look, ahead = self._connection, window.schedule_view.week_model.look, self.ahead
        self._reader.run(
            lambda: read_week_ahead(connection, ahead, key=key, info=info,
                                    generation=generation, now=now, look=look),
            on_success=lambda _kept: self._read_ahead_done(),
            on_failure=self._read_ahead_failed)

    def _read_ahead_done(self) -> None:
        self._reading_ahead = None
        if not self.window.closed:
            self._ahead_timer.start()  # the other neighbour

    def _read_ahead_failed(self, error: BaseException) -> None:
        """Nobody asked for it: logged, tried again once the views settle next."""
        self._reading_ahead = None
        log.info("reading a week ahead failed: %s", type(error).__name__)
