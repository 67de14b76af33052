"""The emergency queue panel: manual emergency switch, the queue dock with who booked what,
Excel export, the call list, and the first-start choice for an empty store."""

from __future__ import annotations

import datetime as dt

import openpyxl
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from recepcja.config.paths import AppPaths
from recepcja.gui.queue_panel import QueuePanel, report_text
from recepcja.resources import resource
from recepcja.services.context import AppContext
from recepcja.services.emergency import HEADERS, queue_entries
from recepcja.store.repos import Repositories
from recepcja.sync.monitor import ConnectivityMonitor
from recepcja.sync.replay_report import CALL_OUTCOMES


def _panel(window) -> QueuePanel:
    return next(e for e in window.extensions if isinstance(e, QueuePanel))


def _book_1040(qtbot, window, on_dialog) -> None:
    with qtbot.waitSignal(window.patients.searched, timeout=3000):
        qtbot.keyClicks(window.patients.query, "Now")
    window.patients.table.selectRow(0)  # among namesakes the desk chooses
    model = window.schedule_view.day_model
    for number, row in enumerate(model.rows()):
        if (row.entry.schedule_id == window.schedules[0].id
                and row.start.strftime("%H:%M") == "10:40"):
            window.schedule_view.day_table.selectRow(number)
            window.schedule_view.day_table.setCurrentIndex(model.index(number, 0))
            break

    def book(dialog) -> None:
        qtbot.keyClicks(dialog.referral.edit, "12345678901234567890123456789012345678901234")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    on_dialog(book)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        window.actions_.book.trigger()


def test_manual_emergency_booking_shows_in_the_dock_and_exports(qtbot, window, desk_ctx,
                                                                on_dialog, tmp_path):
    panel = _panel(window)
    assert panel.menu.title().replace("&", "") == "Kolejka awaryjna"
    assert panel.emergency_action.shortcut().toString() == "Ctrl+Shift+E"
    assert not window.banner.isVisible()
    panel.emergency_action.trigger()  # switch emergency mode on by hand
    assert panel.emergency_action.isChecked() and window.banner.isVisible()
    repos = Repositories.over(desk_ctx.open_db())
    try:
        assert ConnectivityMonitor(repos).manual_emergency  # persisted
    finally:
        repos.close()

    _book_1040(qtbot, window, on_dialog)
    model = panel.dock.model
    qtbot.waitUntil(lambda: model.rowCount() == 1)  # read in the background after the work
    cells = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert desk_ctx.user in cells  # who booked it
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Kto zapisał"
    assert cells[0].startswith(("L", "P")) or cells[0]  # the local patient ID is shown
    assert "10:40" in cells[2]
    assert "(1)" in panel.dock.windowTitle()

    target = tmp_path / "kolejka.xlsx"
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        panel.export(target)
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS and len(rows) == 2
    assert rows[1][HEADERS.index("Przez")] == desk_ctx.user

    # importing the same file back adds nothing and says so
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        panel.import_file(target, show=False)
    report = panel.last_report
    assert report is not None and report.imported == 0 and report.already_present == 1
    assert not report.problems and model.rowCount() == 1
    assert "Już były: 1" in report_text(report)

    panel.emergency_action.trigger()  # off again: persisted, the banner goes
    assert not window.banner.isVisible()
    repos = Repositories.over(desk_ctx.open_db())
    try:
        assert not ConnectivityMonitor(repos).manual_emergency
    finally:
        repos.close()


def test_call_list_dialog_lists_moved_patients_and_exports(qtbot, window, desk_ctx,
                                                           on_dialog, tmp_path):
    _book_1040(qtbot, window, on_dialog)
    repos = Repositories.over(desk_ctx.open_db())
    try:
        entry = queue_entries(repos)[0]
        lost = (entry.term or dt.datetime.now(dt.UTC)) - dt.timedelta(hours=1)
        outcome = "moved" if "moved" in CALL_OUTCOMES else sorted(CALL_OUTCOMES)[0]
        repos.outbox.mark_done(entry.entry_id, {"outcome": outcome,
                                                "original_start": lost.isoformat()})
    finally:
        repos.close()
    panel = _panel(window)
    panel.refresh()
    dialog = panel.show_call_list()
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text() == f"{entry.last_name} {entry.first_name}"
    target = tmp_path / "telefony.xlsx"
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        dialog.export(target)
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == f"{entry.last_name} {entry.first_name}"
    assert rows[1][3] == "CeR zmienił termin"


def test_first_start_offers_setup_for_an_empty_store(qtbot, tmp_path, monkeypatch):
    from recepcja.gui.main_window import MainWindow

    monkeypatch.delenv("RECEPCJA_SMOKE_TEST", raising=False)
    ctx = AppContext.load(AppPaths(tmp_path / "empty"))
    win = MainWindow(ctx, start_sync=False)
    qtbot.addWidget(win)
    win.show()
    panel = _panel(win)
    qtbot.waitUntil(lambda: panel.first_start is not None and panel.first_start.isVisible(),
                    timeout=3000)
    dialog = panel.first_start
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml", encoding="utf-8")
    dialog.setup(bad)
    assert dialog.isVisible() and dialog.error.isVisible() and dialog.error.text()
    dialog.setup(resource("practice.example.toml"))
    assert not dialog.isVisible()
    repos = Repositories.over(ctx.open_db())
    try:
        assert repos.practice.places()
    finally:
        repos.close()
    assert win.filters.resource.count() > 1
    assert "opublikować w CeR" in win.status.currentMessage()
    win.close()


