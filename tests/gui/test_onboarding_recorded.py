"""The onboarding view of a desk already joined to CeR (training mode's set-up onboards every
place): each step says what the store records - "wykonano wcześniej" / "nic do zrobienia" -
not "oczekuje", and the column headers read whole (issue 14: nothing that misleads)."""

from __future__ import annotations

from recepcja.gui.onboarding_dialog import COL_PLACE, COL_STATE, COL_STEP
from recepcja.gui.onboarding_view import OnboardingView
from recepcja.services.onboarding import STEPS


def test_an_onboarded_desk_shows_its_steps_done_not_waiting(qtbot, sim_window):
    view = next(e for e in sim_window.extensions if isinstance(e, OnboardingView))
    dialog = view.open_onboarding()
    places = sim_window.repos.practice.places()
    assert places and dialog.table.rowCount() == len(places) * len(STEPS)
    states = {dialog.state_text(row) for row in range(dialog.table.rowCount())}
    assert states <= {"wykonano wcześniej", "nic do zrobienia"}, states
    assert "wykonano wcześniej" in states
    assert dialog.progress.value() == dialog.progress.maximum()
    header = dialog.table.horizontalHeader()
    for column in (COL_PLACE, COL_STEP, COL_STATE):
        assert dialog.table.columnWidth(column) >= header.sectionSizeFromContents(
            column).width(), dialog.table.horizontalHeaderItem(column).text()
    dialog.close()
