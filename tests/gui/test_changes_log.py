"""The "Changes from CeR" log (issue 14): when each change arrived, the whole term (day, time,
doctor, place), and Enter or a double click shows that term in the day view. The changes come
through the real applier from stored notifications, as CeR's pull or push brings them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject

from recepcja.cer.types import CerNotification, CerPatient, CerVisit, NotificationKind
from recepcja.domain.entities import PatientIdentifier
from recepcja.domain.model import WARSAW, VisitSource
from recepcja.gui.schedule_view import DAY_TAB
from recepcja.gui.sync_panel import SyncPanel
from recepcja.store.repos import Repositories
from recepcja.sync.notifications import NotificationApplier, store_notification


def _portal_booking(ctx, monday: dt.date):
    """dr Zieliński's 12:40 term on Wednesday, published, booked by a patient in IKP."""
    repos = Repositories.over(ctx.open_db())
    try:
        schedule = repos.schedules.list()[1]
        repos.schedules.mark_created_in_cer(int(schedule.id or 0), "HARM-2")
        day = monday + dt.timedelta(days=2)
        slot = next(s for s in repos.slots.for_day(int(schedule.id or 0), day)
                    if s.start.astimezone(WARSAW).strftime("%H:%M") == "12:40")
        repos.slots.mark_published([(int(slot.id or 0), "SLOT-2-1240")])
        received = dt.datetime.now(WARSAW)
        visit = CerVisit(
            cer_id="WIZ-IKP-1", visit_uid=None, schedule_cer_id="HARM-2",
            slot_cer_id="SLOT-2-1240", start=slot.start, end=slot.end,
            patient=CerPatient(PatientIdentifier(pesel="61040212349"), "Zofia", "Kowalczyk"),
            urgency=None, central_request_id=None, referral_id=None, source=VisitSource.PORTAL,
            cancelled=False, version=1, changed_at=received)
        store_notification(repos, CerNotification("N-1", NotificationKind.PORTAL_BOOKING,
                                                  received, "MUS-1", visit), "pull")
        changes = NotificationApplier(repos).apply_pending()
        return changes, slot, day, received
    finally:
        repos.close()


def test_log_names_received_time_and_full_term_and_jumps_to_it(qtbot, window, desk_ctx,
                                                               monday, shown):
    panel = next(e for e in window.extensions if isinstance(e, SyncPanel))
    first_paint = window.findChild(QObject, "firstPaint")  # the log is read after it
    qtbot.waitUntil(lambda: first_paint is None or first_paint.done, timeout=3000)
    changes, slot, day, received = _portal_booking(desk_ctx, monday)
    assert len(changes) == 1
    panel.changes_arrived.emit(changes)  # as the notification thread tells the window
    dock = panel.dock
    qtbot.waitUntil(lambda: dock.changes.rowCount() == 1, timeout=3000)
    cells = [dock.changes.item(0, c).text() for c in range(3)]
    assert cells[0] == received.strftime("%d.%m %H:%M")
    assert cells[1] == (f"śr. {day:%d.%m.%Y} 12:40–13:00, lek. Piotr Zieliński, "
                        "Poradnia Kardiologiczna (szkolenie)")
    assert "Zofia Kowalczyk" in cells[2]
    assert [dock.changes.horizontalHeaderItem(c).text() for c in range(3)] == [
        "Otrzymano", "Termin", "Zmiana"]

    window.filters.resource.setCurrentIndex(1)  # only dr Nowak shown: the jump shows all
    dock.show()
    dock.changes.setFocus()
    dock.changes.setCurrentCell(0, 1)
    dock.changes.activated.emit(dock.changes.currentIndex())  # Enter / double click
    shown(window)  # the day is read off the UI thread, then the term selected
    assert window.schedule_view.currentIndex() == DAY_TAB
    assert window.current_day == day
    row = window.schedule_view.current_row()
    assert row is not None and row.entry.slot_id == slot.id
    assert row.patient_name == "Kowalczyk Zofia"

    # the log read at start (after the first paint) says the same
    reads = panel.log_reads
    panel._load_log()  # what the window runs after its first paint
    qtbot.waitUntil(lambda: panel.log_reads > reads, timeout=10_000)  # read off the UI thread
    assert [dock.changes.item(0, c).text() for c in range(3)] == cells


def test_the_log_is_read_off_the_ui_thread_at_start_and_appears(qtbot, desk_ctx, monday,
                                                                 clock, monkeypatch):
    """As the app makes the window (panels after the first paint): the log of changes is read
    on a thread of its own - its module and its read no longer cost the UI thread ~50 ms
    in the turn after the first paint - and it is in the dock."""
    import threading

    from recepcja.gui.main_window import MainWindow
    from recepcja.sync import notifications

    _portal_booking(desk_ctx, monday)
    threads: list[threading.Thread] = []
    real = notifications.change_log

    def change_log(repos, limit=100):
        threads.append(threading.current_thread())
        return real(repos, limit)

    monkeypatch.setattr(notifications, "change_log", change_log)
    window = MainWindow(desk_ctx, clock=clock, start_sync=False, panels_after_paint=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(window.extensions), timeout=5000)
    panel = next(e for e in window.extensions if isinstance(e, SyncPanel))
    qtbot.waitUntil(lambda: panel.log_reads == 1, timeout=10_000)
    assert threads and threading.main_thread() not in threads
    assert [m for m in panel.dock.messages() if "Zofia Kowalczyk" in m]
    window.close()


def test_a_change_arriving_while_the_log_is_read_is_shown_once(qtbot, window, desk_ctx,
                                                               monday, monkeypatch):
    import threading

    from recepcja.sync import notifications

    panel = next(e for e in window.extensions if isinstance(e, SyncPanel))
    qtbot.waitUntil(lambda: panel.log_reads == 1, timeout=10_000)  # the window's own read
    changes, *_rest = _portal_booking(desk_ctx, monday)
    held, opened = threading.Event(), threading.Event()
    real = notifications.change_log

    def slow_log(repos, limit=100):
        read = real(repos, limit)  # it holds the change already
        held.set()
        assert opened.wait(20)
        return read

    monkeypatch.setattr(notifications, "change_log", slow_log)
    panel._early = []  # as at start: the log not shown yet
    panel._load_log()
    qtbot.waitUntil(held.is_set, timeout=10_000)
    panel.changes_arrived.emit(changes)  # the notification thread's news, meanwhile
    qtbot.waitUntil(lambda: panel.dock.changes.rowCount() == 1, timeout=3000)
    opened.set()
    qtbot.waitUntil(lambda: panel.log_reads == 2, timeout=10_000)
    assert len([m for m in panel.dock.messages() if "Zofia Kowalczyk" in m]) == 1
