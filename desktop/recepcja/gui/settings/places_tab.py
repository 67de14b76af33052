"""Places of service (MUŚ) and their mobile points: a list on the left, the chosen place's form
on the right. The tab edits plain mappings in the shape of a practice file; checking them is
``practice_plan``'s job when the dialog saves."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.scopes import ScopeRegistry
from recepcja.gui.settings.common import (
    ID_ROLE,
    MasterDetailTab,
    cell_text,
    new_table,
    table_box,
    text_item,
)
from recepcja.i18n import _

RPWDL_PARTS = ("part_i", "part_v", "part_vii")
POINT_FIELDS = ("code", "name", "street", "postal_code", "city")


class PlacesTab(MasterDetailTab):
    def __init__(self, scopes: ScopeRegistry, parent: QWidget | None = None) -> None:
        super().__init__(_("&Add a place"), _("Remove the place"), "placesList", parent)
        self.locked_places: set[int] = set()
        self.locked_points: set[int] = set()
        self._new = 0
        self.master.add.clicked.connect(lambda *_a: self.add_place())

        self.name = QLineEdit()
        self.name.setObjectName("placeName")
        self.name.textEdited.connect(self._name_edited)
        self.rpwdl = {part: QLineEdit() for part in RPWDL_PARTS}
        for part, length in zip(RPWDL_PARTS, (12, 2, 3), strict=True):
            self.rpwdl[part].setObjectName(f"rpwdl_{part}")
            self.rpwdl[part].setMaxLength(length)
        self.rpwdl_locked = QLabel(_("The place is registered in CeR: its RPWDL codes cannot "
                                     "change (add a new place instead)."))
        self.rpwdl_locked.setWordWrap(True)
        self.street, self.postal_code, self.city = QLineEdit(), QLineEdit(), QLineEdit()
        self.postal_code.setPlaceholderText("00-000")
        self.postal_code.setMaxLength(6)
        self.scope_boxes = {scope.code: QCheckBox(scope.name_pl) for scope in scopes}
        rpwdl_row = QHBoxLayout()
        labels = (_("part I"), _("part V"), _("part VII"))
        for part, label in zip(RPWDL_PARTS, labels, strict=True):
            rpwdl_row.addWidget(QLabel(label))
            rpwdl_row.addWidget(self.rpwdl[part])
        scope_row = QHBoxLayout()
        for box in self.scope_boxes.values():
            scope_row.addWidget(box)
        scope_row.addStretch(1)
        form = QFormLayout()
        form.addRow(_("&Name:"), self.name)
        form.addRow(_("RPWDL codes:"), rpwdl_row)
        form.addRow("", self.rpwdl_locked)
        form.addRow(_("Street and number:"), self.street)
        form.addRow(_("Postal code:"), self.postal_code)
        form.addRow(_("City:"), self.city)
        form.addRow(_("Scopes:"), scope_row)

        self.points = new_table([_("Code"), _("Name"), _("Street and number"),
                                 _("Postal code"), _("City")])
        self.points.setObjectName("mobilePoints")
        points_box, self.add_point_button, self.remove_point_button = table_box(
            _("Mobile points (mammography buses, HPV units)"), self.points,
            _("Add a mobile &point"), _("Remove the mobile point"))
        self.add_point_button.clicked.connect(lambda *_a: self.add_point())
        self.remove_point_button.clicked.connect(lambda *_a: self.remove_point())
        self.points.currentCellChanged.connect(lambda *_a: self._update_point_buttons())

        right = QVBoxLayout(self.form)
        right.addLayout(form)
        right.addWidget(points_box)
        layout = QHBoxLayout(self)
        layout.addWidget(self.master)
        layout.addWidget(self.form, 1)

    # --- loading and collecting ------------------------------------------------------------

    def load(self, places: list[dict[str, Any]], locked_places: set[int],
             locked_points: set[int]) -> None:
        self.locked_places, self.locked_points = locked_places, locked_points
        self._fill_list(places)
        if places:
            self.master.list.setCurrentRow(0)
        else:
            self._row_changed(-1)

    def choices(self) -> list[dict[str, Any]]:
        """What the schedules tab offers: key, name, scopes and point codes of every place."""
        return [{"key": e["key"], "name": e["name"], "scopes": list(e["scopes"]),
                 "points": [p["code"] for p in e["mobile_points"] if p["code"]]}
                for e in self.entries()]

    # --- editing ---------------------------------------------------------------------------

    def add_place(self) -> None:
        self._new += 1
        self._append_entry({"key": f"new-place-{self._new}", "name": "",
                            "rpwdl": dict.fromkeys(RPWDL_PARTS, ""),
                            "address": {"street": "", "postal_code": "", "city": ""},
                            "scopes": [], "mobile_points": []})
        self.name.setFocus()

    def add_point(self) -> None:
        row = self.points.rowCount()
        self.points.insertRow(row)
        for column in range(len(POINT_FIELDS)):
            self.points.setItem(row, column, text_item(""))
        self.points.setCurrentCell(row, 0)
        if (first := self.points.item(row, 0)) is not None:
            self.points.editItem(first)

    def remove_point(self) -> None:
        row = self.points.currentRow()
        item = self.points.item(row, 0) if row >= 0 else None
        if item is not None and item.data(ID_ROLE) is None:
            self.points.removeRow(row)

    def _show(self, entry: dict[str, Any] | None) -> None:
        entry = entry or {"name": "", "rpwdl": {}, "address": {}, "scopes": [],
                          "mobile_points": []}
        self.name.setText(entry["name"])
        locked = entry.get("id") in self.locked_places
        for part in RPWDL_PARTS:
            self.rpwdl[part].setText(str(entry["rpwdl"].get(part, "")))
            self.rpwdl[part].setReadOnly(locked)
        self.rpwdl_locked.setVisible(locked)
        address = entry["address"]
        self.street.setText(address.get("street", ""))
        self.postal_code.setText(address.get("postal_code", ""))
        self.city.setText(address.get("city", ""))
        for code, box in self.scope_boxes.items():
            box.setChecked(code in entry["scopes"])
        self.points.setRowCount(0)
        for point in entry["mobile_points"]:
            row = self.points.rowCount()
            self.points.insertRow(row)
            point_id = point.get("id")
            values = (point["code"], point["name"], point["address"]["street"],
                      point["address"]["postal_code"], point["address"]["city"])
            for column, value in enumerate(values):
                editable = column != 0 or point_id not in self.locked_points
                self.points.setItem(row, column, text_item(
                    value, editable=editable, stored_id=point_id if column == 0 else None))
        self._update_point_buttons()

    def _store(self, entry: dict[str, Any]) -> None:
        entry["name"] = self.name.text().strip()
        entry["rpwdl"] = {part: self.rpwdl[part].text().strip() for part in RPWDL_PARTS}
        entry["address"] = {"street": self.street.text().strip(),
                            "postal_code": self.postal_code.text().strip(),
                            "city": self.city.text().strip()}
        entry["scopes"] = [code for code, box in self.scope_boxes.items() if box.isChecked()]
        points = []
        for row in range(self.points.rowCount()):
            values = {name: cell_text(self.points, row, column)
                      for column, name in enumerate(POINT_FIELDS)}
            if not any(values.values()):
                continue  # an empty row added by mistake
            point: dict[str, Any] = {
                "code": values["code"], "name": values["name"],
                "address": {k: values[k] for k in ("street", "postal_code", "city")}}
            item = self.points.item(row, 0)
            if item is not None and item.data(ID_ROLE) is not None:
                point["id"] = int(item.data(ID_ROLE))
            points.append(point)
        entry["mobile_points"] = points

    def _update_point_buttons(self) -> None:
        point_row = self.points.currentRow()
        item = self.points.item(point_row, 0) if point_row >= 0 else None
        self.remove_point_button.setEnabled(item is not None and item.data(ID_ROLE) is None)
