"""The patient card (issue 14): reached from the search (Enter, double click), from the day view
(Enter on a booked term) and with F4; it shows the data and phone, the visits ahead and behind
with their CeR state in words, the calls to the patient, and keeps the desk's notes. Reading it
leaves an audit row; a visit chosen on it is shown in the day view."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from recepcja.domain.model import WARSAW, Urgency
from recepcja.gui.patient_card import PatientCardDialog
from recepcja.gui.schedule_view import DAY_TAB
from recepcja.services import booking
from recepcja.store.patient_card import CallOutcome, PatientCardRepo
from recepcja.store.repos import Repositories


def _repos(ctx) -> Repositories:
    return Repositories.over(ctx.open_db())


def _booked(window, hhmm: str):
    for number, row in enumerate(window.schedule_view.day_model.rows()):
        if row.entry.visit_id and row.start.strftime("%H:%M") == hhmm:
            return number, row
    raise AssertionError(hhmm)


def _card_opened_by(qtbot, window, on_dialog, act) -> dict:
    """Run ``act``; the card it opens is read (texts of its tables) and closed."""
    seen: dict = {}

    def read(dialog) -> None:
        assert isinstance(dialog, PatientCardDialog)
        seen["dialog"] = dialog
        seen["title"] = dialog.windowTitle()
        seen["phone"] = dialog.phone.text()
        for name, table in (("upcoming", dialog.upcoming), ("past", dialog.past),
                            ("calls", dialog.calls)):
            seen[name] = [[table.item(r, c).text() if table.item(r, c) else ""
                           for c in range(table.columnCount())] for r in range(table.rowCount())]
        seen["tabs"] = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
        dialog.reject()

    on_dialog(read)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        act()
    qtbot.waitUntil(lambda: "dialog" in seen, timeout=5000)
    return seen


def test_card_from_the_search_shows_visits_in_words_and_is_audited(qtbot, window, desk_ctx,
                                                                   on_dialog, monday):
    number, row = _booked(window, "10:20")
    patient = window.repos.patients.get(int(row.entry.patient_id or 0))
    repos = _repos(desk_ctx)
    try:  # a visit next week too (waiting for CeR) and a cancelled one
        later = repos.slots.for_day(row.entry.schedule_id, monday + dt.timedelta(days=7))[1]
        moved = booking.book(repos, int(patient.id or 0), int(later.id or 0), Urgency.URGENT,
                             user="test", referral_id="1234", now=window.clock())
        gone = repos.slots.for_day(row.entry.schedule_id, monday + dt.timedelta(days=8))[0]
        cancelled = booking.book(repos, int(patient.id or 0), int(gone.id or 0), Urgency.STABLE,
                                 user="test", referral_id="1234", now=window.clock())
        booking.cancel(repos, cancelled.visit.id, "na prośbę pacjenta", user="test")
    finally:
        repos.close()
    panel = window.patients
    with qtbot.waitSignal(panel.searched, timeout=3000):
        qtbot.keyClicks(panel.query, patient.identifier.pesel)
    assert window.patient is not None and window.patient.id == patient.id  # unique: chosen
    qtbot.keyClick(panel.query, Qt.Key.Key_Return)  # Enter: into the results
    assert panel.table.hasFocus()
    card = _card_opened_by(qtbot, window, on_dialog,
                           lambda: qtbot.keyClick(panel.table, Qt.Key.Key_Return))
    assert patient.last_name in card["title"]
    assert card["tabs"] == ["Nadchodzące wizyty (2)", "Wcześniejsze wizyty (1)", "Rozmowy (0)"]
    first, second = card["upcoming"]
    assert first[0] == f"pon. {monday:%d.%m.%Y} 10:20–10:40"
    assert first[1] == "lek. Anna Nowak" and first[3] == "pierwszorazowa"
    assert first[4] == "stabilny" and first[5] == "w CeR"
    assert second[4] == "! pilny" and second[5] == "czeka na CeR"
    assert card["past"][0][-1] == "odwołana"
    assert card["calls"] == [["Brak zapisanych rozmów.", "", "", "", ""]]
    repos = _repos(desk_ctx)
    try:
        actions = [(a.action, a.detail) for a in repos.audit.for_patient(int(patient.id or 0))]
    finally:
        repos.close()
    assert ("patient.show", "window") in actions
    assert moved.visit.id  # (used above)


def test_double_click_in_the_search_and_f4_open_the_card(qtbot, window, on_dialog):
    panel = window.patients
    with qtbot.waitSignal(panel.searched, timeout=3000):
        qtbot.keyClicks(panel.query, "No")
    assert panel.model.rowCount() > 1 and window.patient is None  # namesakes: none chosen
    index = panel.model.index(1, 0)
    rect = panel.table.visualRect(index)
    def double_click() -> None:  # a press first, as a real double click has
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    card = _card_opened_by(qtbot, window, on_dialog, double_click)
    chosen = panel.model.patient_at(1)
    assert chosen.last_name in card["title"]
    assert window.patient is not None and window.patient.id == chosen.id  # and now chosen
    card = _card_opened_by(qtbot, window, on_dialog, window.actions_.patient_card.trigger)
    assert chosen.last_name in card["title"]
    assert window.actions_.patient_card.shortcut().toString() == "F4"


def test_card_from_the_day_view_and_a_visit_chosen_on_it_shown_there(qtbot, window, desk_ctx,
                                                                     on_dialog, monday, shown):
    number, row = _booked(window, "11:00")
    repos = _repos(desk_ctx)
    try:
        later = repos.slots.for_day(row.entry.schedule_id, monday + dt.timedelta(days=3))[2]
        booking.book(repos, int(row.entry.patient_id or 0), int(later.id or 0), Urgency.STABLE,
                     user="test", referral_id="1234", now=window.clock())
    finally:
        repos.close()
    window.reload()
    shown(window)
    table = window.schedule_view.day_table
    table.setFocus()
    table.setCurrentIndex(window.schedule_view.day_model.index(number, 0))
    chosen: dict = {}

    def pick_the_later_visit(dialog) -> None:
        chosen["title"] = dialog.windowTitle()
        upcoming = dialog.upcoming
        upcoming.setFocus()
        upcoming.setCurrentCell(1, 0)
        qtbot.keyClick(upcoming, Qt.Key.Key_Return)

    on_dialog(pick_the_later_visit)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        qtbot.keyClick(table, Qt.Key.Key_Return)  # Enter on a booked term: the card
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None and "title" in chosen,
                    timeout=5000)
    shown(window)  # the visit's day, read off the UI thread
    assert row.patient_name.split()[0] in chosen["title"]
    assert window.schedule_view.currentIndex() == DAY_TAB
    assert window.current_day == monday + dt.timedelta(days=3)
    assert window.schedule_view.current_row().entry.slot_id == later.id


def test_notes_are_kept_calls_are_listed_and_closing_saves(qtbot, window, desk_ctx, on_dialog):
    number, row = _booked(window, "10:20")
    patient_id = int(row.entry.patient_id or 0)
    repos = _repos(desk_ctx)
    try:
        PatientCardRepo(repos.db).add_call(patient_id, CallOutcome.NO_ANSWER, "anna",
                                           visit_id=row.entry.visit_id, reason="przeniesiona",
                                           at=window.clock())
    finally:
        repos.close()

    def write_notes(dialog) -> None:
        assert dialog.calls.item(0, 3).text() == "nie odbiera"
        assert dialog.calls.item(0, 1).text() == "anna"
        dialog.notes.setFocus()
        qtbot.keyClicks(dialog.notes, "Niedoslyszy")  # QTest types ASCII only
        dialog.notes.insertPlainText(" - dzwonić do córki")
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # closing keeps what was typed

    on_dialog(write_notes)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):  # the card is read
        window.schedule_view.row_activated.emit(row)  # as Enter on the booked term does
    qtbot.waitUntil(lambda: window.status.currentMessage() == "Uwagi zapisane.", timeout=5000)
    repos = _repos(desk_ctx)
    try:
        assert PatientCardRepo(repos.db).notes(patient_id) == "Niedoslyszy - dzwonić do córki"
        actions = [entry.action for entry in repos.audit.for_patient(patient_id)]
        assert actions[:2] == ["patient.notes", "patient.show"]  # read, then the notes saved
    finally:
        repos.close()
    assert window.status.currentMessage() == "Uwagi zapisane."


def test_the_card_shows_a_day_in_the_past_and_warsaw_times(window, desk_ctx, monday):
    """The card's service on its own: 08:00 on the fixture's Monday is past at 10:05."""
    from recepcja.services.patient_card import read_card

    number, row = _booked(window, "08:00")
    repos = _repos(desk_ctx)
    try:
        card = read_card(repos, int(row.entry.patient_id or 0),
                         dt.datetime.combine(monday, dt.time(10, 5), WARSAW), "test", "test")
    finally:
        repos.close()
    assert [v.start.astimezone(WARSAW).strftime("%H:%M") for v in card.past] == ["08:00"]
    assert card.upcoming == ()
