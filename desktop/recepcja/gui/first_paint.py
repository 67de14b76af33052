"""Work that can wait until the window has painted once.

Panels fill docks and start background threads after the receptionist already sees the day:
the callbacks run, in the order they were given, in the event-loop turn after the window's
first paint (at the next turn when the window is already visible; at the latest
``FALLBACK_MS`` after it was shown, should a platform never paint the window itself). A window
that is never shown never runs them - nobody would see the result.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 500


class _FirstPaint(QObject):
    """The window's pending callbacks (one per window, a child of it)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("firstPaint")
        self.window = window
        self.callbacks: list[Callable[[], None]] = []
        self.done = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt API
        if watched is self.window and not self.done:
            if event.type() == QEvent.Type.Paint:
                # Posted now, run once this paint (and its children's) is on the screen.
                QTimer.singleShot(0, self._run)
            elif event.type() == QEvent.Type.Show:
                QTimer.singleShot(FALLBACK_MS, self._run)
        return False

    def _run(self) -> None:
        if self.done:  # the paint and the fallback both came
            return
        self.done = True
        try:
            self.window.removeEventFilter(self)
        except RuntimeError:  # the window is gone: nobody to show anything to
            return
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            callback()


def after_first_paint(window: QWidget, callback: Callable[[], None], *,
                      first: bool = False) -> None:
    """Run ``callback`` on the UI thread once ``window`` has been painted (``first``: before
    the callbacks given earlier)."""
    pending = window.findChild(_FirstPaint, "firstPaint", Qt.FindChildOption.FindDirectChildrenOnly)
    if pending is not None and not pending.done:
        if first:
            pending.callbacks.insert(0, callback)
        else:
            pending.callbacks.append(callback)
    elif window.isVisible():
        QTimer.singleShot(0, callback)
    else:
        _FirstPaint(window).callbacks.append(callback)


def freeze_start_objects() -> None:
    """Move every object the start made (modules, classes, the widgets' wrappers, the
    catalogs: most of the heap, living as long as the window) out of the garbage collector's
    sight (``gc.freeze``). A full collection otherwise walks all of them - 50-100 ms on the
    thread that happens to allocate, the UI thread or a reader holding the GIL: the worst
    day switch of issue 18 - while after this it walks only what was made since. The few
    unreachable cycles the start left are kept (they are not garbage-collected later).

    The collector is switched on here, too: ``python -m recepcja`` starts with it off
    (``recepcja/__main__.py``) so that it does not walk the start's objects while they are
    made; from here on it walks only the new ones."""
    gc.freeze()
    gc.enable()
