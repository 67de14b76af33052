"""PySide6 6.12.0 takes a reference away from ``True`` at every ``emit()`` (the interpreter
aborts after a few thousand); ``gui.signals.emit`` gives it back, and ``gui/`` uses only it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal

import recepcja.gui
from recepcja.gui.signals import emit


class _Sender(QObject):
    changed = Signal(int)


def test_many_emits_keep_true_alive():
    sender = _Sender()
    received: list[int] = []
    sender.changed.connect(received.append)
    before = sys.getrefcount(True)
    for number in range(5000):
        emit(sender.changed, number)
    assert len(received) == 5000
    assert sys.getrefcount(True) >= before - 50  # not 5000 fewer


def test_gui_never_emits_directly():
    folder = Path(recepcja.gui.__file__).parent
    raw = [f"{path.name}:{n}" for path in folder.glob("*.py") if path.name != "signals.py"
           for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           if re.search(r"\.emit\(", line)]
    assert not raw, raw
