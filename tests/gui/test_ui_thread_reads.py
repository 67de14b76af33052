"""The day sheet and the booking dialog's free terms are read off the UI thread (issue 18): the
views still show the right data, a "loading" word shows while a read is slow, and a result that
is no longer wanted (an older day finishing after the desk moved on) is dropped."""

from __future__ import annotations

import datetime as dt
import threading

from PySide6.QtWidgets import QApplication

from recepcja.domain.model import Urgency
from recepcja.services import booking_terms, day_view


class Gate:
    """Wraps a reading function: records the thread each call ran on, and holds the calls
    ``hold(args)`` says to hold until ``release()``."""

    def __init__(self, real, hold=lambda *args: False) -> None:
        self.real = real
        self.hold = hold
        self.threads: list[threading.Thread] = []
        self.held = threading.Event()  # a held call is waiting
        self.opened = threading.Event()

    def __call__(self, *args, **kwargs):
        self.threads.append(threading.current_thread())
        if self.hold(*args):
            self.held.set()
            assert self.opened.wait(20), "the test never released the read"
        return self.real(*args, **kwargs)

    def release(self) -> None:
        self.opened.set()


def test_day_view_reads_off_the_ui_thread_and_shows_the_right_day(qtbot, window, shown,
                                                                   monkeypatch):
    gate = Gate(day_view.day_rows)
    monkeypatch.setattr(day_view, "day_rows", gate)
    tuesday = window.current_day + dt.timedelta(days=1)
    window.actions_.next_day.trigger()
    shown(window)
    assert gate.threads and threading.main_thread() not in gate.threads
    expected = day_view.day_rows.real(window.repos, window.schedules, tuesday, window.clock())
    rows = window.schedule_view.day_model.rows()
    assert rows and [r.entry.slot_id for r in rows] == [r.entry.slot_id for r in expected]
    assert {r.start.date() for r in rows} == {tuesday}
    assert not window.date_bar.loading.isVisible()


def test_an_older_day_finishing_after_a_newer_request_is_dropped(qtbot, window, shown,
                                                                 monkeypatch):
    monday = window.current_day
    tuesday, wednesday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=2)
    gate = Gate(day_view.day_rows, hold=lambda _repos, _schedules, day, _now: day == tuesday)
    monkeypatch.setattr(day_view, "day_rows", gate)
    days_shown: list[set[dt.date]] = []
    show_day = window.schedule_view.show_day
    monkeypatch.setattr(window.schedule_view, "show_day",
                        lambda rows: (days_shown.append({r.start.date() for r in rows}),
                                      show_day(rows)))
    dropped = window.views.dropped
    window.actions_.next_day.trigger()  # Tuesday: held in the reader
    assert gate.held.wait(10)
    window.actions_.next_day.trigger()  # Wednesday, asked while Tuesday is being read
    qtbot.waitUntil(window.date_bar.loading.isVisible, timeout=5000)  # "wczytywanie…"
    assert window.date_bar.loading.text() == "wczytywanie…"
    assert {r.start.date() for r in window.schedule_view.day_model.rows()} == {monday}
    gate.release()
    shown(window)
    assert days_shown == [{wednesday}]  # Tuesday's rows never reached the view
    assert window.views.dropped == dropped + 1
    assert {r.start.date() for r in window.schedule_view.day_model.rows()} == {wednesday}
    assert not window.date_bar.loading.isVisible()


def test_booking_dialog_reads_its_terms_off_the_ui_thread(qtbot, window, monkeypatch):
    load = Gate(booking_terms.offers, hold=lambda *_args: not load.opened.is_set())
    monkeypatch.setattr(booking_terms, "offers", load)
    patient = window.repos.patients.get(5)
    assert patient is not None
    dialog = window.booking.dialog(patient)
    qtbot.addWidget(dialog)
    dialog.show()
    assert load.held.wait(10)
    assert dialog.loading
    assert dialog.terms.item(0).text() == "Wczytywanie wolnych terminów…"
    load.release()
    qtbot.waitUntil(lambda: not dialog.loading, timeout=10000)
    assert threading.main_thread() not in load.threads
    now = window.clock()
    expected = booking_terms.offers.real(window.repos, "cardiology", now, window.scopes)
    offers = [dialog.terms.item(r).data(256) for r in range(dialog.terms.count())]
    assert [o.slot_id for o in offers if o is not None] == [o.slot_id for o in expected]
    first = booking_terms.first_allowed(window.repos, "cardiology", Urgency.STABLE, now)
    assert dialog.current() is not None and dialog.current().slot_id == first
    assert "Pierwszy dozwolony termin" in dialog.first_line.text()
    dialog.reject()


