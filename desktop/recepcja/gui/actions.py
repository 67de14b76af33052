"""The window's actions, menus and toolbar: every frequent action has a shortcut, and the
shortcut is shown in the menu and in the tooltip (keyboard first)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QToolButton

from recepcja.i18n import _


def _action(window: QMainWindow, name: str, text: str, shortcuts: list[str],
            tip: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    sequences = [QKeySequence(s) for s in shortcuts]
    action.setShortcuts(sequences)
    keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
    label = tip or text.replace("&", "").rstrip("…")
    action.setToolTip(f"{label} ({keys})" if keys else label)
    action.setStatusTip(action.toolTip())
    window.addAction(action)  # shortcuts work wherever the focus is
    return action


class MainActions:
    """Creates the actions on ``window`` and puts them in menus and a toolbar; the window
    connects their ``triggered`` signals."""

    def __init__(self, window: QMainWindow, training: bool) -> None:
        a = _action
        w = window
        self.find_patient = a(w, "findPatient", _("&Find patient…"), ["Ctrl+F"])
        self.new_patient = a(w, "newPatient", _("&New patient…"), ["Ctrl+Shift+P"])
        self.edit_patient = a(w, "editPatient", _("&Edit patient…"), ["F2"])
        self.patient_card = a(w, "patientCard", _("Patient &card…"), ["F4"])
        self.book = a(w, "book", _("&Book a visit…"), ["Ctrl+N", "Ctrl+B"])
        self.next_free = a(w, "nextFree", _("Next &free term"), ["F3"])
        self.cancel_visit = a(w, "cancelVisit", _("&Cancel the visit…"), ["Del", "Ctrl+D"])
        self.reschedule = a(w, "reschedule", _("&Move the visit…"), ["Ctrl+R"])
        self.arrived = a(w, "arrived", _("Patient &arrived"), ["Ctrl+1"])
        self.no_show = a(w, "noShow", _("Patient did &not come"), ["Ctrl+2"])
        self.absence = a(w, "absence", _("Doctor a&bsence…"), ["Ctrl+Shift+A"])
        self.today = a(w, "today", _("&Today"), ["Ctrl+T"])
        self.goto_date = a(w, "gotoDate", _("&Go to date…"), ["Ctrl+G"])
        self.previous_day = a(w, "previousDay", _("&Previous day"), ["Alt+Left", "Ctrl+PgUp"])
        self.next_day = a(w, "nextDay", _("Ne&xt day"), ["Alt+Right", "Ctrl+PgDown"])
        self.day_view = a(w, "dayView", _("&Day view"), ["Ctrl+Shift+D"])
        self.week_view = a(w, "weekView", _("&Week view"), ["Ctrl+Shift+W"])
        self.refresh = a(w, "refresh", _("&Refresh"), ["F5"])
        self.quit = a(w, "quit", _("&Quit"), ["Ctrl+Q"])
        self.print_confirmation = a(w, "printConfirmation", _("Print the visit &confirmation…"),
                                    ["Ctrl+P"])
        self.print_day = a(w, "printDay", _("Print the &day list…"), ["Ctrl+Shift+L"])
        self.pdf_confirmation = a(w, "pdfConfirmation", _("Visit confirmation to PD&F…"), [])
        self.pdf_day = a(w, "pdfDay", _("Day list to P&DF…"), [])
        self.outage_start = a(w, "outageStart", _("&Simulate a CeR outage"), [])
        self.outage_end = a(w, "outageEnd", _("&End the outage"), [])

        menus = window.menuBar()
        file_menu = menus.addMenu(_("&File"))
        for action in (self.print_confirmation, self.print_day, self.pdf_confirmation,
                       self.pdf_day):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        patient_menu = menus.addMenu(_("&Patient"))
        for action in (self.find_patient, self.new_patient, self.edit_patient,
                       self.patient_card):
            patient_menu.addAction(action)
        visit_menu = menus.addMenu(_("&Visit"))
        for action in (self.book, self.next_free, self.reschedule, self.cancel_visit):
            visit_menu.addAction(action)
        visit_menu.addSeparator()
        visit_menu.addAction(self.arrived)
        visit_menu.addAction(self.no_show)
        visit_menu.addSeparator()
        visit_menu.addAction(self.absence)
        view_menu = menus.addMenu(_("V&iew"))
        for action in (self.today, self.goto_date, self.previous_day, self.next_day):
            view_menu.addAction(action)
        view_menu.addSeparator()
        for action in (self.day_view, self.week_view, self.refresh):
            view_menu.addAction(action)
        self.training_menu = None
        if training:
            self.training_menu = menus.addMenu(_("&Training"))
            self.training_menu.addAction(self.outage_start)
            self.training_menu.addAction(self.outage_end)
            self.outage_end.setEnabled(False)

        toolbar = QToolBar(_("Main toolbar"), window)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        for action in (self.find_patient, self.new_patient, self.patient_card, self.book,
                       self.next_free, self.reschedule, self.cancel_visit, self.arrived,
                       self.no_show):
            toolbar.addAction(action)
        toolbar.addSeparator()  # the days: in the date bar above the schedule (no repeat here)
        printing = QMenu(window)
        for action in (self.print_confirmation, self.print_day, self.pdf_confirmation,
                       self.pdf_day):
            printing.addAction(action)
        self.print_button = QToolButton(toolbar)
        self.print_button.setObjectName("printButton")
        self.print_button.setText(_("Print"))
        self.print_button.setToolTip(_("Print the visit confirmation or the day list"))
        self.print_button.setMenu(printing)
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        toolbar.addWidget(self.print_button)
        window.addToolBar(toolbar)
        self.toolbar = toolbar
