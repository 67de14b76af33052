"""The patients panel: find as you type, add with validation, duplicates (declining the
merge offer keeps refusing them)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from recepcja.store.repos import Repositories

VALID_PESEL = "44051401359"


def _count(ctx) -> int:
    repos = Repositories.over(ctx.open_db())
    try:
        return repos.patients.count()
    finally:
        repos.close()


def test_find_patient_as_you_type(qtbot, window):
    panel = window.patients
    target = window.repos.patients.search("No", 1)[0]
    window.actions_.find_patient.trigger()
    assert panel.query.hasFocus()
    with qtbot.waitSignal(panel.searched, timeout=3000) as blocker:
        qtbot.keyClicks(panel.query, target.last_name[:3])
    assert blocker.args[0] > 0
    names = {panel.model.patient_at(r).last_name for r in range(panel.model.rowCount())}
    assert target.last_name in names
    if panel.model.rowCount() > 1:  # among namesakes nothing is chosen for the desk
        assert window.patient is None and not panel.table.selectionModel().hasSelection()
    # by PESEL prefix
    pesel = next(p for p in window.repos.patients.search("N", 50) if p.identifier.pesel)
    panel.query.clear()
    with qtbot.waitSignal(panel.searched, timeout=3000):
        qtbot.keyClicks(panel.query, pesel.identifier.pesel[:6])
    found = [panel.model.patient_at(r) for r in range(panel.model.rowCount())]
    assert any(p.id == pesel.id for p in found)
    assert panel.summary.text().startswith("Znaleziono")


def test_bad_pesel_shows_the_error_and_writes_nothing(qtbot, window, desk_ctx, on_dialog):
    before = _count(desk_ctx)
    seen: dict[str, str] = {}

    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.pesel, "44051401358")  # checksum wrong
        qtbot.keyClicks(dialog.last_name, "Testowa")
        qtbot.keyClicks(dialog.first_name, "Ewa")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        seen["error"] = dialog.error.text() if dialog.error.isVisible() else ""
        seen["open"] = str(dialog.isVisible())
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels

    on_dialog(fill)
    window.actions_.new_patient.trigger()
    assert "PESEL" in seen["error"]
    assert seen["open"] == "True"
    assert _count(desk_ctx) == before


def test_add_patient_then_duplicate_pesel_is_refused(qtbot, window, desk_ctx, on_dialog):
    before = _count(desk_ctx)

    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.pesel, VALID_PESEL)
        dialog.last_name.setText("Żółkiewska")  # QTest types ASCII only
        qtbot.keyClicks(dialog.first_name, "Ewa")
        qtbot.keyClicks(dialog.phone, "600 123 456")
        qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)  # Enter confirms

    on_dialog(fill)
    window.actions_.new_patient.trigger()
    assert _count(desk_ctx) == before + 1
    assert window.patients.selected().last_name == "Żółkiewska"

    errors: list[str] = []
    offered: list[str] = []

    def decline(merge) -> None:  # the merge offer (tests/gui/test_merge_dialog.py)
        offered.append(merge.objectName())
        qtbot.keyClick(merge, Qt.Key.Key_Escape)

    def again(dialog) -> None:
        qtbot.keyClicks(dialog.pesel, VALID_PESEL)
        qtbot.keyClicks(dialog.last_name, "Inna")
        qtbot.keyClicks(dialog.first_name, "Osoba")
        QTimer.singleShot(0, lambda: decline(QApplication.activeModalWidget()))
        qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)
        errors.append(dialog.error.text())
        dialog.reject()

    on_dialog(again)
    window.actions_.new_patient.trigger()
    assert offered == ["mergeDialog"]
    assert "już zarejestrowany" in errors[0] or "PESEL" in errors[0]
    assert _count(desk_ctx) == before + 1


def test_patient_without_pesel_is_registered_by_document(qtbot, window, desk_ctx, on_dialog):
    def fill(dialog) -> None:
        dialog.no_pesel.setChecked(True)
        assert not dialog.pesel.isEnabled()
        qtbot.keyClicks(dialog.document_number, "XY1234567")
        qtbot.keyClicks(dialog.last_name, "Smith")
        qtbot.keyClicks(dialog.first_name, "John")
        dialog.accept()

    on_dialog(fill)
    window.actions_.new_patient.trigger()
    saved = window.patients.selected()
    assert saved is not None and saved.identifier.pesel is None
    assert saved.identifier.document_number == "XY1234567"
