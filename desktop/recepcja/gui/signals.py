"""``emit(signal, *args)``: emit a Qt signal from Python without PySide6 6.12.0's reference bug.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit()`` without taking a reference, so
every emit whose result is dropped takes one reference away from ``True``; after a few
thousand emits the interpreter aborts ("bool_dealloc: deallocating True or False"). A desk
window emits that often in a morning. Whether this PySide6 has the bug is measured once, on a
private signal; when it does, each emit gives the reference back. With a fixed PySide6 nothing
is compensated. Every emit in ``gui/`` goes through here.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal()


@functools.cache
def _steals_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    stolen = sys.getrefcount(True) < before - 4
    if stolen:
        for _ in range(8):
            _give_back(True)
    return stolen


def _give_back(value: bool) -> None:
    import ctypes  # only with the buggy PySide6; ~1 ms of the cold start otherwise

    ctypes.pythonapi.Py_IncRef(ctypes.py_object(value))


def emit(signal: Any, *args: Any) -> None:
    result = signal.emit(*args)
    if _steals_reference() and isinstance(result, bool):
        _give_back(result)
