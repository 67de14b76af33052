"""The practice settings area: provider, places of service with their mobile points, resources
and schedules, edited in four tabs and saved together.

Saving goes through exactly what ``recepcja setup --config FILE`` does (``practice_plan``
validation, then one transaction in ``practice_setup.apply_plan``): a problem is shown in
Polish with the entry it is about selected, and nothing is written; everything typed stays in
the dialog to be corrected. The stored practice can also be exported to a practice file.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.errors import DomainError
from recepcja.domain.scopes import ScopeRegistry
from recepcja.gui.settings.places_tab import PlacesTab
from recepcja.gui.settings.resources_tab import ResourcesTab
from recepcja.gui.settings.schedules_tab import SchedulesTab
from recepcja.gui.signals import emit
from recepcja.i18n import _
from recepcja.services.practice_plan import Labels
from recepcja.services.practice_settings import (
    PracticeSnapshot,
    export_practice,
    read_practice,
    save_practice,
)
from recepcja.services.practice_setup import SetupResult

PROVIDER_TAB, PLACES_TAB, RESOURCES_TAB, SCHEDULES_TAB = range(4)
_QUOTED = re.compile(r"[\"„](.+?)[\"”]")


def settings_labels() -> Labels:
    """How errors name entries here: the words on the tabs, not the file's sections."""
    return Labels(file=_("Practice settings"), provider=_("Provider"), places=_("Place"),
                  resources=_("Resource"), schedules=_("Schedule"), number=_("no. {number}"),
                  point=_("mobile point no. {number}"), rule=_("rule no. {number}"),
                  exception=_("day off no. {number}"), named=_('{section} "{name}"'),
                  address=_("{where}, address"), rpwdl=_("{where}, RPWDL codes"))


def _field_names() -> dict[str, str]:
    """The file's field names an error may mention, in the words of the forms."""
    return {"name": _("name (field)"), "key": _("name (field)"),
            "street": _("street and number (field)"), "postal_code": _("postal code (field)"),
            "city": _("city (field)"), "code": _("code (field)"), "kind": _("kind (field)"),
            "licence_number": _("licence number (field)"), "place": _("place (field)"),
            "resource": _("doctor or device (field)"), "scopes": _("scopes (field)"),
            "rules": _("weekly template (field)"), "start": _("from (field)"),
            "end": _("to (field)"), "nip": "NIP", "regon": "REGON"}


def error_text(error: DomainError) -> str:
    params = {k: _(v) if isinstance(v, str) else v for k, v in error.params.items()}
    if "field" in params:
        params["field"] = _field_names().get(str(error.params["field"]), params["field"])
    return _(error.message).format(**params)


class ProviderTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name, self.nip, self.regon = QLineEdit(), QLineEdit(), QLineEdit()
        self.name.setObjectName("providerName")
        self.nip.setMaxLength(13)
        self.regon.setMaxLength(14)
        layout = QFormLayout(self)
        layout.addRow(_("&Name:"), self.name)
        layout.addRow(_("NIP:"), self.nip)
        layout.addRow(_("REGON:"), self.regon)

    def load(self, provider: dict[str, Any]) -> None:
        self.name.setText(provider.get("name", ""))
        self.nip.setText(provider.get("nip", ""))
        self.regon.setText(provider.get("regon", ""))

    def entry(self) -> dict[str, Any]:
        entry = {"name": self.name.text().strip()}
        for key, edit in (("nip", self.nip), ("regon", self.regon)):
            if edit.text().strip():
                entry[key] = edit.text().strip()
        return entry


