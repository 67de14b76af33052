"""Show one term in the day view: from the patient card, from the log of changes from CeR."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from recepcja.gui.schedule_view import DAY_TAB
from recepcja.i18n import _

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


def show_term(window: MainWindow, slot_id: int | None, day: dt.date) -> bool:
    """Go to ``day`` in the day view and select the term; when the filters hide its schedule,
    show every schedule first. False (and a word in the status bar) if it is not there."""
    view = window.schedule_view
    view.setCurrentIndex(DAY_TAB)
    window.go_to(day)
    found = slot_id is not None and view.select_slot(slot_id)
    if not found and slot_id is not None and any(window.filters.values()):
        window.filters.show_all()
        found = view.select_slot(slot_id)
    if not found:
        window.status.showMessage(_("This term is no longer in the schedule."), 8000)
    view.day_table.setFocus()
    return found