def test_training_choice_starts_a_process_and_closes(qtbot, tmp_path):
    from recepcja.gui.first_start import FirstStartDialog

    launched: list[bool] = []
    dialog = FirstStartDialog(lambda _path: None, launch=lambda: launched.append(True) or True)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.training_button.click()
    assert launched and dialog.chose_training and not dialog.isVisible()


def test_import_report_lists_bad_rows_by_number(qtbot, window):
    from PySide6.QtWidgets import QMessageBox

    from recepcja.services.emergency import ImportReport, RowProblem

    report = ImportReport(imported=47, already_present=0,
                          problems=[RowProblem(5, "zły PESEL"), RowProblem(9, "brak terminu")])
    _panel(window)._show_report(report)
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert not box.isModal()
    assert "Zaimportowano: 47" in box.text() and "Wiersze z błędami: 2" in box.text()
    assert "Wiersz 5: zły PESEL" in box.detailedText()
    box.close()


def test_queue_dock_stays_away_for_an_ordinary_booking_and_appears_in_an_emergency(
        qtbot, window, on_dialog):
    """An ordinary booking passes through the outbox for a second: no empty dock over the
    day. Booked while CeR is away, it is in view at once."""
    from recepcja.gui.connection import Connection

    panel = _panel(window)
    assert panel.dock.isHidden()  # a normal day: no clutter
    window.set_connection(Connection.ONLINE)
    _book_1040(qtbot, window, on_dialog)
    qtbot.waitUntil(lambda: panel.dock.model.rowCount() == 1)  # queued for a moment...
    assert panel.dock.isHidden()  # ...and that is no reason to take 40% of the day
    window.set_connection(Connection.OFFLINE)
    panel.refresh()
    assert not panel.dock.isHidden()


def test_dock_keeps_rejected_bookings_and_says_when_the_administrator_must_act(
        qtbot, window, desk_ctx, on_dialog):
    """A booking CeR rejected stays in the dock (its term is still held here) with CeR's
    reason; while a set-up fault stops every call, waiting rows say whom to call."""
    from recepcja.cer.errors import CerConfigError
    from recepcja.domain.errors import N_

    _book_1040(qtbot, window, on_dialog)
    panel = _panel(window)
    model = panel.dock.model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    repos = Repositories.over(desk_ctx.open_db())
    try:
        ConnectivityMonitor(repos).note_configuration_problem(
            CerConfigError(N_("The signing key cannot be used: wrong password, or not a PEM "
                              "key and certificate.")))
        panel.refresh()
        cells = [model.data(model.index(0, c)) for c in range(model.columnCount())]
        assert cells[7].startswith("czeka na administratora: ") and "klucz" in cells[7], cells
        [entry] = queue_entries(repos)
        repos.outbox.mark_rejected(entry.entry_id, "CeR odmówił: nie znaleziono terminu")
    finally:
        repos.close()
    panel.refresh()
    assert model.rowCount() == 1  # rejected, but still owed to somebody's decision
    cells = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert cells[6] == "odrzucone" and cells[7] == "CeR odmówił: nie znaleziono terminu"


def test_call_list_dialog_shows_why_an_e_referral_puts_a_visit_on_it(qtbot, window, desk_ctx,
                                                                      on_dialog):
    from recepcja.gui.call_list_dialog import CallListDialog
    from recepcja.services.call_worklist import CallReason, worklist
    from recepcja.store.records import OutboxOp

    _book_1040(qtbot, window, on_dialog)
    repos = Repositories.over(desk_ctx.open_db())
    try:
        entry = queue_entries(repos)[0]
        reason = "To e-skierowanie zostało anulowane przez lekarza, który je wystawił."
        take = repos.outbox.enqueue(OutboxOp.REFERRAL_TAKE, {"key": "1" * 44}, user="test",
                                    visit_id=entry.visit_id)
        repos.outbox.mark_done(take, {"outcome": "referral_refused", "reason": reason})
        items = [item for item in worklist(repos, window.clock())
                 if item.reason == CallReason.REFERRAL_REFUSED]
    finally:
        repos.close()
    assert [item.detail for item in items] == [reason]
    dialog = CallListDialog(lambda _done: items, lambda *_args: None, lambda *_args: None,
                            parent=window)
    qtbot.addWidget(dialog)
    dialog.refresh()
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 2).text() == f"e-skierowanie nie do przyjęcia: {reason}"
    assert dialog.table.item(0, 3).text()  # the visit keeps its term


def test_the_automatic_refresh_reads_the_queue_off_the_ui_thread(qtbot, window, on_dialog,
                                                                  monkeypatch):
    """After any work (and on the timer, on the sync engine's news) the dock's rows are read on
    a thread of their own: the UI thread runs no query of the whole queue then (issue 18)."""
    import threading

    from recepcja.services import emergency

    readers: list[threading.Thread] = []
    real = emergency.queue_entries

    def recording(repos, **options):
        readers.append(threading.current_thread())
        return real(repos, **options)

    monkeypatch.setattr(emergency, "queue_entries", recording)
    panel = _panel(window)
    _book_1040(qtbot, window, on_dialog)  # the booking's work finishing refreshes the dock
    qtbot.waitUntil(lambda: panel.dock.model.rowCount() == 1)
    assert readers and threading.main_thread() not in readers