def test_enter_before_the_terms_came_moves_once_they_are_there(qtbot, window, monkeypatch):
    from recepcja.gui.booking_dialog import BookingDialog

    load = Gate(booking_terms.offers, hold=lambda *_args: True)
    monkeypatch.setattr(booking_terms, "offers", load)
    flow = window.booking
    dialog = BookingDialog(window.repos.patients.get(5), flow._load_terms, scope="cardiology",
                           reschedule=True, runner=flow.reader, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert load.held.wait(10)
    dialog.accept()  # Enter while loading
    assert dialog.request is None and dialog.isVisible()
    load.release()
    qtbot.waitUntil(lambda: dialog.request is not None, timeout=10000)
    nearest = booking_terms.offers.real(window.repos, "cardiology", window.clock(),
                                        window.scopes)[0]
    assert dialog.request.slot_id == nearest.slot_id and not dialog.isVisible()


def test_terms_of_a_scope_no_longer_chosen_are_dropped(qtbot, window, monkeypatch):
    calls: list[int] = []

    def hold(*_args) -> bool:
        calls.append(1)
        return len(calls) == 1  # the first read is held until a second one was asked

    load = Gate(booking_terms.offers, hold=hold)
    monkeypatch.setattr(booking_terms, "offers", load)
    patient = window.repos.patients.get(5)
    dialog = window.booking.dialog(patient)
    qtbot.addWidget(dialog)
    assert load.held.wait(10)
    dialog.urgency.setCurrentIndex(1)  # urgent: the first lawful term while loading
    dialog._scope_changed()  # read again (as another scope chosen would)
    load.release()
    qtbot.waitUntil(lambda: not dialog.loading, timeout=10000)
    window.booking.reader.wait(10000)
    QApplication.processEvents()  # every queued result handled
    assert len(calls) == 2
    offers = [dialog.terms.item(r).data(256) for r in range(dialog.terms.count())]
    assert [o for o in offers if o is not None]
    assert dialog.terms.count() == len({o.day for o in offers if o is not None}) + sum(
        o is not None for o in offers)  # filled once: no rows of the dropped read added
    assert "Pierwszy dozwolony termin" in dialog.first_line.text()
    dialog.reject()


def test_an_unchanged_emergency_queue_does_not_reset_the_dock(qtbot):
    """The dock's refresh (every 15 s, after every piece of work) landed in the week view's
    worst day switch: the same rows again must cost no reset and no relayout."""
    from recepcja.gui.queue_dock import QueueDock

    dock = QueueDock()
    qtbot.addWidget(dock)
    cells = [[f"P-{n}", f"Nowak {n}", "", "stabilny", "", "basia", "", ""] for n in range(3)]
    resets: list[int] = []
    dock.model.modelReset.connect(lambda: resets.append(1))
    dock.set_entries([object()] * 3, cells)
    dock.set_entries([object()] * 3, [list(row) for row in cells])  # a refresh, same queue
    assert len(resets) == 1 and dock.model.rowCount() == 3
    assert dock.windowTitle() == "Kolejka awaryjna (3)"
    dock.set_entries([object()] * 2, cells[:2])  # one replayed: shown at once
    assert len(resets) == 2 and dock.model.rowCount() == 2


def test_the_week_is_read_off_the_ui_thread(qtbot, window, shown, monkeypatch):
    gate = Gate(day_view.schedule_week)
    monkeypatch.setattr(day_view, "schedule_week", gate)
    window.actions_.week_view.trigger()
    for _ in range(7):  # into the next week
        window.actions_.next_day.trigger()
    shown(window)
    assert gate.threads and threading.main_thread() not in gate.threads
    info = window.views.week_info()
    monday = window.current_day - dt.timedelta(days=window.current_day.weekday())
    expected = day_view.schedule_week.real(window.repos, info, monday, window.clock())
    week = window.schedule_view.week_model
    assert [week.day_at(c) for c in range(7)] == sorted(expected)
    assert {week.row_at(r, c).entry.slot_id for r in range(week.rowCount()) for c in range(7)
            if week.row_at(r, c) is not None} == {
        row.entry.slot_id for rows in expected.values() for row in rows}


def test_the_reader_keeps_its_connection_and_opens_a_new_one_after_a_failed_read(
        qtbot, window, shown, monkeypatch):
    monday = window.current_day
    connection = window.views._connection  # the reader thread's
    first = connection._repos
    assert first is not None
    for _ in range(3):
        window.actions_.next_day.trigger()
        shown(window)
    window.refresh_status()
    shown(window)
    assert connection._repos is first  # the reads and the status numbers on the same one
    real_rows = day_view.day_rows
    failing = [True]

    def rows_or_failure(*args):
        if failing and failing.pop():
            raise OSError("disk I/O error")
        return real_rows(*args)

    monkeypatch.setattr(day_view, "day_rows", rows_or_failure)
    window.actions_.next_day.trigger()
    shown(window)  # the failure is told in a message box (not asserted here)
    assert connection._repos is None  # closed with the failed read
    window.go_to(monday + dt.timedelta(days=1))  # a working day again
    shown(window)
    assert connection._repos is not None and connection._repos is not first
    assert {r.start.date() for r in window.schedule_view.day_model.rows()} == {
        monday + dt.timedelta(days=1)}


def test_a_failed_read_of_the_status_numbers_alone_opens_no_message_box(qtbot, window, shown,
                                                                        monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    def broken(_repos):
        raise OSError("disk I/O error")

    monkeypatch.setattr(day_view, "status_numbers", broken)
    window.refresh_status()  # as the 3 s timer does
    shown(window)
    assert not [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    window.actions_.next_day.trigger()  # what the desk asked for: told
    shown(window)
    assert [box for box in window.findChildren(QMessageBox) if box.isVisible()]
