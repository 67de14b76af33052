"""What the schedule views and today's list show, read from the local database on the UI
thread - and only what is in view.

Moving between days reuses what was read: the week of the shown schedule while the day stays in
that week, today's visits while nothing changed. The day sheet (every chosen schedule) is read
only when the day tab is in view; in the week tab it is read when someone needs it
(``day_rows``). Anything that changes data (a booking, CeR's news, the filters) reloads with
``force``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from recepcja.gui.schedule_view import WEEK_TAB
from recepcja.services import day_view
from recepcja.services.day_view import DayRow, ScheduleInfo

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


class ScheduleLoader:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._week_key: tuple[dt.date, int | None] | None = None  # (monday, schedule id)
        self._day: dt.date | None = None  # the day the day sheet holds
        self._today: list[DayRow] | None = None

    def forget(self) -> None:
        self._week_key = None
        self._day = None
        self._today = None

    def reload(self, force: bool) -> None:
        window = self.window
        now = window.clock()
        day = window.current_day
        window.date_bar.set_date(day, now.date())
        if force:
            self.forget()
        view = window.schedule_view
        if view.currentIndex() == WEEK_TAB:
            self._show_week(day, now)
            view.mark_week_day(day)
        else:
            self.day_rows()
        if self._today is None:
            today = now.date()
            self._today = day_view.day_rows(window.repos, window.schedules, today, now) \
                if self._day != today else view.day_model.rows()
            window.today.set_rows(day_view.booked_rows(self._today))

    def day_rows(self) -> list[DayRow]:
        """The day sheet of the shown day, read now if it is not read yet."""
        window = self.window
        view = window.schedule_view
        if self._day != window.current_day:
            now = window.clock()
            rows = day_view.day_rows(window.repos, window.schedules, window.current_day, now)
            view.show_day(rows)
            self._day = window.current_day
        return view.day_model.rows()

    def week_info(self) -> ScheduleInfo | None:
        chosen = self.window.schedule_view.week_schedule_id()
        return next((info for info in self.window.schedules if info.id == chosen), None)

    def _show_week(self, day: dt.date, now: dt.datetime) -> None:
        info = self.week_info()
        monday = day - dt.timedelta(days=day.weekday())
        key = (monday, info.id if info is not None else None)
        if key == self._week_key:
            return
        week: dict[dt.date, list[DayRow]] = {monday + dt.timedelta(days=i): [] for i in range(7)}
        if info is not None:
            week = day_view.schedule_week(self.window.repos, info, monday, now)
        self.window.schedule_view.show_week(week, info)
        self._week_key = key
