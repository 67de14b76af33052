"""The window when the practice server goes away (a TCP proxy in front of the test cluster's
PostgreSQL, cut by the test): the server banner - not CeR's - appears within the detection
time, the day stays on screen from the desk's copy and can be booked, a day the copy does not
hold says so, and when the server is back the booking is merged and the banner goes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from recepcja.domain.model import SlotState, Urgency, VisitState
from recepcja.services.context import AppContext
from recepcja.services.server_absence import PROBE_TIMEOUT_S
from recepcja.store import Repositories
from support.practice_desk import practice_desk
from tcp_proxy import TcpProxy

DETECTION_MS = int((PROBE_TIMEOUT_S + 3) * 1000)  # the bound the desk promises (≤ 5 s)


@pytest.fixture
def practice_ctx(tmp_path: Path, pg_database: str, proxy: TcpProxy, monday: dt.date,
                 monkeypatch: pytest.MonkeyPatch) -> AppContext:
    """The GUI tests' practice, on the practice database reached through the proxy."""
    return practice_desk(tmp_path / "home", proxy.url(pg_database), monday, monkeypatch)


def test_the_banner_appears_the_day_stays_usable_and_the_booking_merges_back(
        qtbot, practice_ctx: AppContext, proxy: TcpProxy, pg_database: str, clock):
    from recepcja.gui.main_window import MainWindow

    window = MainWindow(practice_ctx, clock=clock, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.go_to(clock().date())
    banner = window.findChild(QWidget, "serverBanner")
    absence = practice_ctx.server_absence
    absence.start()
    try:
        assert banner is not None and not banner.isVisible()
        age = window.findChild(QWidget, "localCopyAge")
        assert age.text().startswith("Kopia stanowiska:") or age.text().startswith("Desk copy:")
        proxy.cut()
        qtbot.waitUntil(banner.isVisible, timeout=DETECTION_MS)
        assert not window.banner.isVisible()  # CeR's emergency banner is another matter
        assert window.repos.db.engine == "sqlite"
        rows = window.views.day_rows()
        assert any(row.entry.visit_id for row in rows)  # the day, from the copy
        free = next(row for row in rows if row.entry.slot_state == SlotState.FREE
                    and row.entry.start > clock())
        patient_id = next(row.entry.patient_id for row in rows if row.entry.patient_id)
        window.desk.book(patient_id, free.entry.slot_id, Urgency.STABLE, referral_id="SK-1")
        window.reload()
        assert any(row.entry.slot_id == free.entry.slot_id and row.entry.visit_id
                   for row in window.views.day_rows())

        window.go_to(clock().date() + dt.timedelta(days=120))
        day_note = window.findChild(QWidget, "serverBannerDay")
        assert day_note.isVisible()
        window.go_to(clock().date())
        assert not day_note.isVisible()

        proxy.restore()
        qtbot.waitUntil(lambda: not banner.isVisible(), timeout=15_000)
        assert window.repos.db.engine == "postgresql"
    finally:
        absence.stop()
        window.close()
    with Repositories.open(pg_database) as practice:
        visit = practice.visits.live_for_slot(free.entry.slot_id)
        assert visit is not None and visit.patient_id == patient_id
        assert visit.state == VisitState.PENDING
        assert practice.outbox.by_key(f"book:{visit.visit_uid}") is not None


def test_no_banner_for_a_desk_on_its_own_file(window):
    assert window.ctx.server_absence is None
    assert window.findChild(QWidget, "serverBanner") is None
