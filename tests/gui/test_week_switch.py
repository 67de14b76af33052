"""The worst day switch of the week view (issue 18): what the UI thread no longer does on a
switch - relaying out the window for a wider date, re-polishing an unchanged status field, a
full garbage collection walking the whole start - and the neighbouring weeks read ahead, never
shown stale."""

from __future__ import annotations

import datetime as dt
import gc
import threading

from PySide6.QtCore import QEvent, QObject

from recepcja.domain.model import Urgency
from recepcja.services import booking, day_view
from recepcja.store.repos import Repositories


class _Count(QObject):
    def __init__(self, kind: QEvent.Type) -> None:
        super().__init__()
        self.kind = kind
        self.seen = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # Qt API
        if event.type() == self.kind:
            self.seen += 1
        return False


def test_the_date_keeps_one_size_every_day_and_always_fits(qtbot, window, monday, shown):
    """A longer or shorter date never changes the label's size (that relaid out the whole left
    side of the window, its tables repainted, on some switches), and every date fits."""
    label = window.date_bar.label
    sizes = set()
    for offset in range(8):
        window.go_to(monday + dt.timedelta(days=offset))  # monday is today: "(dziś)" too
        shown(window)
        qtbot.wait(1)  # the layout's turn
        assert label.sizeHint().width() <= label.width(), label.text()
        sizes.add((label.width(), label.height()))
    assert len(sizes) == 1


def test_an_unchanged_pending_count_does_not_restyle_the_status_bar(qtbot, window):
    pending = window.status.pending
    styles = _Count(QEvent.Type.StyleChange)
    pending.installEventFilter(styles)
    window.status.set_pending(3)
    first = styles.seen
    assert first > 0
    for _ in range(5):
        window.status.set_pending(3)  # every status read (every 3 s, every week entered)
    window.status.set_pending(4)
    assert styles.seen == first
    window.status.set_pending(0)
    assert styles.seen > first  # the weight changes: restyled
    assert "Zmiany czekające na CeR: 0" in pending.text()


def test_the_app_moves_the_start_out_of_the_collectors_sight(qtbot, desk_ctx, clock):
    """As the app makes the window: once its first paint and the panels' deferred work are
    done, the start's objects are frozen, so a full collection no longer walks them."""
    from recepcja.gui.main_window import MainWindow

    gc.unfreeze()
    try:
        window = MainWindow(desk_ctx, clock=clock, start_sync=False, panels_after_paint=True)
        qtbot.addWidget(window)
        assert gc.get_freeze_count() == 0
        window.show()
        qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=5000)
        assert window.extensions  # after the panels
        window.close()
    finally:
        gc.unfreeze()


# --- the weeks read ahead ------------------------------------------------------------------


class _HeldWeek:
    """``day_view.schedule_week`` holding the week it read of one monday until ``release()``."""

    def __init__(self, real, monday: dt.date) -> None:
        self.real, self.monday = real, monday
        self.held, self.opened = threading.Event(), threading.Event()

    def __call__(self, repos, info, monday, now, days=7):
        week = self.real(repos, info, monday, now, days)
        if monday == self.monday:  # read: held before it is handed back
            self.held.set()
            assert self.opened.wait(20), "the test never released the read"
        return week

    def release(self) -> None:
        self.opened.set()


def _week_tab(qtbot, window, shown) -> tuple[dt.date, int]:
    """The week tab shown and the next week read ahead: (next monday, schedule id)."""
    window.actions_.week_view.trigger()
    shown(window)
    info = window.views.week_info()
    monday = window.current_day - dt.timedelta(days=window.current_day.weekday())
    ahead = (monday + dt.timedelta(days=7), info.id)
    after = (monday + dt.timedelta(days=14), info.id)  # two weeks read ahead
    this_week = (monday, info.id)  # kept when it was shown
    qtbot.waitUntil(lambda: {ahead, after, this_week} <= window.views.ahead.keys(),
                    timeout=10000)
    qtbot.waitUntil(lambda: window.views._reading_ahead is None, timeout=10000)
    return ahead


_SCHEDULE_WEEK = day_view.schedule_week  # the real read, whatever a test wraps it with


def _count_week_reads(monkeypatch) -> list[dt.date]:
    """The Mondays of the weeks read from now on (``day_view.schedule_week``, counted)."""
    reads: list[dt.date] = []

    def counted(repos, info, week, now, days=7):
        reads.append(week)
        return _SCHEDULE_WEEK(repos, info, week, now, days)

    monkeypatch.setattr(day_view, "schedule_week", counted)
    return reads


def _free_slot(window, day: dt.date) -> int:
    info = window.views.week_info()
    rows = _SCHEDULE_WEEK(window.repos, info, day, window.clock(), days=1)[day]
    return next(row.entry.slot_id for row in rows if row.entry.visit_id is None
                and row.status.value == "free")


def _cell_text(window, slot_id: int) -> str:
    model = window.schedule_view.week_model
    index = model.index_of(slot_id)
    assert index is not None, "the term is not in the shown week"
    return model.data(index)


