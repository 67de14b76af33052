"""The practice settings area, driven through its real widgets: edit in place, add a doctor and
a schedule, see a problem named in Polish with nothing written and nothing typed lost, export."""

from __future__ import annotations

import tomllib

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QDialogButtonBox, QMenu

from recepcja.gui.settings.dialog import PLACES_TAB, RESOURCES_TAB, SCHEDULES_TAB
from recepcja.gui.settings.schedules_tab import DAY, END, MINUTES, START


def _open(window):
    action = window.findChild(type(window.actions_.quit), "actionPracticeSettings")
    assert action is not None
    menu = window.menuBar().findChild(QMenu, "menuObligations")
    assert menu.actions()[0] is action  # first in "CeR obligations"
    action.trigger()
    dialog = window.findChild(object, "practiceSettings")
    assert dialog is not None and dialog.isVisible()
    return dialog


def _save(qtbot, dialog) -> None:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_dialog_shows_the_stored_practice(window):
    dialog = _open(window)
    assert dialog.provider.name.text() == window.repos.practice.provider().name
    names = [dialog.places.master.list.item(i).text()
             for i in range(dialog.places.master.list.count())]
    assert names == [p.name for p in window.repos.practice.places()]
    assert dialog.resources.table.rowCount() == len(window.repos.practice.resources())
    assert dialog.schedules.master.list.count() == len(window.repos.schedules.list())
    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    assert dialog.schedules.rules.rowCount() == len(window.repos.schedules.list()[0].template)


def test_renaming_a_doctor_and_adding_a_schedule_is_saved_and_reaches_the_filters(
        window, qtbot):
    dialog = _open(window)
    repos = window.repos
    doctor = repos.practice.resources()[0]
    dialog.tabs.setCurrentIndex(RESOURCES_TAB)
    table = dialog.resources.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == doctor.name)
    table.item(row, 1).setText("dr Zofia Nowa")
    qtbot.mouseClick(dialog.resources.add_button, Qt.MouseButton.LeftButton)
    new_row = table.rowCount() - 1
    table.item(new_row, 1).setText("dr Ewa Zielińska")
    table.item(new_row, 2).setText("2345678")

    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    tab = dialog.schedules
    qtbot.mouseClick(tab.master.add, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.name, "Kardiologia - dr Ewa Z")  # QtTest types ASCII only
    tab.resource.setCurrentIndex(tab.resource.findText("dr Ewa Zielińska",
                                                       Qt.MatchFlag.MatchStartsWith))
    qtbot.mouseClick(tab.add_rule_button, Qt.MouseButton.LeftButton)
    tab.rules.cellWidget(0, DAY).setCurrentIndex(5)  # Saturday
    tab.rules.cellWidget(0, START).setTime(QTime(9, 0))
    tab.rules.cellWidget(0, END).setTime(QTime(11, 0))
    tab.rules.cellWidget(0, MINUTES).setValue(30)
    _save(qtbot, dialog)

    assert "Zapisano" in dialog.message.text(), dialog.message.text()
    assert repos.practice.resource(doctor.id).name == "dr Zofia Nowa"
    schedule = next(s for s in repos.schedules.list() if s.name == "Kardiologia - dr Ewa Z")
    assert schedule.template == [{"weekday": 5, "start": "09:00", "end": "11:00",
                                  "slot_minutes": 30, "term_kind": "default_procedure"}]
    new_doctor = repos.practice.resource(schedule.resource_id)
    assert (new_doctor.name, new_doctor.licence_number) == ("dr Ewa Zielińska", "2345678")
    doctors = [window.filters.resource.itemText(i)
               for i in range(window.filters.resource.count())]
    assert any("Zofia Nowa" in text for text in doctors)
    assert any("Zielińska" in text for text in doctors)
    # saved entries now carry their ids: a second save changes nothing
    _save(qtbot, dialog)
    assert "brak zmian" in dialog.message.text().lower()


