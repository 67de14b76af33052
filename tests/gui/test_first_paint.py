"""Deferred start-up work: runs after the window's first paint, in order; never for a window
that is never shown."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from recepcja.gui.first_paint import after_first_paint


def test_callbacks_wait_for_the_first_paint_and_keep_their_order(qtbot):
    window = QMainWindow()
    window.setCentralWidget(QLabel("dzień"))
    qtbot.addWidget(window)
    calls: list[str] = []
    after_first_paint(window, lambda: calls.append("first"))
    after_first_paint(window, lambda: calls.append("second"))
    qtbot.wait(50)
    assert calls == []  # not shown yet
    window.show()
    qtbot.waitUntil(lambda: calls == ["first", "second"], timeout=3000)
    after_first_paint(window, lambda: calls.append("later"))  # already painted: next turn
    qtbot.waitUntil(lambda: calls[-1] == "later", timeout=3000)
    qtbot.wait(600)  # the fallback timer must not run anything twice
    assert calls == ["first", "second", "later"]


def test_a_window_never_shown_runs_nothing(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    calls: list[str] = []
    after_first_paint(window, lambda: calls.append("x"))
    qtbot.wait(700)
    assert calls == []