def _book_elsewhere(desk_ctx, slot_id: int, patient_id: int = 10) -> str:
    """A booking written by somebody else (another desk, CeR's news): the window is not told."""
    with Repositories.over(desk_ctx.open_db()) as repos:
        patient = repos.patients.get(patient_id)
        booking.book(repos, int(patient.id or 0), slot_id, Urgency.STABLE, user="basia",
                     emergency=True, referral_id="SK-1")  # a first visit needs a referral
        return patient.last_name


def test_entering_a_week_read_ahead_shows_it_at_once_without_a_read(qtbot, window, shown,
                                                                   monkeypatch):
    (next_monday, _schedule) = _week_tab(qtbot, window, shown)
    reads = _count_week_reads(monkeypatch)
    for _ in range(7):  # Tuesday ... Sunday, then the next Monday
        window.actions_.next_day.trigger()
    assert window.current_day == next_monday
    assert window.views.settled and reads == []  # shown in the same turn, nothing read
    model = window.schedule_view.week_model
    assert model.day_at(0) == next_monday
    expected = _SCHEDULE_WEEK(window.repos, window.views.week_info(), next_monday,
                              window.clock())
    assert {model.row_at(r, c).entry.slot_id for r in range(model.rowCount())
            for c in range(7) if model.row_at(r, c) is not None} == {
        row.entry.slot_id for rows in expected.values() for row in rows}
    # and the second week after it is read ahead in turn (the first one is there already)
    qtbot.waitUntil(lambda: next_monday + dt.timedelta(days=14) in reads, timeout=10000)
    assert next_monday + dt.timedelta(days=7) not in reads


def test_back_to_the_week_the_desk_came_from_without_a_read_and_ahead_the_other_way(
        qtbot, window, shown, monkeypatch):
    """The week shown last is kept: moving back into it reads nothing; moving back, the
    weeks before it are the ones read ahead."""
    next_monday, schedule = _week_tab(qtbot, window, shown)
    monday = next_monday - dt.timedelta(days=7)
    window.go_to(next_monday)
    qtbot.waitUntil(lambda: window.views._reading_ahead is None and window.views.settled,
                    timeout=10000)
    reads = _count_week_reads(monkeypatch)
    window.actions_.previous_day.trigger()  # Sunday of the week before
    assert window.views.settled and window.schedule_view.week_model.day_at(0) == monday
    qtbot.waitUntil(lambda: monday - dt.timedelta(days=14) in reads, timeout=10000)
    assert monday not in reads and next_monday not in reads
    assert monday - dt.timedelta(days=7) in reads  # back: the two weeks before it


def test_a_visit_booked_in_a_week_read_ahead_shows_when_the_desk_enters_it(
        qtbot, window, shown, on_dialog):
    """Booked through the window in the week read ahead: the week is read again, with it."""
    from recepcja.gui.booking_dialog import BookingRequest

    next_monday, schedule = _week_tab(qtbot, window, shown)
    slot = _free_slot(window, next_monday + dt.timedelta(days=1))
    patient = window.repos.patients.get(12)
    window.submit_booking(BookingRequest(int(patient.id or 0), slot, Urgency.STABLE, None,
                                         "SK-1"))  # a paper referral: a first visit needs one
    qtbot.waitUntil(lambda: window.current_day == next_monday + dt.timedelta(days=1),
                    timeout=10000)  # the window goes to the booked day
    shown(window)
    assert patient.last_name in _cell_text(window, slot)


def test_a_change_the_sync_pass_brings_drops_the_weeks_read_ahead(qtbot, window, shown,
                                                                 desk_ctx):
    """A visit written elsewhere (the sync pass applied CeR's news) in the week read ahead:
    after the pass, entering that week shows it - the week read before is never shown."""
    next_monday, schedule = _week_tab(qtbot, window, shown)
    slot = _free_slot(window, next_monday + dt.timedelta(days=2))
    name = _book_elsewhere(desk_ctx, slot)
    ahead = window.views.ahead
    read_before = ahead.get((next_monday, schedule), ahead.generation, window.clock())
    assert read_before is not None and name not in read_before.cells[read_before.slots[slot]].text
    window.bridge.pass_done.emit([])  # once per sync pass
    shown(window)
    window.go_to(next_monday + dt.timedelta(days=2))
    shown(window)
    assert name in _cell_text(window, slot)


def test_another_desks_change_drops_the_weeks_read_ahead_even_off_the_shown_week(
        qtbot, window, shown, desk_ctx):
    """On a practice database another desk's change of a day outside the shown week reloads
    nothing (``gui/desk_changes.py``), but a week read ahead holding that day is dropped."""
    from recepcja.gui.desk_changes import DeskChanges

    next_monday, schedule = _week_tab(qtbot, window, shown)
    changes = DeskChanges(window)  # its thread not started: the notices are emitted here
    day = next_monday + dt.timedelta(days=3)
    slot = _free_slot(window, day)
    name = _book_elsewhere(desk_ctx, slot)
    changes.changed.emit({day}, {"recepcja-pietro"})
    qtbot.waitUntil(lambda: (next_monday, schedule) not in window.views.ahead.keys(),
                    timeout=5000)
    assert changes.reloads == 0  # the shown week does not hold the day
    window.go_to(day)
    shown(window)
    assert name in _cell_text(window, slot)
    changes.close()


