"""Filters of the schedule views: scope, place of service, doctor (or device)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from recepcja.gui.signals import emit
from recepcja.i18n import _
from recepcja.services.day_view import FilterChoices


class FilterBar(QWidget):
    changed = Signal()

    def __init__(self, scope_name: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scope_name = scope_name
        self.scope = QComboBox()
        self.scope.setObjectName("scopeFilter")
        self.scope.setToolTip(_("Show the schedules of one scope"))
        self.place = QComboBox()
        self.place.setObjectName("placeFilter")
        self.place.setToolTip(_("Show the schedules of one place of service"))
        self.resource = QComboBox()
        self.resource.setObjectName("resourceFilter")
        self.resource.setToolTip(_("Show the schedules of one doctor or device"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, combo in (
            (_("Scope:"), self.scope),
            (_("Place:"), self.place),
            (_("Doctor:"), self.resource),
        ):
            layout.addWidget(QLabel(label))
            layout.addWidget(combo)
            combo.currentIndexChanged.connect(self._combo_changed)
        layout.addStretch(1)

    def _combo_changed(self, _index: int) -> None:
        emit(self.changed)

    def set_choices(self, choices: FilterChoices) -> None:
        for combo, items in (
            (self.scope, [(code, self._scope_name(code)) for code in choices.scopes]),
            (self.place, list(choices.places)),
            (self.resource, list(choices.resources)),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_("all"), None)
            for value, label in items:
                combo.addItem(label, value)
            combo.blockSignals(False)
        emit(self.changed)

    def show_all(self) -> None:
        """Every scope, place and doctor (one ``changed``)."""
        for combo in (self.scope, self.place, self.resource):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        emit(self.changed)

    def values(self) -> tuple[str | None, int | None, int | None]:
        return self.scope.currentData(), self.place.currentData(), self.resource.currentData()
