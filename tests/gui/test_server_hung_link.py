"""The window on a practice database whose link goes silent (a TCP proxy that swallows
everything, in front of the test cluster's PostgreSQL): a read the window makes on the dead link
does not freeze it - it is cut short when the practice link sees the server away, answers from
the desk's copy, and the server banner is shown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from recepcja.services.context import AppContext
from support.practice_desk import practice_desk
from tcp_proxy import TcpProxy


@pytest.fixture
def hung_ctx(tmp_path: Path, pg_database: str, proxy: TcpProxy, monday: dt.date,
             monkeypatch: pytest.MonkeyPatch) -> AppContext:
    return practice_desk(tmp_path / "home", proxy.url(pg_database), monday, monkeypatch)


def test_a_window_read_on_a_silent_link_answers_from_the_copy(
        qtbot, hung_ctx: AppContext, proxy: TcpProxy, clock):
    from recepcja.gui.main_window import MainWindow
    from recepcja.services import day_view

    window = MainWindow(hung_ctx, clock=clock, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    banner = window.findChild(QWidget, "serverBanner")
    absence = hung_ctx.server_absence
    assert window.repos.db.engine == "postgresql" and not banner.isVisible()
    proxy.blackhole()
    absence.start()
    try:
        # On the UI thread, as the window's own reads do (the day's printout): it returns (from
        # the copy) instead of hanging.
        rows = day_view.day_rows(window.repos, window.schedules, window.current_day,
                                 window.clock())
        assert window.repos.db.engine == "sqlite"
        assert any(row.entry.visit_id for row in rows)
        # The views' reader, off the UI thread, shows the day from the copy too.
        window.reload()
        qtbot.waitUntil(lambda: window.views.settled, timeout=20_000)
        assert any(row.entry.visit_id for row in window.views.day_rows())
        qtbot.waitUntil(banner.isVisible, timeout=10_000)
        assert absence.away and not window.banner.isVisible()  # not CeR's banner
        proxy.restore()
        qtbot.waitUntil(lambda: window.repos.db.engine == "postgresql", timeout=20_000)
        assert not banner.isVisible()
    finally:
        absence.stop()
        window.close()
