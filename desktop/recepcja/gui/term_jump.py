"""Show one term in the day view: from the patient card, from the log of changes from CeR."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from recepcja.gui.schedule_view import DAY_TAB
from recepcja.i18n import _

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


def show_term(window: MainWindow, slot_id: int | None, day: dt.date) -> None:
    """Go to ``day`` in the day view and select the term; when the filters hide its schedule,
    show every schedule first. A word in the status bar if it is not there. The day is read
    off the UI thread: the term is selected once it is shown."""
    view = window.schedule_view
    view.setCurrentIndex(DAY_TAB)
    window.go_to(day)
    view.day_table.setFocus()

    def finish(found: bool) -> None:
        if not found:
            window.status.showMessage(_("This term is no longer in the schedule."), 8000)

    def shown() -> None:
        found = slot_id is not None and view.select_slot(slot_id)
        if not found and slot_id is not None and any(window.filters.values()):
            window.filters.show_all()  # reloads with every schedule
            window.views.when_shown(lambda: finish(view.select_slot(slot_id)))
            return
        finish(found)

    window.views.when_shown(shown)
