"""The banner of a practice server that is away - distinct from CeR's emergency banner - and the
window's switch to the desk's local copy and back (``services/server_absence.py``).

The practice link's thread reports every change of state; here it arrives on the UI thread
(a signal), the window's own connection is swapped (the copy while away, the practice database
again once the queue is merged) and the views reload, so the day stays on screen and usable. A
day the copy cannot vouch for (not copied, or the copy too old for it) says so on the banner.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from recepcja.gui.signals import emit
from recepcja.i18n import N_, _
from recepcja.services.server_absence import AbsenceState, ServerAbsence, day_warning
from recepcja.store.repos import Repositories

AGE_REFRESH_MS = 15_000

_DAY_WARNINGS = {
    "no_copy": N_("This desk has no copy of the practice's schedule: nothing can be shown."),
    "not_copied": N_("This day is not in this desk's copy: its terms are not shown."),
    "too_old": N_("This desk's copy is too old for this day: terms may have changed since "
                  "{time}."),
}


class ServerBanner(QWidget):
    """Dark blue (CeR's is red): the practice server is away, the desk works on its copy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverBanner")
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "#serverBanner { background: #1f3a93; }"
            " QLabel { color: white; font-size: 15px; font-weight: bold; padding: 4px; }"
        )
        self.label = QLabel()
        self.label.setObjectName("serverBannerText")
        self.label.setWordWrap(True)
        self.day_label = QLabel()
        self.day_label.setObjectName("serverBannerDay")
        self.day_label.setWordWrap(True)
        self.day_label.hide()
        self.export_button = QPushButton(_("Export this desk's queue…"))
        texts = QVBoxLayout()
        texts.setContentsMargins(0, 0, 0, 0)
        texts.addWidget(self.label)
        texts.addWidget(self.day_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(texts, 1)
        layout.addWidget(self.export_button)
        self.hide()

    def show_state(self, state: AbsenceState, now: dt.datetime) -> None:
        if not state.away:
            self.hide()
            return
        taken = state.copy.refreshed_at
        if state.merging:
            text = _("The practice server is back: this desk's queue is being merged…")
        else:
            text = _("THE PRACTICE SERVER IS NOT ANSWERING: this desk works on its own copy "
                     "(taken {time}, {minutes} min ago). Keep booking as usual — changes wait "
                     "in this desk's queue ({count}) and go to the practice database when the "
                     "server is back.").format(
                time=_clock_text(taken), minutes=_minutes(state, now), count=state.queued)
        self.label.setText("⚠ " + text)
        self.show()

    def show_day(self, state: AbsenceState, day: dt.date, now: dt.datetime) -> None:
        warning = day_warning(state.copy, day, now) if state.away else None
        if warning is None:
            self.day_label.hide()
            return
        self.day_label.setText(_(_DAY_WARNINGS[warning]).format(
            time=_clock_text(state.copy.refreshed_at)))
        self.day_label.show()


def copy_age_text(state: AbsenceState, now: dt.datetime) -> str:
    """The status bar's line on the desk's copy: when it was taken."""
    if state.copy.refreshed_at is None:
        return _("Desk copy: none yet")
    age = state.copy.age(now) or dt.timedelta(0)
    if age < dt.timedelta(minutes=1):
        return _("Desk copy: {time} (under a minute ago)").format(
            time=_clock_text(state.copy.refreshed_at))
    return _("Desk copy: {time} ({minutes} min ago)").format(
        time=_clock_text(state.copy.refreshed_at), minutes=_minutes(state, now))


def _clock_text(moment: dt.datetime | None) -> str:
    from recepcja.domain.model import WARSAW

    return moment.astimezone(WARSAW).strftime("%H:%M") if moment is not None else "—"


def _minutes(state: AbsenceState, now: dt.datetime) -> int:
    age = state.copy.age(now)
    return int(age.total_seconds() // 60) if age is not None else 0


class _Relay(QObject):
    changed = Signal(object)  # AbsenceState, from the practice link's thread


class ServerAbsencePanel:
    """Wires a window to its ``ServerAbsence``: banner, connection swap, day warning."""

    def __init__(self, window: Any, absence: ServerAbsence, export: Any = None) -> None:
        self.window = window
        self.absence = absence
        self.banner = ServerBanner()
        window.centralWidget().layout().insertWidget(0, self.banner)
        self.relay = _Relay()
        # Queued: a desk connection that loses the server reports it from inside a statement
        # (store/desk_failover.py); the window is swapped after that statement, not under it.
        self.relay.changed.connect(self.apply, Qt.ConnectionType.QueuedConnection)
        absence.on_change = lambda state: emit(self.relay.changed, state)
        self.on_copy = window.repos.db.engine == "sqlite"
        # The copy's age, always in view (a practice database desk only).
        self.age_label = QLabel()
        self.age_label.setObjectName("localCopyAge")
        window.status.addPermanentWidget(self.age_label)
        # The queue's own export (gui/queue_panel.py): while away it reads the desk's copy.
        if export is not None:
            self.banner.export_button.clicked.connect(lambda *_args: export())
        else:
            self.banner.export_button.hide()
        self.timer = QTimer(window)
        self.timer.timeout.connect(lambda: self.apply(self.absence.state))
        self.timer.start(AGE_REFRESH_MS)
        window.date_bar.shown.connect(lambda _day: self.show_day())
        self.apply(absence.state)

    def apply(self, state: AbsenceState) -> None:
        window = self.window
        if window.closed:
            return
        now = self.absence.clock()
        self.banner.show_state(state, now)
        self.age_label.setText(copy_age_text(state, now))
        on_copy = window.repos.db.engine == "sqlite"
        if state.away != on_copy:
            self._swap(state.away)
        elif on_copy != self.on_copy:
            # The window's connection went over to the copy by itself: all views from it.
            self.on_copy = on_copy
            window.reload()
        self.show_day()

    def show_day(self) -> None:
        self.banner.show_day(self.absence.state, self.window.current_day, self.absence.clock())

    def _swap(self, to_copy: bool) -> None:
        """The window's UI-thread connection: the copy while away, the practice database once
        the queue is merged. A practice database that does not answer keeps the copy."""
        window = self.window
        opened = Repositories.over(window.ctx.open_desk_db())
        old, window.repos = window.repos, opened
        self.on_copy = opened.db.engine == "sqlite"
        from recepcja.store.practice_probe import close_quietly

        close_quietly(old.db)
        window.reload()

    def close(self) -> None:
        self.timer.stop()
        self.absence.on_change = None


def install(window: Any, export: Any = None) -> ServerAbsencePanel | None:
    """The panel, when the desk works on a practice database (``ctx.server_absence``);
    ``export`` writes the desk's queue to Excel."""
    absence = window.ctx.server_absence
    if absence is None:
        return None
    return ServerAbsencePanel(window, absence, export)
