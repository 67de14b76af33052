"""The day and week views, navigation, and the visit actions against the local store."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from recepcja.domain.model import WARSAW
from recepcja.gui.day_model import COL_ARRIVAL, COL_CER, COL_PATIENT, COL_STATUS, COL_TIME
from recepcja.services.day_view import TermStatus
from recepcja.store.repos import Repositories


def _row_by_time(window, hhmm: str, schedule_index: int = 0):
    model = window.schedule_view.day_model
    schedule_id = window.schedules[schedule_index].id
    for number, row in enumerate(model.rows()):
        if row.entry.schedule_id == schedule_id and row.start.strftime("%H:%M") == hhmm:
            return number, row
    raise AssertionError(hhmm)


def _text(window, number: int, column: int) -> str:
    model = window.schedule_view.day_model
    return model.data(model.index(number, column))


def _select(window, hhmm: str, qtbot=None) -> None:
    """Select the term's row; with ``qtbot`` by a mouse click (which also focuses the table)."""
    number, _row = _row_by_time(window, hhmm)
    table = window.schedule_view.day_table
    index = window.schedule_view.day_model.index(number, 0)
    if qtbot is None:
        table.selectRow(number)
        table.setCurrentIndex(index)
        return
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(index).center())
    assert window.schedule_view.current_row().entry.slot_id == _row.entry.slot_id


def test_day_view_tells_free_booked_and_past_apart_without_colour(window):
    cases = {"08:00": TermStatus.BOOKED, "08:40": TermStatus.PAST, "10:20": TermStatus.BOOKED,
             "10:40": TermStatus.FREE}
    texts = {}
    for hhmm, status in cases.items():
        number, row = _row_by_time(window, hhmm)
        assert row.status == status
        texts[hhmm] = _text(window, number, COL_STATUS)
    # a symbol AND a word, different for each status (readable without colour)
    assert texts["10:40"].startswith("○") and "wolny" in texts["10:40"]
    assert texts["10:20"].startswith("●") and "zajęty" in texts["10:20"]
    assert texts["08:40"].startswith("–") and "miniony" in texts["08:40"]
    assert len({texts["10:40"], texts["10:20"], texts["08:40"]}) == 3
    number, _row = _row_by_time(window, "10:20")
    assert _text(window, number, COL_PATIENT)
    assert _text(window, number, COL_CER) == "✔ w CeR"
    assert _text(window, number, COL_TIME) == "10:20–10:40"
    model = window.schedule_view.day_model
    background = Qt.ItemDataRole.BackgroundRole
    colours = {model.data(model.index(_row_by_time(window, h)[0], 0), background).name()
               for h in ("08:40", "10:20", "10:40")}
    assert len(colours) == 3


def test_date_navigation_and_polish_dates(qtbot, window, monday):
    label = window.date_bar.label
    assert label.text().startswith("poniedziałek, " + monday.strftime("%d.%m.%Y"))
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.current_day == monday + dt.timedelta(days=1)
    assert label.text().startswith("wtorek")
    window.actions_.previous_day.trigger()
    window.actions_.previous_day.trigger()
    assert window.current_day == monday - dt.timedelta(days=1)
    window.actions_.today.trigger()
    assert window.current_day == monday
    assert "(dzisiaj)" in label.text()


def test_goto_date_dialog(qtbot, window, monday, on_dialog):
    target = monday + dt.timedelta(days=9)

    def pick(dialog) -> None:
        from PySide6.QtCore import QDate

        dialog.calendar.setSelectedDate(QDate(target.year, target.month, target.day))
        qtbot.keyClick(dialog.calendar, Qt.Key.Key_Return)

    on_dialog(pick)
    window.actions_.goto_date.trigger()
    assert window.current_day == target


