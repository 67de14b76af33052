"""Every string the receptionist sees in the main window is Polish.

The window is built twice over the same data, in English (the source language) and in Polish;
every visible text (labels, buttons, menus, actions, tooltips, placeholders, tabs, column
headers, the title) is collected in the same order. A text that reads the same in both and has
letters in it was not translated - unless it is data (names from the database) or one of the
few words that are Polish already (CeR, PESEL, OK...).
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabWidget,
    QWidget,
)

from recepcja.gui.queue_panel import QueuePanel
from recepcja.i18n import catalog

SAME_IN_BOTH = {"CeR", "OK", "Recepcja", "PESEL", "PESEL:", "ID"}


def visible_texts(window: QWidget) -> list[str]:
    texts = [window.windowTitle()]
    for widget in [window, *window.findChildren(QWidget)]:
        texts.append(widget.toolTip())
        if isinstance(widget, QLabel):
            texts.append(re.sub(r"<[^>]+>", "", widget.text()))
        elif isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QTabWidget):
            texts.extend(widget.tabText(i) for i in range(widget.count()))
        elif isinstance(widget, QMenu):
            texts.append(widget.title())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            texts.extend(str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                         for c in range(model.columnCount()))
        for action in widget.actions():
            texts.extend((action.text(), action.toolTip()))
    return [t.replace("&", "") for t in texts]


def _data_words(window) -> set[str]:
    """Names that come from the database (doctors, places, schedules), not from the code."""
    repos = window.repos
    words = {r.name for r in repos.practice.resources()} | {p.name for p in repos.practice.places()}
    words |= {s.name for s in repos.schedules.list()}
    words |= {scope.name_pl for scope in window.scopes}  # the registry's Polish names
    return words


@pytest.fixture
def two_windows(qtbot, desk_ctx, clock, monkeypatch, shown):
    from recepcja.gui.main_window import MainWindow

    built = {}
    for language in ("en", "pl"):
        monkeypatch.setenv("RECEPCJA_LANG", language)
        win = MainWindow(desk_ctx, clock=clock, start_sync=False)
        qtbot.addWidget(win)
        win.show()
        # In this window's language: its day (read off the UI thread) and what it does after
        # its first paint (the queue dock's title), before the next window switches language.
        shown(win)
        first_paint = win.findChild(QObject, "firstPaint")
        qtbot.waitUntil(lambda fp=first_paint: fp is None or fp.done, timeout=5000)
        queue = next(e for e in win.extensions if isinstance(e, QueuePanel))
        qtbot.waitUntil(lambda q=queue: not q._reading, timeout=5000)
        built[language] = win
    yield built
    for win in built.values():
        win.close()


def test_every_visible_text_of_the_main_window_is_polish(two_windows):
    english = visible_texts(two_windows["en"])
    polish = visible_texts(two_windows["pl"])
    assert len(english) == len(polish) > 100
    data = _data_words(two_windows["pl"])
    untranslated = sorted({
        pl for en, pl in zip(english, polish, strict=True)
        if en == pl and re.search(r"[A-Za-z]{2}", pl) and pl not in SAME_IN_BOTH
        and pl not in data and not any(pl.endswith(word) for word in data)
    })
    assert not untranslated, untranslated
    # and no English source string leaks into the Polish window
    sources = {msgid for msgid, msgstr in catalog("pl").items() if msgid != msgstr}
    leaked = sorted({t for t in polish if t in sources})
    assert not leaked, leaked


def test_shortcuts_are_in_menus_and_tooltips(two_windows):
    window = two_windows["pl"]
    actions = window.actions_
    expected = {
        actions.find_patient: "Ctrl+F",
        actions.book: "Ctrl+N",
        actions.next_free: "F3",
        actions.today: "Ctrl+T",
        actions.cancel_visit: "Del",
        actions.goto_date: "Ctrl+G",
    }
    for action, key in expected.items():
        assert action.shortcut().toString() == key
        assert f"({key}" in action.toolTip()
    assert actions.book.toolTip() == "Zarezerwuj wizytę (Ctrl+N, Ctrl+B)"
