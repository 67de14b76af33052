"""The window's panels while the practice server is away (a TCP proxy in front of the test
cluster's PostgreSQL, cut by the test): the patient card and the log of changes from CeR read
from the desk's copy - the card says so and how old the copy is -, and the practice settings,
joining CeR and the queue import, which write to the practice database, say in Polish that
they need the server and that nothing is lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget
from test_changes_log import _portal_booking

from recepcja.gui.patient_card import PatientCardDialog
from recepcja.gui.patient_card_actions import PatientCardActions
from recepcja.gui.sync_panel import SyncPanel
from recepcja.store import Repositories
from support.practice_desk import practice_desk
from tcp_proxy import TcpProxy


@pytest.fixture
def away_window(qtbot, tmp_path: Path, pg_database: str, proxy: TcpProxy, monday: dt.date,
                clock, monkeypatch: pytest.MonkeyPatch):
    from recepcja.gui.main_window import MainWindow

    ctx = practice_desk(tmp_path / "home", proxy.url(pg_database), monday, monkeypatch,
                        take_copy=False)
    _portal_booking(ctx, monday)  # one change from CeR in the practice's log
    ctx.server_absence.step()  # the copy, with the log
    window = MainWindow(ctx, clock=clock, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    proxy.cut()
    assert ctx.server_absence.step().away
    qtbot.waitUntil(lambda: window.repos.db.engine == "sqlite", timeout=10_000)
    yield window
    window.close()


def _refusal(qtbot, act) -> str:
    act()
    box: list[QMessageBox] = []
    qtbot.waitUntil(lambda: bool(box.extend(
        w for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "needsPracticeServer"
        and w.isVisible()) or box), timeout=5000)
    text = box[0].text()
    box[0].close()
    box[0].setObjectName("seen")
    return text


def test_the_card_and_the_change_log_read_from_the_copy(qtbot, away_window, on_dialog,
                                                        proxy: TcpProxy, pg_database: str):
    window = away_window
    panel = next(e for e in window.extensions if isinstance(e, SyncPanel))
    reads = panel.log_reads
    panel._load_log()  # what the window runs after its first paint
    qtbot.waitUntil(lambda: panel.log_reads > reads, timeout=10_000)  # read off the UI thread
    assert any("Zofia Kowalczyk" in line for line in panel.dock.messages())

    cards = next(e for e in window.extensions if isinstance(e, PatientCardActions))
    patient_id = next(row.entry.patient_id for row in window.views.day_rows()
                      if row.entry.patient_id)
    seen: dict[str, str] = {}

    def read(dialog: QWidget) -> None:
        assert isinstance(dialog, PatientCardDialog)
        seen["title"] = dialog.windowTitle()
        seen["source"] = dialog.findChild(QLabel, "cardFromCopy").text()
        seen["visits"] = str(dialog.upcoming.rowCount() + dialog.past.rowCount())
        dialog.reject()

    on_dialog(read)
    cards.open(patient_id)
    qtbot.waitUntil(lambda: "source" in seen, timeout=10_000)
    assert "kopii tego stanowiska" in seen["source"] and "min temu" in seen["source"]
    assert seen["visits"] == "1"  # the visit, from the copy

    # The read is audited: on the copy now, in the practice database once the server is back.
    proxy.restore()
    assert window.ctx.server_absence.step().away is False
    with Repositories.open(pg_database) as practice:
        reads = [entry for entry in practice.audit.for_patient(patient_id)
                 if entry.action == "patient.show"]
        assert len(reads) == 1


def test_settings_onboarding_and_queue_import_say_they_need_the_server(
        qtbot, away_window, tmp_path: Path):
    from recepcja.gui.onboarding_view import OnboardingView
    from recepcja.gui.queue_panel import QueuePanel
    from recepcja.gui.settings import PracticeSettings

    window = away_window
    settings = next(e for e in window.extensions if isinstance(e, PracticeSettings))
    onboarding = next(e for e in window.extensions if isinstance(e, OnboardingView))
    queue = next(e for e in window.extensions if isinstance(e, QueuePanel))
    said = _refusal(qtbot, settings.open)
    assert "serwer przychodni nie odpowiada" in said and "nic nie zginęło" in said
    assert settings.dialog is None
    said = _refusal(qtbot, onboarding.open_onboarding)
    assert "Dołączanie do CeR" in said and onboarding.onboarding is None
    said = _refusal(qtbot, lambda: queue.import_file(tmp_path / "kolejka.xlsx"))
    assert "Import kolejki" in said and "Plik nie został odczytany" in said


def test_the_settings_dialog_open_when_the_server_goes_refuses_its_save_and_keeps_the_edit(
        qtbot, tmp_path: Path, pg_database: str, proxy: TcpProxy, monday: dt.date, clock,
        monkeypatch: pytest.MonkeyPatch):
    """Opened while the server answers, edited, saved after it went: the save is refused in
    Polish, the edit stays in the field, nothing reaches the practice database; once the
    server is back the same dialog saves it."""
    from recepcja.gui.main_window import MainWindow
    from recepcja.gui.settings import PracticeSettings

    ctx = practice_desk(tmp_path / "home", proxy.url(pg_database), monday, monkeypatch,
                        take_copy=False)
    ctx.server_absence.step()  # the copy
    window = MainWindow(ctx, clock=clock, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settings = next(e for e in window.extensions if isinstance(e, PracticeSettings))
    dialog = settings.open()
    assert dialog is not None and dialog.isVisible()
    before = dialog.provider.name.text()
    dialog.provider.name.setText("Gabinet po awarii")

    proxy.cut()
    assert ctx.server_absence.step().away
    qtbot.waitUntil(lambda: window.repos.db.engine == "sqlite", timeout=10_000)
    assert dialog.save() is False
    said = dialog.message.text()
    assert "serwer przychodni nie odpowiada" in said and "nic nie zginęło" in said, said
    assert dialog.provider.name.text() == "Gabinet po awarii"  # the edit is kept

    proxy.restore()
    assert ctx.server_absence.step().away is False
    qtbot.waitUntil(lambda: window.repos.db.engine != "sqlite", timeout=10_000)
    with Repositories.open(pg_database) as practice:
        assert practice.practice.provider().name == before  # nothing was written meanwhile
    assert dialog.save() is True
    with Repositories.open(pg_database) as practice:
        assert practice.practice.provider().name == "Gabinet po awarii"
    window.close()