def test_week_view_shows_the_days_and_picks_one(qtbot, window, monday, shown):
    window.actions_.week_view.trigger()
    shown(window)
    model = window.schedule_view.week_model
    assert model.columnCount() == 7
    assert model.headerData(0, Qt.Orientation.Horizontal) == "▶ pon. " + monday.strftime(
        "%d.%m")  # the day shown in the day view is marked (the year is in the date bar)
    assert model.headerData(1, Qt.Orientation.Horizontal).startswith("wt. ")
    assert model.headerData(0, Qt.Orientation.Vertical) == "08:00"
    cell = model.data(model.index(0, 0))
    assert cell.startswith("●")  # 08:00 on Monday is booked
    model_index = model.index(0, 2)
    window.schedule_view.week_table.activated.emit(model_index)
    assert window.current_day == monday + dt.timedelta(days=2)
    assert window.schedule_view.currentIndex() == 0


def test_next_free_term_selects_it(window):
    _select(window, "10:20")
    window.actions_.next_free.trigger()
    row = window.schedule_view.current_row()
    assert row is not None and row.status == TermStatus.FREE
    assert row.start.strftime("%H:%M") == "10:40"


def test_filters_limit_the_schedules(window, shown):
    filters = window.filters
    assert filters.resource.count() == 3  # all + two doctors
    filters.resource.setCurrentIndex(1)
    shown(window)
    assert len(window.schedules) == 1
    assert {row.entry.schedule_id for row in window.schedule_view.day_model.rows()} == {
        window.schedules[0].id}
    filters.resource.setCurrentIndex(0)
    assert len(window.schedules) == 2


def test_book_cancel_reschedule_and_arrival(qtbot, window, desk_ctx, on_dialog, shown):
    # choose the patient, then the free 10:40 term, then book with Ctrl+N
    with qtbot.waitSignal(window.patients.searched, timeout=3000):
        qtbot.keyClicks(window.patients.query, "Now")
    window.patients.table.selectRow(0)  # among namesakes the desk chooses
    patient = window.patient
    assert patient is not None
    _select(window, "10:40")

    def book(dialog) -> None:
        assert dialog.current().start.strftime("%H:%M") == "10:40"  # the term she was on
        assert "10:40" in dialog.terms.currentItem().text()
        assert dialog.terms.item(0).text().startswith("poniedziałek, ")  # grouped by day
        dialog.urgency.setCurrentIndex(1)  # urgent
        qtbot.keyClicks(dialog.request_id, "ZC-1")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        # cardiology needs a referral: the dialog says so and stays open
        assert dialog.isVisible() and "skierowania" in dialog.error.text()
        qtbot.keyClicks(dialog.referral.edit, "SKIER-7")  # not a key nor a code: refused
        qtbot.keyClick(dialog.referral.edit, Qt.Key.Key_Return)
        assert dialog.isVisible() and "44" in dialog.error.text()
        dialog.referral.setText("")
        qtbot.keyClicks(dialog.referral.edit, "12345678901234567890123456789012345678901234")
        qtbot.keyClick(dialog.referral.edit, Qt.Key.Key_Return)

    on_dialog(book)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    shown(window)
    number, row = _row_by_time(window, "10:40")
    assert row.status == TermStatus.BOOKED and row.entry.patient_id == patient.id
    assert _text(window, number, COL_CER) == "… czeka na CeR"
    assert window.status.pending.text() == "Zmiany czekające na CeR: 1"
    repos = Repositories.over(desk_ctx.open_db())
    try:
        visit = repos.visits.get(int(row.entry.visit_id or 0))
        assert visit.urgency == "urgent" and visit.central_request_id == "ZC-1"
        assert visit.referral_id == "12345678901234567890123456789012345678901234"
    finally:
        repos.close()

    # arrived (Ctrl+1)
    _select(window, "10:40")
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        window.actions_.arrived.trigger()
    shown(window)
    number, row = _row_by_time(window, "10:40")
    assert _text(window, number, COL_ARRIVAL) == "✔ obecność"  # a word that fits every patient

    # reschedule to 11:20
    def move(dialog) -> None:
        assert dialog.moving.isVisible() and "11:00" in dialog.moving.text()
        for i in range(dialog.terms.count()):
            if "11:20" in dialog.terms.item(i).text() and "Nowak" in dialog.terms.item(i).text():
                dialog.terms.setCurrentRow(i)
                break
        dialog.accept()

    _select(window, "11:00")
    on_dialog(move)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        window.actions_.reschedule.trigger()
    shown(window)
    assert _row_by_time(window, "11:00")[1].status == TermStatus.FREE
    assert _row_by_time(window, "11:20")[1].status == TermStatus.BOOKED

    # cancel (Del or Ctrl+D; Del in a text field deletes a character, Ctrl+D works anywhere)
    shortcuts = [k.toString() for k in window.actions_.cancel_visit.shortcuts()]
    assert shortcuts == ["Del", "Ctrl+D"]
    assert "(Del, Ctrl+D)" in window.actions_.cancel_visit.toolTip()
    # it needs a reason; the first OK without one keeps the dialog open
    def cancel(dialog) -> None:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        assert dialog.isVisible() and dialog.error.isVisible()
        dialog.reason.setCurrentIndex(0)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    _select(window, "11:20", qtbot)
    assert window.actions_.cancel_visit.isEnabled()
    on_dialog(cancel)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        qtbot.keyClick(window.schedule_view.day_table, Qt.Key.Key_Delete)
    shown(window)
    assert _row_by_time(window, "11:20")[1].status == TermStatus.FREE
    assert window.status.pending.text() == "Zmiany czekające na CeR: 3"


