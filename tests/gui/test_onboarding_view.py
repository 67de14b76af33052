"""Issue 4 in the window: the onboarding view walked against the real simulator, and the
compliance screen after it. What CeR ends up holding is checked over the simulator's control
API, never through the app."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest

from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_CER_URL
from recepcja.gui.onboarding_view import OnboardingView
from recepcja.i18n import _
from recepcja.resources import resource
from recepcja.services.context import AppContext
from recepcja.services.onboarding import STEPS
from recepcja.services.practice_setup import setup_practice
from recepcja.simulator.server import SimulatorServer
from recepcja.store.repos import Repositories
from support import sim_control

pytestmark = pytest.mark.slow


def _practice(tmp_path: Path) -> AppContext:
    """The example practice set up in a private folder, not onboarded."""
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    repos = Repositories.over(ctx.open_db())
    try:
        setup_practice(repos.db, Path(resource("practice.example.toml")), "test")
    finally:
        repos.close()
    return ctx


@pytest.fixture
def simulator(tmp_path: Path):
    server = SimulatorServer(tmp_path / "sim")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _window(qtbot, ctx: AppContext):
    from recepcja.gui.main_window import MainWindow

    win = MainWindow(ctx, start_sync=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _view(window) -> OnboardingView:
    return next(e for e in window.extensions if isinstance(e, OnboardingView))


def test_onboarding_view_walks_the_six_steps_against_cer(qtbot, tmp_path, monkeypatch,
                                                         simulator):
    monkeypatch.setenv(ENV_CER_URL, simulator.url + "/cer")
    window = _window(qtbot, _practice(tmp_path))
    try:
        view = _view(window)
        assert not view.timers  # a start_sync=False window never publishes on its own
        view.onboarding_action.trigger()
        dialog = view.onboarding
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        places = window.repos.practice.places()
        assert places and dialog.table.rowCount() == len(places) * len(STEPS)
        assert dialog.start.text() == _("Start / resume")
        # the visits booked in the previous system, imported from the view (one bad row)
        monday = dt.date.today() + dt.timedelta(days=14 - dt.date.today().weekday())
        visits = tmp_path / "wizyty.csv"
        visits.write_text(
            "visit_id;schedule;date;time;minutes;pesel;first_name;last_name;phone;urgency;"
            "referral_id\n"  # a first visit of cardiology carries its (paper) referral
            f"G1;Kardiologia - dr Nowak;{monday};08:00;;44051401359;Jan;Kowalski;;stabilny;"
            "SK-2026-17\n"
            f"G2;Nie ma takiego;{monday};08:20;;02070803628;Anna;Nowak;;;\n", encoding="utf-8")
        with qtbot.waitSignal(window.runner.finished, timeout=20000):
            dialog.import_visits(visits)
        assert "zaimportowano 1 wizytę" in dialog.message.text() \
            and "wiersz 3" in dialog.message.text(), \
            dialog.message.text()
        qtbot.mouseClick(dialog.start, _left())
        finished = {_("done"), _("already done"), _("nothing to do")}
        qtbot.waitUntil(lambda: not dialog.running, timeout=35000)
        for place in places:
            for step in STEPS:
                row = dialog.row_of(int(place.id or 0), step)
                assert row is not None
                assert dialog.state_text(row) in finished, (step, dialog.answer_text(row))
        # CeR's actual answers are in the rows: ids for registration, the state for activation
        first = int(places[0].id or 0)
        assert "MUS" in dialog.answer_text(dialog.row_of(first, "register_place"))
        assert dialog.answer_text(dialog.row_of(first, "activate"))
        assert "przyjęto" in dialog.answer_text(dialog.row_of(first, "publish"))
        assert "aktywne w CeR" in dialog.answer_text(dialog.row_of(first, "activate"))
        assert "AKTYWNE" not in dialog.answer_text(dialog.row_of(first, "activate"))
        assert dialog.progress.maximum() > 1
        assert dialog.progress.value() == dialog.progress.maximum()
        state = sim_control.state(simulator.url, sections="places")
        assert state["places"] and all(p["state"] == "AKTYWNE" for p in state["places"])
        cer_visits = sim_control.state(simulator.url, sections="visits")["visits"]
        assert [v["visit_uid"] for v in cer_visits] == ["IL-G1"]  # the good row, once

        # the compliance screen: every schedule published at least 3 months ahead
        view.compliance_action.trigger()
        compliance = view.compliance
        assert compliance is not None and compliance.isVisible()
        report = compliance.report
        horizon = dt.date.today() + dt.timedelta(days=89)
        for place in report["places"]:
            assert place["registered"] and place["active"]
            assert place["schedules"]
            for schedule in place["schedules"]:
                assert schedule["horizon_ok"], schedule
                assert dt.date.fromisoformat(schedule["published_until"]) >= horizon
                assert f"{dt.date.fromisoformat(schedule['published_until']):%d.%m.%Y}" in \
                        compliance.browser.toPlainText()  # a date as the desk writes it
        assert _("Compliance with CeR") in compliance.browser.toPlainText()
        # issue 7: sync health on the same screen
        text = compliance.browser.toPlainText()
        assert "Stan synchronizacji z CeR" in text and "Ostatnie uzgodnienie z CeR" in text
        assert compliance.health["pending_outbox"] == 0

        # the daily background job (timer-driven when sync runs) publishes over the runner
        with qtbot.waitSignal(window.runner.finished, timeout=20000):
            view.publish_now()
        assert not view.publishing
        assert type(view.last_publish).__name__ == "PublishResult", view.last_publish

        # running again is safe: every step is already done
        qtbot.mouseClick(dialog.start, _left())
        qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
        row = dialog.row_of(first, "register_place")
        assert dialog.state_text(row) == _("already done")
    finally:
        window.close()


def test_unreachable_cer_is_shown_in_the_step_row(qtbot, tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(ENV_CER_URL, f"http://127.0.0.1:{port}/cer")
    window = _window(qtbot, _practice(tmp_path))
    try:
        dialog = _view(window).open_onboarding()
        qtbot.mouseClick(dialog.start, _left())
        qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
        first = int(window.repos.practice.places()[0].id or 0)
        row = dialog.row_of(first, "register_place")
        assert dialog.state_text(row) == _("FAILED")
        assert dialog.answer_text(row)
        assert dialog.start.isEnabled()
        assert window.isVisible()
    finally:
        window.close()


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_refused_activation_is_explained_in_its_row(qtbot, tmp_path, monkeypatch, simulator):
    """A doctor on leave from next month on cannot have free terms 3 months ahead: CeR refuses
    ``aktywujMus`` and the row says why (the schedule, and that it must change), the window
    goes on."""
    from recepcja.domain.entities import ScheduleException

    monkeypatch.setenv(ENV_CER_URL, simulator.url + "/cer")
    ctx = _practice(tmp_path)
    repos = Repositories.over(ctx.open_db())
    try:
        nowak = repos.schedules.list()[0]
        today = dt.date.today()
        repos.schedules.add_exception(nowak.id, ScheduleException(
            today + dt.timedelta(days=30), today + dt.timedelta(days=900), "urlop"), "test")
    finally:
        repos.close()
    window = _window(qtbot, ctx)
    try:
        dialog = _view(window).open_onboarding()
        qtbot.mouseClick(dialog.start, _left())
        qtbot.waitUntil(lambda: not dialog.running, timeout=35000)
        first = int(window.repos.practice.places()[0].id or 0)
        row = dialog.row_of(first, "activate")
        assert dialog.state_text(row) == _("FAILED")
        answer = dialog.answer_text(row)
        assert "CeR" in answer and len(answer) > 60
        assert dialog.state_text(dialog.row_of(first, "publish")) == _("done")
        assert window.repos.practice.places()[0].cer_active_at is None
        assert dialog.start.isEnabled()
    finally:
        window.close()


def test_daily_publishing_only_when_sync_was_started():
    from types import SimpleNamespace

    from recepcja.gui.onboarding_view import _sync_started

    assert _sync_started(SimpleNamespace(bridge=SimpleNamespace(engine=object())))
    idle = SimpleNamespace(engine=None, _timer=SimpleNamespace(isActive=lambda: False))
    assert not _sync_started(SimpleNamespace(bridge=idle))
    assert not _sync_started(SimpleNamespace())
