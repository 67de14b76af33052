"""The window's cold start while the practice server is silent (a TCP proxy that swallows
everything): the window opens at once on the desk's copy - it does not sit out a connect
timeout of its own, the practice link's first probe runs beside it - with the server banner,
and moves to the server when it answers."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from recepcja.config.paths import AppPaths
from recepcja.services.context import AppContext
from recepcja.services.server_absence import ServerAbsence
from support.practice_desk import practice_desk
from tcp_proxy import TcpProxy


def test_a_cold_start_on_a_silent_server_opens_on_the_copy(
        qtbot, tmp_path: Path, pg_database: str, proxy: TcpProxy, monday: dt.date,
        clock, monkeypatch: pytest.MonkeyPatch):
    from recepcja.gui.main_window import MainWindow

    home = tmp_path / "home"
    practice_desk(home, proxy.url(pg_database), monday, monkeypatch)  # the copy of a last run
    proxy.blackhole()
    ctx = AppContext.load(AppPaths(home))  # the next morning's start
    ctx.server_absence = absence = ServerAbsence.for_context(ctx, probe_interval=0.2)
    opened_by_window: list[str] = []
    real_open_db = AppContext.open_db

    def open_db(self: AppContext):
        if threading.current_thread() is threading.main_thread():
            opened_by_window.append("practice database")
        return real_open_db(self)

    monkeypatch.setattr(AppContext, "open_db", open_db)
    absence.start()  # as gui.app.run does, before the window
    window = None
    try:
        window = MainWindow(ctx, clock=clock, start_sync=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert opened_by_window == []  # no connect timeout of its own sat out on the UI thread
        assert window.repos.db.engine == "sqlite"
        assert any(row.entry.visit_id for row in window.views.day_rows())  # the copy's day
        banner = window.findChild(QWidget, "serverBanner")
        assert banner.isVisible() and not window.banner.isVisible()

        proxy.restore()
        qtbot.waitUntil(lambda: window.repos.db.engine == "postgresql", timeout=20_000)
        assert not banner.isVisible()
    finally:
        absence.stop()
        if window is not None:
            window.close()