def test_a_week_read_ahead_while_the_data_changed_is_never_shown(qtbot, window, shown,
                                                                desk_ctx, monkeypatch):
    """The read ahead was under way when a change came: its week is refused when it
    arrives, and entering the week reads it again."""
    window.actions_.week_view.trigger()
    shown(window)
    info = window.views.week_info()
    monday = window.current_day - dt.timedelta(days=window.current_day.weekday())
    next_monday = monday + dt.timedelta(days=7)
    gate = _HeldWeek(day_view.schedule_week, next_monday)
    monkeypatch.setattr(day_view, "schedule_week", gate)
    window.views.forget()  # nothing read ahead yet: the gate sees the read
    window.reload(force=False)
    qtbot.waitUntil(gate.held.is_set, timeout=10000)  # the next week being read ahead
    slot = _free_slot(window, next_monday)
    name = _book_elsewhere(desk_ctx, slot)
    window.reload()  # the change is known: the views forget
    gate.release()
    qtbot.waitUntil(lambda: window.views._reading_ahead is None and window.views.settled,
                    timeout=10000)
    window.go_to(next_monday)
    shown(window)
    assert name in _cell_text(window, slot)
    assert info.id == window.views.week_info().id


def test_the_current_cell_is_not_another_term_after_the_week_changes_in_place(
        qtbot, window, shown):
    """A week of the same rhythm replaces the cells in place: the cell the desk had chosen
    stays chosen only where its own term is; in another week no term is the current one."""
    _week_tab(qtbot, window, shown)
    view = window.schedule_view
    model = view.week_model
    index = next(model.index(r, 0) for r in range(model.rowCount())
                 if model.row_at(r, 0) is not None)
    view.week_table.setCurrentIndex(index)
    chosen = view.current_row()
    assert chosen is not None
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    window.go_to(window.current_day + dt.timedelta(days=7))
    shown(window)
    assert resets == []  # in place
    assert view.current_row() is None
    window.go_to(window.current_day - dt.timedelta(days=7))
    shown(window)
    assert view.current_row() is not None
    assert view.current_row().entry.slot_id == chosen.entry.slot_id


def test_a_week_read_ahead_is_true_only_as_long_as_its_past_terms_are():
    """Which terms are past moves with the clock: a week holding the day of its read serves
    for ``FRESH_S``, another week until the day changes; any change of data voids both."""
    from recepcja.gui.weeks_ahead import FRESH_S, WeeksAhead

    ahead = WeeksAhead()
    read = dt.datetime(2026, 11, 25, 10, 5)
    this_week, next_week = (dt.date(2026, 11, 23), 1), (dt.date(2026, 11, 30), 1)
    grid = object()
    assert ahead.put(this_week, ahead.generation, read, grid)  # type: ignore[arg-type]
    assert ahead.put(next_week, ahead.generation, read, grid)  # type: ignore[arg-type]
    later = read + dt.timedelta(seconds=FRESH_S + 1)
    assert ahead.get(next_week, ahead.generation, later) is grid
    assert ahead.get(this_week, ahead.generation, later) is None
    assert ahead.get(next_week, ahead.generation, read + dt.timedelta(days=1)) is None
    asked = ahead.generation
    ahead.drop()
    assert not ahead.put(next_week, asked, read, grid)  # type: ignore[arg-type]
    assert ahead.keys() == set()


def test_filling_a_long_emergency_queue_measures_no_row_numbers(qtbot, monkeypatch):
    """Hundreds of queued rows: the dock no longer numbers them, so a new fill does not
    measure 200 row labels on the UI thread (half of what the first fill cost a switch)."""
    from PySide6.QtCore import Qt

    from recepcja.gui.queue_dock import QueueDock, QueueModel

    asked: list[int] = []
    real = QueueModel.headerData

    def header_data(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Vertical:
            asked.append(section)
        return real(self, section, orientation, role)

    monkeypatch.setattr(QueueModel, "headerData", header_data)
    dock = QueueDock()
    qtbot.addWidget(dock)
    dock.show()
    qtbot.waitExposed(dock)
    rows = [[f"L-R1-{n:06d}", "Nowak Anna", "pon. 23.11.2026 10:00", "stabilny",
             "pon. 23.11.2026 09:00", "basia", "czeka", ""] for n in range(516)]
    dock.set_entries([object()] * 516, rows)  # type: ignore[list-item]
    qtbot.wait(50)
    dock.table.viewport().repaint()
    assert dock.model.rowCount() == 516 and dock.windowTitle() == "Kolejka awaryjna (516)"
    assert asked == []