def test_a_first_visit_without_a_referral_past_the_dialog_is_one_message_and_nothing_saved(
        qtbot, window):
    """A booking request that reaches the service without a referral (the dialog asks for one
    on a first visit; a future path may not): the service's refusal is one line in Polish in
    the window's error box, and nothing is stored."""
    from recepcja.gui.booking_dialog import BookingRequest
    from recepcja.i18n import error_text

    _number, row = _row_by_time(window, "10:40")
    patient = window.repos.patients.search("No", 1)[0]
    visits = window.repos.visits.count()
    shown: list[str] = []
    import recepcja.gui.workers as workers

    original = workers.show_error
    workers.show_error = lambda _parent, error: shown.append(error_text(error))
    try:
        with qtbot.waitSignal(window.runner.finished, timeout=5000):
            window.submit_booking(BookingRequest(int(patient.id or 0), row.entry.slot_id,
                                                 "stable", None, None))
    finally:
        workers.show_error = original
    assert len(shown) == 1 and "\n" not in shown[0]
    assert shown[0].startswith("Termin ") and "to pierwsza wizyta (kardiologia) i wymaga " \
        "skierowania" in shown[0], shown
    assert window.repos.visits.count() == visits
    assert window.repos.slots.get(row.entry.slot_id).state == "free"


def test_booking_a_taken_term_shows_the_conflict(qtbot, window, desk_ctx):
    """Two desks race for one term: the second gets a clear message, not a traceback."""
    from recepcja.gui.booking_dialog import BookingRequest
    from recepcja.services import booking

    number, row = _row_by_time(window, "10:40")
    patient = window.repos.patients.search("No", 2)
    repos = Repositories.over(desk_ctx.open_db())
    try:
        booking.book(repos, int(patient[0].id or 0), row.entry.slot_id, "stable", user="other",
                     now=dt.datetime.combine(row.start.date(), dt.time(7), WARSAW),
                     referral_id="SK-1")
    finally:
        repos.close()
    shown: list[str] = []
    import recepcja.gui.workers as workers

    original = workers.show_error
    workers.show_error = lambda _parent, error: shown.append(str(error))
    try:
        with qtbot.waitSignal(window.runner.finished, timeout=5000):
            window.submit_booking(BookingRequest(int(patient[1].id or 0), row.entry.slot_id,
                                                 "stable", None, None))
    finally:
        workers.show_error = original
    assert shown and "taken" in shown[0]
