"""The search (issue 14): among namesakes nothing is chosen for the desk - only a unique match
(a full PESEL, a local ID) is selected; "Zofia Kowalczyk" (first name first) finds her as
"Kowalczyk Zofia" does; birth dates read as dates, without weekdays."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt

from recepcja.gui.patient_model import PatientTableModel
from recepcja.services.patients import PatientInput, register_patient

FIRST, SECOND = "61040212349", "72080956788"


def _search(qtbot, window, text: str) -> None:
    panel = window.patients
    panel.query.clear()
    with qtbot.waitSignal(panel.searched, timeout=3000):
        qtbot.keyClicks(panel.query, text)


def _pesels(panel) -> set[str]:
    return {panel.model.patient_at(r).identifier.pesel for r in range(panel.model.rowCount())}


def test_namesakes_are_not_chosen_a_unique_match_is(qtbot, window, desk_ctx):
    db = desk_ctx.open_db()
    try:  # two namesakes, different PESELs
        for pesel in (FIRST, SECOND):
            register_patient(db, PatientInput("Zofia", "Kowalczyk", pesel=pesel), "test")
    finally:
        db.close()
    panel = window.patients
    _search(qtbot, window, "Kowalczyk Zofia")
    assert {FIRST, SECOND} <= _pesels(panel)
    assert window.patient is None and not panel.table.selectionModel().hasSelection()
    assert "wybierz pacjenta" in panel.summary.text()
    assert not window.actions_.edit_patient.isEnabled()
    # the desk chooses with the arrows; Enter from the box goes into the list first
    qtbot.keyClick(panel.query, Qt.Key.Key_Return)
    assert panel.table.hasFocus() and window.patient is None
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert window.patient is not None
    # first name first finds the same two
    _search(qtbot, window, "Zofia Kowalczyk")
    assert {FIRST, SECOND} <= _pesels(panel)
    assert window.patient is None
    # a full PESEL is one patient: chosen, ready to book
    _search(qtbot, window, SECOND)
    assert panel.model.rowCount() == 1
    assert window.patient is not None and window.patient.identifier.pesel == SECOND
    assert panel.table.selectionModel().isRowSelected(0)


def test_birth_dates_without_weekdays(qtbot, window):
    _search(qtbot, window, "No")
    model = window.patients.model
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == "Data urodzenia")
    dates = [model.data(model.index(r, column)) for r in range(model.rowCount())]
    dates = [d for d in dates if d]
    assert dates and all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", d) for d in dates), dates
    assert isinstance(model, PatientTableModel)
