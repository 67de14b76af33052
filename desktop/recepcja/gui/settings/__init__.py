"""The practice settings area (issue 4): provider, places, mobile points, resources, schedules.

``install(window)`` puts "Practice settings…" on top of the "CeR obligations" menu: set the
practice up, then join CeR, then watch compliance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from recepcja.i18n import _

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


class PracticeSettings:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog: Any = None
        self.action = QAction(_("&Practice settings…"), window)
        self.action.setObjectName("actionPracticeSettings")
        self.action.setToolTip(_("Provider, places of service, doctors and devices, schedules"))
        self.action.triggered.connect(lambda *_a: self.open())
        from recepcja.gui.onboarding_view import MENU_NAME

        menu = window.menuBar().findChild(QMenu, MENU_NAME)
        if menu is None:
            menu = window.menuBar().addMenu(_("CeR &obligations"))
        first = menu.actions()[0] if menu.actions() else None
        if first is None:
            menu.addAction(self.action)
        else:
            menu.insertAction(first, self.action)
            menu.insertSeparator(first)

    def open(self) -> Any:
        from recepcja.gui.away_panels import SETTINGS, refuse_while_away, settings_database
        from recepcja.gui.settings.dialog import PracticeSettingsDialog

        window = self.window
        if refuse_while_away(window, SETTINGS):
            return None
        if self.dialog is None:
            self.dialog = PracticeSettingsDialog(
                lambda: settings_database(window), window.ctx.user, scopes=window.scopes,
                exports=window.ctx.paths.exports, parent=window)
            self.dialog.saved.connect(self.refresh_window)
        elif not self.dialog.isVisible():
            self.dialog.load()  # closed since: start from what is stored (edits stay if open)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def refresh_window(self) -> None:
        """Saved settings may add schedules, places or doctors: the filters and views re-read."""
        window = self.window
        if getattr(window, "closed", False) or self.dialog is None:
            return
        if self.dialog.last_result is not None and self.dialog.last_result.changed:
            from recepcja.services import day_view

            window.filters.set_choices(day_view.filter_choices(window.repos))
            window.reload()

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close_without_asking()


def install(window: MainWindow) -> PracticeSettings:
    return PracticeSettings(window)