def test_an_overlapping_template_is_named_in_polish_and_nothing_is_lost(window, qtbot):
    dialog = _open(window)
    repos = window.repos
    before = [(s.name, s.template) for s in repos.schedules.list()]
    dialog.tabs.setCurrentIndex(PLACES_TAB)
    dialog.places.name.setText("Poradnia po zmianie")  # an edit elsewhere, kept on failure
    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    tab = dialog.schedules
    tab.master.list.setCurrentRow(1)
    name = tab.name.text()
    first = tab._rule(0)
    qtbot.mouseClick(tab.add_rule_button, Qt.MouseButton.LeftButton)
    last = tab.rules.rowCount() - 1
    tab.rules.cellWidget(last, DAY).setCurrentIndex(first["weekday"])
    tab.rules.cellWidget(last, START).setTime(QTime.fromString(first["start"], "HH:mm"))
    tab.rules.cellWidget(last, END).setTime(QTime.fromString(first["end"], "HH:mm"))
    dialog.tabs.setCurrentIndex(PLACES_TAB)  # the error must bring the schedule back
    _save(qtbot, dialog)

    text = dialog.message.text()
    assert text.startswith(f"Harmonogram „{name}”: "), text
    assert "nakładają" in text
    assert dialog.tabs.currentIndex() == SCHEDULES_TAB
    assert tab.name.text() == name
    assert tab.rules.rowCount() == last + 1  # what was typed is still there
    assert [(s.name, s.template) for s in repos.schedules.list()] == before
    assert repos.practice.places()[0].name != "Poradnia po zmianie"
    dialog.tabs.setCurrentIndex(PLACES_TAB)
    dialog.places.master.list.setCurrentRow(0)
    assert dialog.places.name.text() == "Poradnia po zmianie"


def test_a_malformed_rpwdl_code_of_a_new_place_is_named(window, qtbot):
    dialog = _open(window)
    dialog.tabs.setCurrentIndex(PLACES_TAB)
    tab = dialog.places
    qtbot.mouseClick(tab.master.add, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.name, "Pracownia HPV")
    for part, value in (("part_i", "12345"), ("part_v", "01"), ("part_vii", "003")):
        tab.rpwdl[part].setText(value)
    tab.street.setText("ul. Krótka 2")
    tab.postal_code.setText("00-001")
    tab.city.setText("Warszawa")
    tab.scope_boxes["hpv_hr"].setChecked(True)
    places_before = len(window.repos.practice.places())
    _save(qtbot, dialog)
    assert "Pracownia HPV" in dialog.message.text()
    assert "RPWDL" in dialog.message.text()
    assert len(window.repos.practice.places()) == places_before
    tab.rpwdl["part_i"].setText("000000099999")
    _save(qtbot, dialog)
    assert len(window.repos.practice.places()) == places_before + 1
    assert "Przyłączenie do CeR" in dialog.message.text()  # the new place must still join CeR


def test_registered_places_keep_their_rpwdl_codes_read_only(window, qtbot):
    place = window.repos.practice.places()[0]
    window.repos.practice.mark_place_registered(place.id, "MUS-9")
    dialog = _open(window)
    dialog.tabs.setCurrentIndex(PLACES_TAB)
    dialog.places.master.list.setCurrentRow(0)
    assert dialog.places.rpwdl["part_i"].isReadOnly()
    assert not dialog.places.master.remove.isEnabled()  # saved places are not removed here


