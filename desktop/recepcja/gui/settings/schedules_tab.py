"""Schedules: resource + scope + place (or one of its mobile points) + weekly template + kinds of
term. A list on the left; the chosen schedule's form and its weekly rules on the right.

A schedule created in CeR keeps its place, resource, scope and mobile point (CeR knows it by
them): those fields are read-only then; its name and template may change (publishing sends the
changed terms)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.model import TermKind
from recepcja.domain.scopes import ScopeRegistry
from recepcja.gui.formatting import weekday_long
from recepcja.gui.settings.common import MasterDetailTab, new_table, table_box
from recepcja.i18n import _

DAY, START, END, MINUTES, KIND = range(5)
_A_MONDAY = dt.date(2026, 1, 5)


def term_kind_label(kind: str) -> str:
    return {TermKind.DEFAULT_PROCEDURE: _("default procedure"),
            TermKind.SPECIFIC_PROCEDURE: _("specific procedure"),
            TermKind.CONTINUING_TREATMENT: _("continuing treatment")}[TermKind(kind)]


def _weekday_number(value: object) -> int:
    if isinstance(value, int):
        return value
    from recepcja.services.practice_plan import WEEKDAYS

    return WEEKDAYS.get(str(value).lower(), 0)


class SchedulesTab(MasterDetailTab):
    def __init__(self, scopes: ScopeRegistry,
                 places: Callable[[], list[dict[str, Any]]],
                 resources: Callable[[], list[tuple[str, str]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(_("&Add a schedule"), _("Remove the schedule"), "schedulesList", parent)
        self.places_source, self.resources_source = places, resources
        self.locked: set[int] = set()
        self._places: list[dict[str, Any]] = []
        self.master.add.clicked.connect(lambda *_a: self.add_schedule())
        self.name = QLineEdit()
        self.name.setObjectName("scheduleName")
        self.name.textEdited.connect(self._name_edited)
        self.place, self.resource = QComboBox(), QComboBox()
        self.scope, self.point = QComboBox(), QComboBox()
        self.place.setObjectName("schedulePlace")
        self.resource.setObjectName("scheduleResource")
        self.scope.setObjectName("scheduleScope")
        self.point.setObjectName("scheduleMobilePoint")
        for scope in scopes:
            self.scope.addItem(scope.name_pl, scope.code)
        self.place.currentIndexChanged.connect(lambda _i: self._place_changed())
        self.locked_note = QLabel(_("The schedule exists in CeR: its place, resource, scope and "
                                    "mobile point cannot change (add a new schedule instead)."))
        self.locked_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(_("&Name:"), self.name)
        form.addRow(_("Place:"), self.place)
        form.addRow(_("Mobile point:"), self.point)
        form.addRow(_("Doctor or device:"), self.resource)
        form.addRow(_("Scope:"), self.scope)
        form.addRow("", self.locked_note)
        self.rules = new_table([_("Day"), _("From"), _("To"), _("Term (minutes)"),
                                _("Kind of term")])
        self.rules.setObjectName("scheduleRules")
        for column, width in ((DAY, 140), (START, 90), (END, 90), (MINUTES, 120)):
            self.rules.setColumnWidth(column, width)
        rules_box, self.add_rule_button, self.remove_rule_button = table_box(
            _("Weekly template"), self.rules, _("Add a &rule"), _("Remove the rule"))
        self.add_rule_button.clicked.connect(lambda *_a: self.add_rule())
        self.remove_rule_button.clicked.connect(lambda *_a: self.remove_rule())
        self.exceptions_note = QLabel()
        right = QVBoxLayout(self.form)
        right.addLayout(form)
        right.addWidget(rules_box)
        right.addWidget(self.exceptions_note)
        layout = QHBoxLayout(self)
        layout.addWidget(self.master)
        layout.addWidget(self.form, 1)

    # --- loading and collecting ------------------------------------------------------------

    def load(self, schedules: list[dict[str, Any]], locked: set[int]) -> None:
        self.locked = locked
        self._fill_list(schedules)
        self.refresh_choices()

    def refresh_choices(self) -> None:
        """Re-read the places and resources (they may have been added in the other tabs)."""
        self._commit()
        self._places = self.places_source()
        self.place.blockSignals(True)
        self.place.clear()
        for place in self._places:
            self.place.addItem(place["name"] or _("(no name)"), place["key"])
        self.place.blockSignals(False)
        self.resource.clear()
        for key, label in self.resources_source():
            self.resource.addItem(label, key)
        row = self.current if self.current is not None else (0 if self.entries_ else -1)
        self.current = None
        if self.master.list.currentRow() != row:
            self.master.list.setCurrentRow(row)
        else:
            self._row_changed(row)

    # --- editing ---------------------------------------------------------------------------

    def add_schedule(self) -> None:
        self._commit()
        place = self._places[0] if self._places else {"key": "", "scopes": []}
        resource = self.resource.itemData(0) if self.resource.count() else ""
        scope = place["scopes"][0] if place["scopes"] else self.scope.itemData(0)
        self._append_entry({"name": "", "place": place["key"], "resource": resource,
                            "scope": scope, "rules": [], "exceptions": []})
        self.name.setFocus()

    def add_rule(self, rule: dict[str, Any] | None = None) -> None:
        rule = rule or {"weekday": 0, "start": "08:00", "end": "12:00", "slot_minutes": 20}
        row = self.rules.rowCount()
        self.rules.insertRow(row)
        day = QComboBox()
        for number in range(7):
            day.addItem(weekday_long(_A_MONDAY + dt.timedelta(days=number)), number)
        day.setCurrentIndex(_weekday_number(rule.get("weekday", 0)))
        start, end = QTimeEdit(), QTimeEdit()
        for edit, value in ((start, rule.get("start", "08:00")), (end, rule.get("end", "12:00"))):
            edit.setDisplayFormat("HH:mm")
            edit.setTime(QTime.fromString(str(value)[:5], "HH:mm"))
        minutes = QSpinBox()
        minutes.setRange(1, 480)
        minutes.setValue(int(rule.get("slot_minutes") or 20))
        kind = QComboBox()
        for value in TermKind:
            kind.addItem(term_kind_label(value), str(value))
        kind.setCurrentIndex(max(0, kind.findData(rule.get("term_kind",
                                                           str(TermKind.DEFAULT_PROCEDURE)))))
        for column, widget in ((DAY, day), (START, start), (END, end), (MINUTES, minutes),
                               (KIND, kind)):
            self.rules.setCellWidget(row, column, widget)
        self.rules.setCurrentCell(row, DAY)

    def remove_rule(self) -> None:
        row = self.rules.currentRow()
        if row >= 0:
            self.rules.removeRow(row)

    def _rule(self, row: int) -> dict[str, Any]:
        def widget(column: int) -> Any:
            return self.rules.cellWidget(row, column)

        return {"weekday": int(widget(DAY).currentData()),
                "start": widget(START).time().toString("HH:mm"),
                "end": widget(END).time().toString("HH:mm"),
                "slot_minutes": int(widget(MINUTES).value()),
                "term_kind": str(widget(KIND).currentData())}

    def _show(self, entry: dict[str, Any] | None) -> None:
        if entry is None:
            self.name.clear()
            self.rules.setRowCount(0)
            return
        self.name.setText(entry["name"])
        self.place.blockSignals(True)
        _select(self.place, entry["place"], missing=_("(removed place)"))
        self.place.blockSignals(False)
        self._fill_points(entry.get("mobile_point") or "", keep_missing=True)
        _select(self.resource, entry["resource"], missing=_("(removed resource)"))
        _select(self.scope, entry["scope"], missing=str(entry["scope"]))
        locked = entry.get("id") in self.locked
        for combo in (self.place, self.point, self.resource, self.scope):
            combo.setEnabled(not locked)
        self.locked_note.setVisible(locked)
        self.rules.setRowCount(0)
        for rule in entry["rules"]:
            self.add_rule(rule)
        days_off = len(entry.get("exceptions", []))
        self.exceptions_note.setText(
            _("Days off recorded for this schedule: {count} (kept as they are).").format(
                count=days_off) if days_off else "")

    def _place_changed(self) -> None:
        """The user chose another place: its own mobile points, and a scope it offers."""
        self._fill_points(self.point.currentData() or "", keep_missing=False)
        key = self.place.currentData()
        scopes: list[str] = next((p["scopes"] for p in self._places if p["key"] == key), [])
        if scopes and self.scope.currentData() not in scopes:
            _select(self.scope, scopes[0])

    def _fill_points(self, wanted: str, *, keep_missing: bool) -> None:
        """The chosen place's mobile points; ``wanted`` selected. A stored code the place no
        longer has stays selected when ``keep_missing`` (saving then names the problem)."""
        self.point.clear()
        self.point.addItem(_("(none: at the place)"), None)
        key = self.place.currentData()
        for place in self._places:
            if place["key"] == key:
                for code in place["points"]:
                    self.point.addItem(code, code)
        if wanted and (keep_missing or self.point.findData(wanted) >= 0):
            _select(self.point, wanted, missing=wanted)
        else:
            self.point.setCurrentIndex(0)

    def _store(self, entry: dict[str, Any]) -> None:
        entry["name"] = self.name.text().strip()
        entry["place"] = self.place.currentData() or entry["place"]
        entry["resource"] = self.resource.currentData() or entry["resource"]
        entry["scope"] = self.scope.currentData()
        point = self.point.currentData()
        if point:
            entry["mobile_point"] = point
        else:
            entry.pop("mobile_point", None)
        entry["rules"] = [self._rule(row) for row in range(self.rules.rowCount())]


def _select(combo: QComboBox, value: object, missing: str | None = None) -> None:
    """Select ``value``; one the choices no longer have is added as ``missing`` (never
    silently replaced by the first choice: saving names the problem instead)."""
    index = combo.findData(value)
    if index < 0 and missing is not None and value:
        combo.addItem(missing, value)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))