class PracticeSettingsDialog(QDialog):
    """``db_factory()`` gives the database to read and write (the window's connection);
    ``saved`` is emitted after every successful save."""

    saved = Signal()

    def __init__(self, db_factory: Callable[[], Any], user: str,
                 scopes: ScopeRegistry | None = None, exports: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("practiceSettings")
        self.setWindowTitle(_("Practice settings"))
        self.db_factory, self.user = db_factory, user
        self.scopes = scopes or ScopeRegistry.default()
        self.exports = exports
        self.snapshot: PracticeSnapshot | None = None
        self._loaded: dict[str, Any] | None = None
        self.last_result: SetupResult | None = None
        self.provider = ProviderTab()
        self.places = PlacesTab(self.scopes)
        self.resources = ResourcesTab()
        self.schedules = SchedulesTab(self.scopes, self.places.choices, self.resources.choices)
        self.tabs = QTabWidget()
        for widget, title in ((self.provider, _("&Provider")), (self.places, _("P&laces")),
                              (self.resources, _("&Resources")),
                              (self.schedules, _("&Schedules"))):
            self.tabs.addTab(widget, title)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.message = QLabel()
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("&Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        self.export_button = self.buttons.addButton(
            _("&Export to a file…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(lambda *_a: self.export())
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(980, 620)
        self.load()

    def load(self) -> None:
        self.snapshot = read_practice(self.db_factory())
        data, locks = self.snapshot.data, self.snapshot.locks
        self._loaded = copy.deepcopy(data)  # the tabs edit ``data`` in place
        self.provider.load(data["provider"])
        self.places.load(data["places"], locks.places, locks.points)
        self.resources.load(data["resources"])
        self.schedules.load(data["schedules"], locks.schedules)

    def collect(self) -> dict[str, Any]:
        """The practice as edited, in the shape ``practice_plan`` reads."""
        return {"provider": self.provider.entry(), "places": self.places.entries(),
                "resources": self.resources.entries(), "schedules": self.schedules.entries()}

    def has_unsaved_changes(self) -> bool:
        return self.snapshot is not None and self.collect() != self._loaded

    def close_without_asking(self) -> None:
        """The main window is closing: nothing here was saved, and nothing is asked."""
        self._loaded = None
        self.snapshot = None
        self.close()

    def reject(self) -> None:
        """Close / Esc: unsaved edits are discarded only when the user says so."""
        if self.snapshot is not None and self.has_unsaved_changes():
            answer = QMessageBox.question(
                self, _("Practice settings"),
                _("Discard the changes that are not saved?"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Discard:
                return
            self.load()  # the next opening starts from what is stored
        super().reject()

    def _dangling(self, data: dict[str, Any]) -> bool:
        """A schedule whose place or resource was removed in this dialog: say it in the
        tab's words (the file's validation would name internal keys)."""
        places = {p["key"] for p in data["places"]}
        resources = {r["key"] for r in data["resources"]}
        for schedule in data["schedules"]:
            if schedule["place"] not in places:
                text = _("Schedule \"{name}\": its place no longer exists; choose another.")
            elif schedule["resource"] not in resources:
                text = _("Schedule \"{name}\": its doctor or device no longer exists; choose "
                         "another.")
            else:
                continue
            self._message(text.format(name=schedule["name"] or _("(no name)")), error=True)
            self.tabs.setCurrentIndex(SCHEDULES_TAB)
            self.schedules.select_named(schedule["name"])
            return True
        return False

    def save(self) -> bool:
        """Validate and write; on a problem show it, select the entry and keep every edit."""
        assert self.snapshot is not None
        data = self.collect()
        if self._dangling(data):
            return False
        try:
            result = save_practice(self.db_factory(), data, self.user, oid=self.snapshot.oid,
                                   labels=settings_labels(), scopes=self.scopes)
        except DomainError as error:
            self._show_problem(error)
            return False
        self.last_result = result
        created = [name for kind, name, what in result.changes
                   if kind in ("place", "schedule", "mobile point") and what == "created"]
        text = (_("Saved: {count} changes.").format(count=len(result.changes))
                if result.changed else _("Nothing to save: no changes."))
        if created:
            text += " " + _("New in the practice: {names}. They still need to join CeR "
                            "(CeR obligations → Joining CeR).").format(names=", ".join(created))
        self._message(text, error=False)
        self.load()  # new entries now have their ids
        emit(self.saved)
        return True

    def export(self, path: Path | None = None) -> bool:
        from recepcja.gui.file_choice import save_target

        start = str((self.exports or Path.home()) / f"praktyka-{dt.date.today().isoformat()}.toml")
        chosen = save_target(self, _("Export the practice"), start,
                             _("Practice configuration (*.toml)"), path)
        if chosen is None:
            return False
        path, overwrite = chosen
        try:
            count = export_practice(self.db_factory(), path, overwrite=overwrite)
        except DomainError as error:
            self._message(error_text(error), error=True)
            return False
        self._message(_("The saved practice ({count} schedules) was written to {path}.").format(
            count=count, path=path), error=False)
        return True

    def _show_problem(self, error: DomainError) -> None:
        self._message(error_text(error), error=True)
        where = str(error.params.get("where", ""))
        labels = settings_labels()
        match = _QUOTED.search(where) or _QUOTED.search(str(error.params.get("name", "")))
        for label, tab, widget in ((labels.schedules, SCHEDULES_TAB, self.schedules),
                                   (labels.resources, RESOURCES_TAB, self.resources),
                                   (labels.places, PLACES_TAB, self.places),
                                   (labels.provider, PROVIDER_TAB, None)):
            if where.startswith(label):
                self.tabs.setCurrentIndex(tab)
                if match and widget is not None:
                    widget.select_named(match[1])
                return

    def _message(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00000; font-weight: bold;" if error else "")

    def _tab_changed(self, index: int) -> None:
        if index == SCHEDULES_TAB:
            self.schedules.refresh_choices()
