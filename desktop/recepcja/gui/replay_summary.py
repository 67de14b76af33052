"""After a replay: whom to call, in a bar that stays until the desk acknowledges it.

When the sync engine finishes a pass in which CeR gave a term away (the booking moved to the
nearest allowed term, or onto the central waiting list), the bar under the emergency banner
names the patients to call and opens the call worklist on one key; it stays until "OK" -
never a toast that disappears while the desk is on the phone. Installed by
``gui/extensions.py``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from recepcja.i18n import _, ngettext

NAMES_SHOWN = 4
SUMMARY_YELLOW = "#fff2b3"


class ReplaySummary(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replaySummary")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            f"#replaySummary {{ background: {SUMMARY_YELLOW}; border-bottom: 1px solid #c9a800; }}"
            " QLabel { color: #3a2f00; font-weight: bold; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.open_button = QPushButton(_("Open the &call list"))
        self.ok_button = QPushButton(_("O&K, noted"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.ok_button)
        self.ok_button.clicked.connect(self.acknowledge)
        self.names: list[str] = []
        self.hide()

    def show_names(self, names: list[str]) -> None:
        """Add these patients (kept with those not acknowledged yet) and show the bar."""
        self.names = list(dict.fromkeys([*self.names, *names]))
        count = len(self.names)
        shown = ", ".join(self.names[:NAMES_SHOWN])
        if count > NAMES_SHOWN:
            more = count - NAMES_SHOWN
            shown += " " + ngettext("and {n} more", "and {n} more", more).format(n=more)
        self.label.setText(ngettext(
            "CeR changed the term of {n} patient while the queue was sent — call: {names}",
            "CeR changed the terms of {n} patients while the queue was sent — call: {names}",
            count).format(n=count, names=shown))
        self.show()

    def acknowledge(self) -> None:
        self.names = []
        self.hide()


class ReplaySummaryPanel:
    """Connects the bar to the window: ``pass_done`` batches with a moved / waiting-list
    booking show it; its button opens the call worklist."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.bar = ReplaySummary()
        central = window.centralWidget()
        central.layout().insertWidget(1, self.bar)  # under the emergency banner
        self.bar.open_button.clicked.connect(self.open_call_list)
        window.bridge.pass_done.connect(self.pass_done)

    def pass_done(self, batch: list[tuple[Any, str]]) -> None:
        from recepcja.sync.replay_report import CALL_OUTCOMES

        if getattr(self.window, "closed", False):
            return
        lost = [(entry, outcome) for entry, outcome in batch
                if outcome in {str(o) for o in CALL_OUTCOMES}]
        if not lost:
            return
        self._show_taken([getattr(entry, "id", None) for entry, _outcome in lost])
        visits = {visit_id for entry, _outcome in lost
                  if (visit_id := getattr(entry, "visit_id", None)) is not None}
        names = []
        for visit_id in sorted(visits):
            visit = self.window.repos.visits.get(visit_id)
            patient = self.window.repos.patients.get(visit.patient_id) if visit else None
            if patient is not None:
                names.append(f"{patient.last_name} {patient.first_name}")
        if names:
            self.bar.show_names(names)

    def _show_taken(self, entry_ids: list[int | None]) -> None:
        """The terms CeR gave to somebody else: taken in the day view now, not "wolny"."""
        from recepcja.services.replay_followup import mark_lost_terms_taken

        ids = [entry_id for entry_id in entry_ids if entry_id is not None]
        if ids and mark_lost_terms_taken(self.window.repos, ids):
            self.window.reload()

    def open_call_list(self) -> None:
        from recepcja.gui.queue_panel import QueuePanel

        panel = next((e for e in getattr(self.window, "extensions", [])
                      if isinstance(e, QueuePanel)), None)
        if panel is not None:
            panel.show_call_list()

    def close(self) -> None:
        self.bar.hide()


def install(window: Any) -> ReplaySummaryPanel:
    return ReplaySummaryPanel(window)
