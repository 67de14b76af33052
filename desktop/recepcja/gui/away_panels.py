"""What the window's panels do while the practice server is away (``services/server_absence.py``).

The desk keeps booking on its copy; the panels decide what a receptionist expects:

- **the patient card** reads from the desk's copy and says so - when the copy was taken, and
  that it holds the visits of the copied weeks only (``card_source``);
- **the change log** ("Changes from CeR") reads from the copy too (the latest applied changes
  are copied with it), so the window's connection serves it as it is;
- **the practice settings, joining CeR (onboarding) and the queue import** write to the
  practice database, which only the server holds: they are refused at once in one clear Polish
  message that says nothing was changed or lost and when to try again (``refuse_while_away``);
  the settings dialog, if it is open when the server goes, refuses its save the same way and
  keeps every edit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from recepcja.i18n import N_, _

SETTINGS = "settings"
ONBOARDING = "onboarding"
QUEUE_IMPORT = "queue_import"

_REFUSALS = {
    SETTINGS: N_(
        "The practice settings are kept in the practice database, and the practice server is "
        "not answering. Nothing was changed and nothing is lost: open the settings again when "
        "the server is back (the blue bar at the top of the window is gone)."),
    ONBOARDING: N_(
        "Joining CeR writes to the practice database, and the practice server is not "
        "answering. Nothing was sent and nothing is lost: try again when the server is back "
        "(the blue bar at the top of the window is gone)."),
    QUEUE_IMPORT: N_(
        "Importing a queue writes to the practice database, and the practice server is not "
        "answering. The file was not read and nothing is lost: import it when the server is "
        "back (the blue bar at the top of the window is gone)."),
}


def server_away(window: Any) -> bool:
    absence = getattr(window.ctx, "server_absence", None)
    return absence is not None and bool(absence.away)


def refusal(panel: str) -> str:
    return _(_REFUSALS[panel])


def refuse_while_away(window: Any, panel: str) -> bool:
    """True - after telling the desk why, in a message box - when ``panel`` needs the practice
    server and it is away."""
    if not server_away(window):
        return False
    from recepcja.gui.errors import show_message

    show_message(window, refusal(panel), icon=QMessageBox.Icon.Information,
                 name="needsPracticeServer")
    return True


def settings_database(window: Any) -> Any:
    """The settings dialog's database: the window's, refused while the server is away (a
    save on the desk's copy would be lost at its next refresh)."""
    from recepcja.services.server_absence import PracticeServerAway

    if server_away(window):
        raise PracticeServerAway(_REFUSALS[SETTINGS])
    return window.repos.db


def card_source(window: Any) -> str | None:
    """The patient card's line on where its data comes from while the server is away, or
    None when it comes from the practice database."""
    import datetime as dt

    from recepcja.domain.model import WARSAW

    if not server_away(window):
        return None
    absence = window.ctx.server_absence
    copy = absence.state.copy
    if copy.refreshed_at is None:
        return _("The practice server is not answering and this desk has no copy yet.")
    now = absence.clock()
    minutes = int(((copy.age(now) or dt.timedelta(0)).total_seconds()) // 60)
    first = copy.first_day.strftime("%d.%m.%Y") if copy.first_day else "—"
    return _("From this desk's copy, taken {time} ({minutes} min ago): the practice server is "
             "not answering. Visits before {day} and the calls are not in the copy.").format(
        time=copy.refreshed_at.astimezone(WARSAW).strftime("%H:%M"), minutes=minutes,
        day=first)


def add_source_line(dialog: QWidget, text: str | None) -> None:
    """The card's source line, at the top of the card, when it comes from the copy."""
    if text is None:
        return
    from PySide6.QtWidgets import QLabel

    label = QLabel("⚠ " + text, dialog)
    label.setObjectName("cardFromCopy")
    label.setWordWrap(True)
    label.setStyleSheet("background: #1f3a93; color: white; font-weight: bold; padding: 4px;")
    layout = dialog.layout()
    if layout is not None:
        layout.insertWidget(0, label)  # type: ignore[attr-defined]
