"""Desks see each other at once (issue 15): two desks on one practice database; desk A books a
term and desk B's day view shows the patient in it without anybody pressing refresh."""

from __future__ import annotations

import pytest

from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.services.day_view import TermStatus
from recepcja.store.repos import Repositories


@pytest.fixture
def practice_db(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every desk of the test on the practice database (before ``desk_ctx`` fills it)."""
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    return pg_database


def _row(window, hhmm: str):
    schedule_id = window.schedules[0].id
    for row in window.schedule_view.day_model.rows():
        if row.entry.schedule_id == schedule_id and row.start.strftime("%H:%M") == hhmm:
            return row
    raise AssertionError(hhmm)


def test_desk_b_shows_desk_a_s_booking_without_a_refresh(practice_db, desk_ctx, clock, qtbot,
                                                         tmp_path, shown):
    from recepcja.gui.main_window import MainWindow

    desk_b = MainWindow(desk_ctx, clock=clock, start_sync=False)
    qtbot.addWidget(desk_b)
    desk_b.show()
    qtbot.waitExposed(desk_b)
    desk_b.go_to(clock().date())
    shown(desk_b)
    try:
        follower = next(e for e in desk_b.extensions if type(e).__name__ == "DeskChanges")
        assert follower.follower.wait_ready(10)
        assert _row(desk_b, "10:40").status == TermStatus.FREE

        desk_a = AppContext.load(AppPaths(tmp_path / "desk-a"))
        desk_a.settings.workstation.name = "recepcja-pietro"
        with Repositories.over(desk_a.open_db()) as repos:
            slot = _row(desk_b, "10:40").entry.slot_id
            patient = repos.patients.get(10)  # one of the practice's 60
            booking.book(repos, int(patient.id or 0), slot, Urgency.STABLE, user="basia",
                         emergency=True, referral_id="SK-1")

        qtbot.waitUntil(lambda: _row(desk_b, "10:40").status != TermStatus.FREE, timeout=10000)
        row = _row(desk_b, "10:40")
        assert row.patient_name and follower.reloads >= 1
    finally:
        desk_b.close()
