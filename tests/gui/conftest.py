"""Fixtures of the GUI tests: a small practice in a private data folder, a window on a fixed
clock (a Monday at 10:05, so the day has past, booked and free terms), and the real simulator
for the tests that check CeR's side over HTTP."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_CER_URL
from recepcja.domain.entities import Visit
from recepcja.domain.model import WARSAW, Urgency, VisitSource, VisitState
from recepcja.domain.slots import generate_slots
from recepcja.services.context import AppContext
from recepcja.services.practice_setup import apply_plan, plan_from_dict, rules_from_template
from recepcja.services.training import fallback_practice, training_patients
from recepcja.store.repos import Repositories


def _next_monday() -> dt.date:
    today = dt.datetime.now(WARSAW).date() + dt.timedelta(days=3)
    return today + dt.timedelta(days=(7 - today.weekday()) % 7)


@pytest.fixture(autouse=True, scope="session")
def qt_in_polish(qapp):
    """Qt's own dialogs in Polish, as ``make_application`` sets them up for the app."""
    from recepcja.gui.app import install_qt_translations

    install_qt_translations(qapp)
    return qapp


@pytest.fixture
def monday() -> dt.date:
    return _next_monday()


@pytest.fixture
def clock(monday: dt.date):
    moment = dt.datetime.combine(monday, dt.time(10, 5), WARSAW)
    return lambda: moment


@pytest.fixture
def desk_ctx(tmp_path: Path, monday: dt.date) -> AppContext:
    """The fallback training practice (two cardiology schedules, 20-minute terms), its slots
    for two weeks from ``monday``, 60 patients, and four visits on ``monday``: two in the past
    (08:00, 08:20) and two ahead (10:20, 11:00), all on dr Nowak's schedule."""
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    repos = Repositories.over(ctx.open_db())
    try:
        apply_plan(repos.db, plan_from_dict(fallback_practice()), "test")
        for schedule in repos.schedules.list():
            specs = generate_slots(rules_from_template(schedule.template), monday,
                                   monday + dt.timedelta(days=13))
            repos.slots.add_many(int(schedule.id or 0), specs)
        patients = training_patients(random.Random(7), 60)  # test data
        repos.patients.add_many(patients, "test")
        first = repos.schedules.list()[0]
        slots = {s.start.astimezone(WARSAW).strftime("%H:%M"): s
                 for s in repos.slots.for_day(int(first.id or 0), monday)}
        visits = [
            Visit(f"T-{n}", int(patients[n].id or 0), slots[hour].id, Urgency.STABLE,
                  state=VisitState.CONFIRMED, cer_id=f"WIZ-{n}")
            for n, hour in enumerate(("08:00", "08:20", "10:20", "11:00"))
        ]
        repos.visits.import_many(visits, "test", source=VisitSource.INITIAL_LOAD)
    finally:
        repos.close()
    return ctx


@pytest.fixture
def shown(qtbot):
    """``shown(window)``: wait until the window's views show what was asked last (the day
    sheet is read off the UI thread, ``gui/schedule_loader.py``)."""

    def wait(win) -> None:
        qtbot.waitUntil(lambda: win.views.settled, timeout=15000)

    return wait


@pytest.fixture
def window(qtbot, desk_ctx: AppContext, clock, shown):
    from recepcja.gui.main_window import MainWindow

    win = MainWindow(desk_ctx, clock=clock, start_sync=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.go_to(clock().date())
    shown(win)
    yield win
    win.close()


@pytest.fixture
def training_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """``start_training`` on a private folder: the real simulator (loopback), the example
    practice set up, seeded and onboarded; no portal actors (tests want a quiet CeR)."""
    from recepcja.services.training import start_training

    monkeypatch.setenv(ENV_CER_URL, "")  # restored after the test: start_training overrides it
    ctx = AppContext.load(AppPaths(tmp_path / "home"), training=True)
    session = start_training(ctx, actors=False)
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def sim_window(qtbot, training_session):
    """The main window of a ``training_session``: the real simulator behind the real engine."""
    from recepcja.gui.main_window import MainWindow

    win = MainWindow(training_session.ctx, training=training_session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def on_dialog(qtbot):
    """``on_dialog(handler)`` before an action that opens a modal dialog: ``handler(dialog)``
    runs once the dialog is up (a modal ``exec`` would otherwise block the test)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    errors: list[BaseException] = []

    def arm(handler) -> None:
        def poll() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None or getattr(dialog, "loading", False):  # its terms are read
                QTimer.singleShot(20, poll)
                return
            try:
                handler(dialog)
            except BaseException as error:  # re-raised in the test
                errors.append(error)
                dialog.reject()

        QTimer.singleShot(0, poll)

    yield arm
    if errors:
        raise errors[0]



@pytest.fixture(autouse=True)
def printed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The default printer, as the tests see it: what ``print_html_direct`` would have printed
    (title, HTML). Offscreen there is no printer and the fallback print dialog would block."""
    from recepcja.gui import printing

    sent: list[tuple[str, str]] = []

    def direct(_parent, html: str, title: str) -> bool:
        sent.append((title, html))
        return True

    monkeypatch.setattr(printing, "print_html_direct", direct)
    return sent
