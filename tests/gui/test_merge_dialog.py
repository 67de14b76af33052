"""Duplicates offered for merge from the patient dialog: both records side by side, Enter
merges, Esc goes back to the form with everything typed still there."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.model import DocumentType, Urgency
from recepcja.services import booking
from recepcja.store.repos import Repositories


def _on_merge(handler, errors: list[BaseException]) -> None:
    """Run ``handler(merge_dialog)`` once the merge dialog is up over the patient dialog (the
    ``on_dialog`` fixture would find the patient dialog, already the active modal widget)."""

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or widget.objectName() != "mergeDialog":
            QTimer.singleShot(20, poll)
            return
        try:
            handler(widget)
        except BaseException as error:  # re-raised by the test
            errors.append(error)
            widget.reject()

    QTimer.singleShot(0, poll)


def _texts(dialog) -> str:
    return "\n".join(label.text() for label in dialog.findChildren(QLabel))


def _local_patient(window) -> int:
    """A patient registered in emergency mode without PESEL, with one booking waiting for CeR."""
    repos = window.repos
    patient_id = repos.patients.add(
        Patient(PatientIdentifier(document_type=DocumentType.PASSPORT,
                                  document_number="ZZ9876543"), "Ewa", "Awaryjna"), "ania")
    schedule_id = int(repos.schedules.list()[0].id or 0)
    slot = repos.slots.free_from(schedule_id, window.clock(), 1)[0]
    booking.book(repos, patient_id, int(slot.id or 0), Urgency.STABLE, user="ania",
                 emergency=True, referral_id="SK-1")
    return patient_id


def _holder(window) -> Patient:
    """A patient with a PESEL and a visit (T-0, this morning, confirmed in CeR)."""
    visit = window.repos.visits.by_uid("T-0")
    return window.repos.patients.get(visit.patient_id)


def _open_edit(qtbot, window, patient_id: int) -> None:
    panel = window.patients
    panel.show_patient(window.repos.patients.get(patient_id))
    assert panel.selected().id == patient_id
    panel.edit_button.click()


def test_edit_offers_merge_esc_keeps_the_form_enter_merges(qtbot, window, desk_ctx, on_dialog):
    duplicate_id = _local_patient(window)
    holder = _holder(window)
    pesel = holder.identifier.pesel
    errors: list[BaseException] = []
    seen: dict[str, object] = {}

    def cancel_merge(merge) -> None:
        text = _texts(merge)
        seen["first"] = text
        seen["merge_enabled"] = merge.merge_button.isEnabled()
        qtbot.keyClick(merge, Qt.Key.Key_Escape)  # Esc cancels

    def confirm_merge(merge) -> None:
        qtbot.keyClick(merge, Qt.Key.Key_Return)  # Enter confirms

    def edit(dialog) -> None:
        dialog.no_pesel.setChecked(False)
        qtbot.keyClicks(dialog.pesel, pesel)
        qtbot.keyClicks(dialog.phone, "605 111 222")
        _on_merge(cancel_merge, errors)
        qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
        seen["open_after_cancel"] = dialog.isVisible()
        seen["pesel_kept"] = dialog.pesel.text()
        seen["phone_kept"] = dialog.phone.text()
        seen["error"] = dialog.error.text() if dialog.error.isVisible() else ""
        _on_merge(confirm_merge, errors)
        qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)

    on_dialog(edit)
    _open_edit(qtbot, window, duplicate_id)
    qtbot.waitUntil(lambda: "open_after_cancel" in seen and QApplication.activeModalWidget()
                    is None, timeout=5000)
    if errors:
        raise errors[0]

    first = str(seen["first"])
    assert "Awaryjna" in first and holder.last_name in first  # both records, side by side
    assert pesel in first and "ZZ9876543" in first
    assert "zostaną przeniesione do pacjenta" in first
    assert seen["merge_enabled"] is True
    assert seen["open_after_cancel"] is True
    assert seen["pesel_kept"] == pesel and seen["phone_kept"] == "605 111 222"
    assert "PESEL" in str(seen["error"])

    repos = Repositories.over(desk_ctx.open_db())
    try:
        assert repos.patients.merged_into(duplicate_id) == holder.id
        assert {v.patient_id for v in repos.visits.for_patient(holder.id or 0)} == {holder.id}
        assert len(repos.visits.for_patient(holder.id or 0)) == 2  # its own + the moved one
        assert repos.visits.for_patient(duplicate_id) == []
    finally:
        repos.close()
    assert window.patients.selected().id == holder.id  # the survivor is shown and selected


def test_merge_buttons_are_polish_and_keyboard_driven(qtbot, window, on_dialog):
    holder = _holder(window)
    errors: list[BaseException] = []
    seen: dict[str, object] = {}

    def look(merge) -> None:
        seen["merge"] = merge.merge_button.text()
        seen["default"] = merge.merge_button.isDefault()
        seen["title"] = merge.windowTitle()
        merge.reject()

    def add(dialog) -> None:
        qtbot.keyClicks(dialog.pesel, holder.identifier.pesel)
        qtbot.keyClicks(dialog.last_name, "Nowa")
        qtbot.keyClicks(dialog.first_name, "Osoba")
        _on_merge(look, errors)
        qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)
        dialog.reject()

    on_dialog(add)
    window.actions_.new_patient.trigger()
    if errors:
        raise errors[0]
    assert seen == {"merge": "Scal", "default": True, "title": "Scalanie pacjentów"}


def test_adding_a_registered_pesel_selects_the_existing_patient(qtbot, window, desk_ctx,
                                                               on_dialog):
    holder = _holder(window)
    before = window.repos.patients.count()
    errors: list[BaseException] = []
    seen: dict[str, str] = {}

    def confirm(merge) -> None:
        seen["text"] = _texts(merge)
        qtbot.keyClick(merge, Qt.Key.Key_Return)

    def add(dialog) -> None:
        qtbot.keyClicks(dialog.pesel, holder.identifier.pesel)
        qtbot.keyClicks(dialog.last_name, "Nowa")
        qtbot.keyClicks(dialog.first_name, "Osoba")
        _on_merge(confirm, errors)
        qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)

    on_dialog(add)
    window.actions_.new_patient.trigger()
    if errors:
        raise errors[0]
    assert "Nowy pacjent nie zostanie zarejestrowany" in seen["text"]
    assert window.repos.patients.count() == before
    assert window.patients.selected().id == holder.id
    assert window.statusBar().currentMessage().startswith("Już w kartotece"), \
        window.statusBar().currentMessage()


def test_visits_held_in_cer_refuse_the_merge_in_polish(qtbot, window, desk_ctx, on_dialog):
    holder = _holder(window)
    upcoming = window.repos.visits.by_uid("T-2")  # confirmed in CeR, later today
    duplicate = window.repos.patients.get(upcoming.patient_id)
    errors: list[BaseException] = []
    seen: dict[str, object] = {}

    def try_merge(merge) -> None:
        seen["refusal"] = merge.refusal.text() if merge.refusal.isVisible() else ""
        seen["enabled"] = merge.merge_button.isEnabled()
        qtbot.keyClick(merge, Qt.Key.Key_Return)  # Enter must not merge anything
        seen["still_open"] = merge.isVisible()
        qtbot.keyClick(merge, Qt.Key.Key_Escape)

    def edit(dialog) -> None:
        dialog.no_pesel.setChecked(False)
        dialog.pesel.clear()
        qtbot.keyClicks(dialog.pesel, holder.identifier.pesel)
        _on_merge(try_merge, errors)
        qtbot.keyClick(dialog.pesel, Qt.Key.Key_Return)
        seen["open"] = dialog.isVisible()
        dialog.reject()

    on_dialog(edit)
    _open_edit(qtbot, window, duplicate.id or 0)
    if errors:
        raise errors[0]
    assert "Nie można scalić" in str(seen["refusal"]) and "CeR" in str(seen["refusal"])
    assert seen["enabled"] is False
    assert seen["open"] is True
    assert window.repos.patients.merged_into(duplicate.id or 0) is None
    assert window.repos.visits.by_uid("T-2").patient_id == duplicate.id
