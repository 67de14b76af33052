"""The worst day switch of the week view (issue 18): what the UI thread no longer does on a
switch - relaying out the window for a wider date, re-polishing an unchanged status field, a
full garbage collection walking the whole start - and the neighbouring weeks read ahead, never
shown stale."""

from __future__ import annotations

import datetime as dt
import gc

from PySide6.QtCore import QEvent, QObject


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