def test_export_writes_a_practice_file(window, tmp_path):
    dialog = _open(window)
    path = tmp_path / "praktyka.toml"
    assert dialog.export(path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert len(data["schedules"]) == len(window.repos.schedules.list())
    assert str(path) in dialog.message.text()


def test_a_practice_is_set_up_by_hand_from_the_first_start(qtbot, tmp_path, monkeypatch):
    """From nothing: first start → "by hand" → the settings area → a saved practice whose
    doctor shows in the window's filters (the whole set-up without a TOML file)."""
    from recepcja.config.paths import AppPaths
    from recepcja.gui.main_window import MainWindow
    from recepcja.services.context import AppContext

    monkeypatch.delenv("RECEPCJA_SMOKE_TEST", raising=False)
    ctx = AppContext.load(AppPaths(tmp_path / "empty"))
    win = MainWindow(ctx, start_sync=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.findChild(object, "firstStartByHand") is not None
                    and win.findChild(object, "firstStartByHand").isVisible(), timeout=3000)
    qtbot.mouseClick(win.findChild(object, "firstStartByHand"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.findChild(object, "practiceSettings") is not None
                    and win.findChild(object, "practiceSettings").isVisible(), timeout=3000)
    dialog = win.findChild(object, "practiceSettings")
    assert dialog.places.master.list.count() == 0
    _save(qtbot, dialog)  # empty: the provider's name is the first thing asked for
    assert "Świadczeniodawca" in dialog.message.text() and "nazwa" in dialog.message.text()

    qtbot.keyClicks(dialog.provider.name, "Gabinet Kardiologiczny")
    dialog.provider.nip.setText("5260250995")
    dialog.tabs.setCurrentIndex(PLACES_TAB)
    places = dialog.places
    qtbot.mouseClick(places.master.add, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(places.name, "Poradnia")
    for part, value in (("part_i", "000000054321"), ("part_v", "01"), ("part_vii", "001")):
        places.rpwdl[part].setText(value)
    places.street.setText("ul. Polna 3")
    places.postal_code.setText("30-001")
    places.city.setText("Kraków")
    places.scope_boxes["cardiology"].setChecked(True)
    dialog.tabs.setCurrentIndex(RESOURCES_TAB)
    qtbot.mouseClick(dialog.resources.add_button, Qt.MouseButton.LeftButton)
    dialog.resources.table.item(0, 1).setText("dr Jan Lis")
    dialog.resources.table.item(0, 2).setText("1122334")
    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    schedules = dialog.schedules
    qtbot.mouseClick(schedules.master.add, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(schedules.name, "Kardiologia - dr Lis")
    assert schedules.place.currentText() == "Poradnia"
    assert schedules.resource.currentText().startswith("dr Jan Lis")
    qtbot.mouseClick(schedules.add_rule_button, Qt.MouseButton.LeftButton)
    _save(qtbot, dialog)
    assert "Zapisano" in dialog.message.text(), dialog.message.text()

    repos = win.repos
    assert repos.practice.provider().name == "Gabinet Kardiologiczny"
    assert [p.name for p in repos.practice.places()] == ["Poradnia"]
    [schedule] = repos.schedules.list()
    assert schedule.template[0]["start"] == "08:00"
    assert any("Lis" in win.filters.resource.itemText(i)
               for i in range(win.filters.resource.count()))
    win.close()


# --- the review's cases: nothing is repointed silently, nothing typed is lost ---------------


@pytest.fixture
def example_dialog(qtbot, tmp_path):
    """The settings of the example practice (a mammography bus among its schedules)."""
    from recepcja.gui.settings.dialog import PracticeSettingsDialog
    from recepcja.resources import resource
    from recepcja.services.practice_setup import setup_practice
    from recepcja.store.repos import Repositories

    repos = Repositories.open(tmp_path / "example.sqlite")
    setup_practice(repos.db, resource("practice.example.toml"), "admin")
    dialog = PracticeSettingsDialog(lambda: repos.db, "admin")
    dialog.show()  # closed below, not by qtbot: its closing would ask about unsaved edits
    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    yield dialog, repos
    dialog.close_without_asking()
    dialog.deleteLater()
    repos.close()


def _row_of(tab, name: str) -> int:
    return next(i for i, e in enumerate(tab.entries()) if e["name"] == name)


def test_a_schedule_never_inherits_the_mobile_point_shown_before_it(example_dialog, qtbot):
    dialog, repos = example_dialog
    tab = dialog.schedules
    tab.master.list.setCurrentRow(_row_of(tab, "Mammobus 1"))
    assert tab.point.currentData() == "MAMMOBUS-1"
    tab.master.list.setCurrentRow(_row_of(tab, "Kardiologia - dr Nowak"))
    assert tab.point.currentData() is None
    tab.name.setText("Kardiologia I")  # a rename after looking at the bus saves
    tab.master.list.setCurrentRow(_row_of(tab, "Mammobus 1"))
    qtbot.mouseClick(tab.master.add, Qt.MouseButton.LeftButton)
    assert tab.point.currentData() is None  # the new one is at the place, not on the bus
    assert tab.scope.currentData() == "cardiology"  # a scope its place offers
    tab.name.setText("Kardiologia II")
    qtbot.mouseClick(tab.add_rule_button, Qt.MouseButton.LeftButton)
    # Thursday: the resource it starts with must not be busy in another schedule then.
    tab.rules.cellWidget(0, DAY).setCurrentIndex(3)
    _save(qtbot, dialog)
    assert "Zapisano" in dialog.message.text(), dialog.message.text()
    stored = {s.name: s for s in repos.schedules.list()}
    assert stored["Kardiologia I"].mobile_point_id is None
    assert stored["Kardiologia II"].mobile_point_id is None
    assert stored["Mammobus 1"].mobile_point_id is not None


def test_choosing_another_place_offers_its_scope_and_points(example_dialog, qtbot):
    dialog, _repos = example_dialog
    tab = dialog.schedules
    qtbot.mouseClick(tab.master.add, Qt.MouseButton.LeftButton)
    tab.place.setCurrentIndex(tab.place.findText("Pracownia mammografii"))
    assert tab.scope.currentData() == "mammography"
    assert [tab.point.itemData(i) for i in range(tab.point.count())] == [None, "MAMMOBUS-1"]


def test_a_removed_resource_is_named_not_replaced(example_dialog, qtbot):
    dialog, repos = example_dialog
    dialog.tabs.setCurrentIndex(RESOURCES_TAB)
    qtbot.mouseClick(dialog.resources.add_button, Qt.MouseButton.LeftButton)
    row = dialog.resources.table.rowCount() - 1
    dialog.resources.table.item(row, 1).setText("dr Ewa Nowa")
    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    tab = dialog.schedules
    qtbot.mouseClick(tab.master.add, Qt.MouseButton.LeftButton)
    tab.name.setText("Kardiologia - dr Nowa")
    tab.resource.setCurrentIndex(tab.resource.findText("dr Ewa Nowa",
                                                       Qt.MatchFlag.MatchStartsWith))
    qtbot.mouseClick(tab.add_rule_button, Qt.MouseButton.LeftButton)
    dialog.tabs.setCurrentIndex(RESOURCES_TAB)
    dialog.resources.table.setCurrentCell(row, 1)
    qtbot.mouseClick(dialog.resources.remove_button, Qt.MouseButton.LeftButton)
    dialog.tabs.setCurrentIndex(SCHEDULES_TAB)
    tab.master.list.setCurrentRow(_row_of(tab, "Kardiologia - dr Nowa"))
    assert tab.resource.currentText() == "(usunięty zasób)"  # not the first doctor instead
    before = len(repos.schedules.list())
    _save(qtbot, dialog)
    assert dialog.message.text() == ("Harmonogram „Kardiologia - dr Nowa”: jego lekarz lub "
                                     "urządzenie już nie istnieje; wybierz inny zasób.")
    assert len(repos.schedules.list()) == before


def test_closing_with_unsaved_edits_asks_and_reopening_keeps_them(window, qtbot, on_dialog):
    from PySide6.QtWidgets import QMessageBox

    dialog = _open(window)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing changed: closes without asking
    assert not dialog.isVisible()
    dialog = _open(window)
    dialog.provider.name.setText("Nowa nazwa")
    assert _open(window) is dialog and dialog.provider.name.text() == "Nowa nazwa"
    answers: list[str] = []

    def cancel(box) -> None:
        answers.append(box.text())
        box.button(QMessageBox.StandardButton.Cancel).click()

    on_dialog(cancel)
    dialog.reject()
    assert answers == ["Odrzucić niezapisane zmiany?"]
    assert dialog.isVisible() and dialog.provider.name.text() == "Nowa nazwa"

    on_dialog(lambda box: box.button(QMessageBox.StandardButton.Discard).click())
    dialog.reject()
    assert not dialog.isVisible()
    assert window.repos.practice.provider().name != "Nowa nazwa"
    assert _open(window).provider.name.text() == window.repos.practice.provider().name
