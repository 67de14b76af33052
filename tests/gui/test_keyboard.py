"""Keyboard first: Tab walks the dialogs and the desk in reading order (each field once, the
confirming button last), Enter confirms and Esc cancels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget


def _name(widget: QWidget | None, names: dict | None = None) -> str:
    if widget is None:
        return "<none>"
    for known, name in (names or {}).items():
        if widget is known:
            return name
    if isinstance(widget, QAbstractButton):
        return f"button:{widget.text().replace('&', '')}"
    name = widget.objectName()
    if not name and widget.parent() is not None:  # e.g. the line edit inside a combo box
        name = widget.parent().objectName() if widget.parent().objectName() else ""
    return name or type(widget).__name__


def tab_chain(qtbot, top: QWidget, start: QWidget, steps: int,
              names: dict | None = None) -> list[str]:
    """Focus ``start``, press Tab ``steps`` times; the names of the focused widgets
    (``names`` names widgets that have no object name)."""
    top.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is top, timeout=2000)
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    chain = [_name(QApplication.focusWidget(), names)]
    for _step in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        chain.append(_name(QApplication.focusWidget(), names))
    return chain


def test_the_desk_goes_from_the_patient_to_the_terms_and_today(window, qtbot):
    chain = tab_chain(qtbot, window, window.patients.query, 5)
    assert chain[:5] == ["patientSearch", "patientResults", "dayTable", "todayTable",
                         "button:Nowy pacjent"], chain
    # then on through the date bar and the filters; no table keeps Tab to itself
    rest = tab_chain(qtbot, window, window.today.table, 8)
    assert "button:Dzisiaj" in rest and "scopeFilter" in rest, rest
    assert rest.count("todayTable") == 1 and "dayTable" not in rest[:-1], rest


def test_booking_dialog_walks_urgency_scope_filters_terms_referral_then_book(window, qtbot):
    """Urgency and scope first, then the term (filters, the list), then the referral; every
    field has its Alt-shortcut."""
    from recepcja.gui.booking_dialog import BookingDialog

    patient = window.repos.patients.search("Kow", 1)[0]
    dialog = BookingDialog(patient, lambda _scope: [], scopes=[("cardiology", "kardiologia")],
                           scope="cardiology", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    chain = tab_chain(qtbot, dialog, dialog.urgency, 11)
    assert chain == ["urgency", "scope", "button:Pierwszy dozwolony termin", "resourceFilter",
                     "fromDay", "terms", "referral", "centralRequest",
                     "button:Wydrukuj potwierdzenie po rezerwacji", "button:Zarezerwuj",
                     "button:Anuluj", "urgency"], chain
    buddies = {label.buddy(): label.text() for label in dialog.findChildren(QLabel)
               if label.buddy() is not None}
    texts = [*buddies.values(), dialog.first_allowed.text(), dialog.print_box.text(),
             dialog.buttons.button(dialog.buttons.StandardButton.Ok).text()]
    keys = [text[text.index("&") + 1].lower() for text in texts]
    assert len(buddies) == 7 and len(set(keys)) == len(keys), texts
    for widget in (dialog.urgency, dialog.scope, dialog.resource, dialog.from_day,
                   dialog.terms, dialog.referral, dialog.request_id):
        assert widget in buddies, widget.objectName()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected


def test_patient_dialog_walks_identity_names_phone_then_save(window, qtbot):
    from recepcja.gui.patient_dialog import PatientDialog

    dialog = PatientDialog(lambda *_a: None, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    chain = tab_chain(qtbot, dialog, dialog.pesel, 7)
    assert chain == ["pesel", "button:Pacjent bez numeru PESEL", "lastName", "firstName",
                     "phone", "button:Zapisz", "button:Anuluj", "pesel"], chain
    dialog.no_pesel.setChecked(True)  # without PESEL the document fields join the walk
    chain = tab_chain(qtbot, dialog, dialog.no_pesel, 3,
                      names={dialog.document_type: "documentType"})
    assert chain[1:] == ["documentType", "documentNumber", "lastName"], chain


def test_cancel_dialog_reason_then_confirm_and_enter_needs_a_reason(window, qtbot):
    from recepcja.gui.cancel_dialog import CancelDialog

    dialog = CancelDialog("10:20 Kowalski", window)
    qtbot.addWidget(dialog)
    dialog.show()
    chain = tab_chain(qtbot, dialog, dialog.reason, 3)
    assert chain == ["cancelReason", "button:Odwołaj wizytę", "button:Wróć", "cancelReason"]
    dialog.reason.setFocus()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter with no reason: the dialog says what is missing
    qtbot.keyClicks(dialog.reason.lineEdit(), "na prosbe pacjenta")
    qtbot.keyClick(dialog.reason.lineEdit(), Qt.Key.Key_Return)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Accepted


def test_settings_dialog_tabs_through_a_place_in_reading_order(window, qtbot):
    window.findChild(type(window.actions_.quit), "actionPracticeSettings").trigger()
    dialog = window.findChild(QWidget, "practiceSettings")
    dialog.tabs.setCurrentIndex(1)
    places = dialog.places
    chain = tab_chain(qtbot, dialog, places.name, 4)
    assert chain == ["placeName", "rpwdl_part_i", "rpwdl_part_v", "rpwdl_part_vii",
                     chain[4]], chain
