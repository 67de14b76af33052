"""Keystrokes from "the patient calls" (Ctrl+F) to "booked and the confirmation printed", for
a stable cardiology patient found by PESEL who reads the e-referral's 4-digit code out on the
phone. Each key press on a real widget is counted; the figure is in docs/BENCHMARKS.md.

Before (issue 14): Ctrl+F, 11 digits, Enter, Ctrl+N, Tab x4 to the referral, 4 digits, Enter,
Ctrl+P, Enter in the print dialog = 25. Now: the patient found by PESEL is chosen, the dialog
opens on the first lawful term with the focus on the referral the scope needs, and the Enter
that books also prints.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from recepcja.domain.model import Urgency
from recepcja.gui.booking_flow import ReadBack

GOAL = 18


class Keys:
    """Presses keys on whatever has the focus, counting them."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot
        self.count = 0

    def press(self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
              widget=None) -> None:
        self.count += 1
        self.qtbot.keyClick(widget or QApplication.focusWidget(), key, modifier)

    def type(self, text: str) -> None:
        for char in text:
            self.count += 1
            self.qtbot.keyClicks(QApplication.focusWidget(), char)


def test_patient_calls_to_booked_and_printed_in_at_most_18_keys(qtbot, window, on_dialog,
                                                                printed):
    patient = next(p for p in (window.repos.patients.get(n) for n in range(1, 61))
                   if p is not None and p.identifier.pesel)
    keys = Keys(qtbot)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)

    keys.press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier, widget=window)
    assert QApplication.focusWidget() is window.patients.query
    with qtbot.waitSignal(window.patients.searched, timeout=3000):
        keys.type(patient.identifier.pesel)
    assert window.patient is not None and window.patient.id == patient.id  # one PESEL, one

    seen: dict[str, object] = {}

    def book(dialog) -> None:
        seen["first"] = dialog.first_line.text()
        seen["term"] = dialog.current()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.referral.edit,
                        timeout=2000)  # the focus is where the scope still needs something
        keys.type("7301")  # the access code, read out by the patient
        keys.press(Qt.Key.Key_Return)

    on_dialog(book)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        keys.press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier, widget=window)

    offer = seen["term"]
    assert "Pierwszy dozwolony termin" in str(seen["first"])
    visit = window.repos.visits.live_for_slot(offer.slot_id)
    assert visit is not None and visit.patient_id == patient.id
    assert visit.urgency == Urgency.STABLE and visit.referral_id == "7301"
    [(_title, confirmation)] = printed  # on the default printer, no dialog
    assert patient.last_name in confirmation
    readback = window.findChild(ReadBack)
    assert readback.isVisible() and "zabrać: skierowanie, dokument tożsamości" in readback.text()
    assert keys.count <= GOAL, keys.count
    assert keys.count == 18  # recorded in docs/BENCHMARKS.md


@pytest.mark.slow
def test_the_same_18_keys_when_the_code_is_read_from_p1(qtbot, sim_window, training_session,
                                                        on_dialog, printed):
    """Training mode: P1's e-referral service answers (the simulator). The one referral field
    reads the code with the patient's PESEL; the same Enter books once P1 has confirmed it."""
    window = sim_window
    patient = next(p for p in window.repos.patients.search("Now", 50) if p.identifier.pesel)
    issued = training_session.control("POST", "referrals", {"pesel": patient.identifier.pesel})
    keys = Keys(qtbot)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    keys.press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier, widget=window)
    with qtbot.waitSignal(window.patients.searched, timeout=3000):
        keys.type(patient.identifier.pesel)
    assert window.patient is not None and window.patient.id == patient.id
    seen: dict[str, object] = {}

    def book(dialog) -> None:
        seen["term"] = dialog.current()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.referral.edit,
                        timeout=2000)
        keys.type(issued["code"])
        keys.press(Qt.Key.Key_Return)  # reads the code from P1, then books
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)

    on_dialog(book)
    keys.press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier, widget=window)
    offer = seen["term"]
    qtbot.waitUntil(lambda: window.repos.visits.live_for_slot(offer.slot_id) is not None,
                    timeout=10000)
    visit = window.repos.visits.live_for_slot(offer.slot_id)
    assert visit.patient_id == patient.id and visit.referral_key == issued["key"]
    qtbot.waitUntil(lambda: len(printed) == 1, timeout=5000)
    assert keys.count == GOAL, keys.count
