"""Book (or move) a visit, in the order the call goes: urgency and scope first, then the term -
the first one the rules allow for that urgency named in one line and preselected, the others
grouped by day with their doctor or device, kind and place, filterable by doctor / device and
date - then the referral (``gui/referral_input.py``: one field that says what it takes, checks
its form, reads the e-referral from P1 and refuses with a reason, required where the term needs
it) and the central request. Every field has its Alt-shortcut.
"Print the confirmation" rides on the same Enter that books.

The dialog only collects the request; the window hands it to ``DeskActions`` in the background
runner (a local transaction; the sync engine sends it to CeR afterwards). Given a ``runner``, the
free terms (and the first lawful term of each urgency) are read off the UI thread: "loading…"
in the list meanwhile, a result for a scope no longer chosen dropped, an Enter pressed before
they came books once they are there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from recepcja.domain.entities import Patient
from recepcja.domain.model import Urgency
from recepcja.gui.formatting import datetime_text, long_date_text, time_text
from recepcja.gui.referral_input import ReferralInput
from recepcja.i18n import _
from recepcja.services.booking_terms import TermOffer

if TYPE_CHECKING:
    from recepcja.gui.workers import BackgroundRunner

LoadTerms = Callable[[str], Sequence[TermOffer]]
Propose = Callable[[str, Urgency], int | None]
Firsts = dict[Urgency, int | None]  # the first lawful term's slot of each urgency
ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class BookingRequest:
    patient_id: int
    slot_id: int
    urgency: Urgency
    central_request_id: str | None
    referral_id: str | None
    print_confirmation: bool = False
    referral_key: str | None = None  # the e-referral read from P1 (gui.referral_input)


def offer_text(offer: TermOffer) -> str:
    """``10:40  lek. Anna Nowak · pierwszorazowa · Poradnia Kardiologiczna``"""
    parts = [offer.info.resource_name or offer.info.label]
    if offer.kind_word:
        parts.append(_(offer.kind_word))
    if offer.info.place_name:
        parts.append(offer.info.place_name)
    return f"{time_text(offer.start)}  " + " · ".join(parts)


class DayEdit(QDateEdit):
    """A date field Tab leaves (a plain QDateEdit walks its day, month and year first: three
    keystrokes more to reach the terms). Arrows and typing change the date as usual."""

    def focusNextPrevChild(self, next: bool) -> bool:  # Qt API
        return QWidget.focusNextPrevChild(self, next)


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class BookingDialog(QDialog):
    """``load_terms(scope)``: the free terms to offer; ``scopes``: (code, name) to choose from;
    ``scope``: the one to start with; ``selected_slot``: the term the desk was on (kept when
    offered). ``propose(scope, urgency)``: the first term the rules allow. ``reschedule``: only
    the terms (moving keeps urgency and referral), ``moving`` names the term being moved.
    ``referral_panel``: the referral field reading P1 (``gui.referral_panel.panel_for``); without
    it the field checks the form only. ``runner``: where ``load_terms`` and ``propose`` run (off
    the UI thread; they must then open their own connection); without one they run here."""

    def __init__(
        self,
        patient: Patient,
        load_terms: LoadTerms,
        *,
        scopes: Sequence[tuple[str, str]] = (),
        scope: str | None = None,
        selected_slot: int | None = None,
        propose: Propose | None = None,
        referral_required: Callable[[str], bool] = lambda _scope: False,
        reschedule: bool = False,
        moving: str | None = None,
        print_confirmation: bool = True,
        referral_panel: ReferralInput | None = None,
        runner: BackgroundRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bookingDialog")
        self._patient = patient
        self._load = load_terms
        self._propose = propose
        self._referral_required = referral_required
        self._reschedule = reschedule
        self._offers: list[TermOffer] = []
        self._first: int | None = None
        self._runner = runner
        self._firsts: Firsts = {}
        self._terms_ticket = 0  # the newest read of the terms; older results are dropped
        self.loading = False  # the terms are being read
        self._accept_when_loaded = False
        self.request: BookingRequest | None = None
        self.setWindowTitle(_("Move the visit") if reschedule else _("Book a visit"))
        who = QLabel(f"<b>{patient.last_name} {patient.first_name}</b> "
                     f"({patient.identifier.pesel or patient.local_id or ''})")
        self.moving = QLabel(_("Moving: {term}").format(term=moving) if moving else "")
        self.moving.setObjectName("movingTerm")
        self.moving.setVisible(bool(moving))

        self.urgency = QComboBox()
        self.urgency.setObjectName("urgency")
        self.urgency.addItem(_("stable"), Urgency.STABLE)
        self.urgency.addItem(_("urgent"), Urgency.URGENT)
        self.scope = QComboBox()
        self.scope.setObjectName("scope")
        for code, name in scopes:
            self.scope.addItem(name, code)
        if scope is not None and self.scope.findData(scope) < 0:
            self.scope.addItem(scope, scope)
        if scope is not None:
            self.scope.setCurrentIndex(self.scope.findData(scope))
        self.scope.setEnabled(not reschedule)

        self.first_line = QLabel()
        self.first_line.setObjectName("firstAllowedLine")
        self.first_line.setWordWrap(True)
        self.first_allowed = QPushButton(_("&First allowed term"))
        self.first_allowed.setObjectName("firstAllowed")
        self.first_allowed.setToolTip(
            _("Choose the first term the rules allow for this urgency (Ctrl+Shift+N)"))
        self.first_allowed.setShortcut("Ctrl+Shift+N")

        self.resource = QComboBox()
        self.resource.setObjectName("resourceFilter")
        self.from_day = DayEdit()
        self.from_day.setObjectName("fromDay")
        self.from_day.setCalendarPopup(True)
        self.from_day.setDisplayFormat("dd.MM.yyyy")
        self.terms = QListWidget()
        self.terms.setObjectName("terms")
        self.terms.setAccessibleName(_("Free terms"))

        self.referral = (referral_panel if referral_panel is not None
                         else ReferralInput(patient.identifier.pesel))  # the form only
        self.request_id = QLineEdit()
        self.request_id.setObjectName("centralRequest")
        self.request_id.setPlaceholderText(_("optional"))
        self.print_box = QCheckBox(_("&Print the confirmation after booking"))
        self.print_box.setObjectName("printConfirmation")
        self.print_box.setChecked(print_confirmation and not reschedule)
        self.error = QLabel()
        self.error.setObjectName("bookingError")
        self.error.setStyleSheet("color: #a00000; font-weight: bold;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            _("Mo&ve") if reschedule else _("&Book"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self._lay_out(who)

        self.buttons.accepted.connect(self.accept)
        self.referral.confirmed.connect(self.accept)  # Enter on a code, once P1 confirmed it
        self.finished.connect(lambda _result: self.referral.abandon())
        self.buttons.rejected.connect(self.reject)
        self.first_allowed.clicked.connect(self.choose_first_allowed)
        self.urgency.currentIndexChanged.connect(lambda _i: self._first_changed(select=True))
        self.scope.currentIndexChanged.connect(lambda _i: self._scope_changed())
        self.resource.currentIndexChanged.connect(lambda _i: self._filter())
        self.from_day.dateChanged.connect(lambda _d: self._filter())
        self.terms.currentItemChanged.connect(lambda *_a: self._referral_mode())
        self.terms.itemDoubleClicked.connect(lambda _item: self.accept())
        self._scope_changed(selected_slot)
        if not reschedule and self.referral.required:
            self.referral.setFocus()  # the term is chosen: what is missing is the referral
        else:
            self.terms.setFocus()
        self.resize(720, 600)

    def _lay_out(self, who: QLabel) -> None:
        grid = QGridLayout()
        grid.addWidget(QLabel(_("Patient:")), 0, 0)
        grid.addWidget(who, 0, 1, 1, 3)
        if not self._reschedule:
            grid.addWidget(_buddy(_("&Urgency:"), self.urgency), 1, 0)
            grid.addWidget(self.urgency, 1, 1)
        grid.addWidget(_buddy(_("&Scope:"), self.scope), 1, 2)
        grid.addWidget(self.scope, 1, 3)
        grid.addWidget(self.first_line, 2, 0, 1, 3)
        grid.addWidget(self.first_allowed, 2, 3)
        grid.addWidget(_buddy(_("&Doctor / device:"), self.resource), 3, 0)
        grid.addWidget(self.resource, 3, 1)
        grid.addWidget(_buddy(_("F&rom:"), self.from_day), 3, 2)
        grid.addWidget(self.from_day, 3, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.moving)
        layout.addLayout(grid)
        layout.addWidget(_buddy(_("&Terms:"), self.terms))
        layout.addWidget(self.terms, 1)
        if not self._reschedule:
            form = QGridLayout()
            label = _buddy(_("R&eferral:"), self.referral)
            label.setMinimumHeight(self.referral.edit.sizeHint().height())  # level with its line
            form.addWidget(label, 0, 0, Qt.AlignmentFlag.AlignTop)
            form.addWidget(self.referral, 0, 1)
            form.addWidget(_buddy(_("&Central request ID:"), self.request_id), 1, 0)
            form.addWidget(self.request_id, 1, 1)
            form.setColumnStretch(1, 1)
            layout.addLayout(form)
            layout.addWidget(self.print_box)
        layout.addWidget(self.error)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        order = [self.urgency, self.scope, self.first_allowed, self.resource, self.from_day,
                 self.terms, self.referral.edit, self.request_id, self.print_box]
        for first, second in zip(order, order[1:], strict=False):
            self.setTabOrder(first, second)

    # --- the terms ------------------------------------------------------------------------

    def scope_code(self) -> str:
        return str(self.scope.currentData() or "")

    def _read_terms(self, scope: str) -> tuple[list[TermOffer], Firsts]:
        """The free terms of ``scope`` and the first lawful one of each urgency (on the
        runner's thread when there is a runner)."""
        offers = list(self._load(scope))
        firsts: Firsts = {}
        if self._propose is not None:
            firsts = {urgency: self._propose(scope, urgency) for urgency in Urgency}
        return offers, firsts

    def _scope_changed(self, keep: int | None = None) -> None:
        scope = self.scope_code()
        self._terms_ticket += 1
        ticket = self._terms_ticket
        if not scope or self._runner is None:
            self._terms_read(ticket, keep, *(self._read_terms(scope) if scope else ([], {})))
            return
        self.loading = True
        self.terms.clear()
        placeholder = QListWidgetItem(_("Loading the free terms…"))
        placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
        self.terms.addItem(placeholder)
        self.first_line.setText("")
        self._referral_mode()  # what the scope needs is known before its terms
        self._runner.run(lambda: self._read_terms(scope),
                         on_success=lambda read: self._terms_read(ticket, keep, *read),
                         on_failure=lambda error: self._terms_failed(ticket, error))

    def _terms_failed(self, ticket: int, error: BaseException) -> None:
        if ticket != self._terms_ticket:
            return
        from recepcja.i18n import error_text

        self.loading = self._accept_when_loaded = False
        self.terms.clear()
        self._fail(error_text(error))

    def done(self, result: int) -> None:  # Qt API: accepted or rejected
        self._terms_ticket += 1  # a read still running finds the dialog gone: dropped
        super().done(result)

    def _terms_read(self, ticket: int, keep: int | None, offers: list[TermOffer],
                    firsts: Firsts) -> None:
        if ticket != self._terms_ticket:  # another scope was chosen, or the dialog closed
            return
        self.loading = False
        self._offers, self._firsts = offers, firsts
        self.resource.blockSignals(True)
        self.resource.clear()
        self.resource.addItem(_("all"), None)
        seen: dict[int, str] = {}
        for offer in self._offers:
            seen.setdefault(offer.info.schedule.resource_id, offer.info.resource_name)
        for resource_id, name in sorted(seen.items(), key=lambda item: item[1]):
            self.resource.addItem(name, resource_id)
        self.resource.blockSignals(False)
        self.from_day.blockSignals(True)
        first_day = self._offers[0].day if self._offers else dt.date.today()
        self.from_day.setDate(QDate(first_day.year, first_day.month, first_day.day))
        self.from_day.blockSignals(False)
        self._fill()
        self._first_changed(select=keep is None or not self._select(keep))
        if self._accept_when_loaded:
            self._accept_when_loaded = False
            self.accept()

    def _fill(self) -> None:
        self.terms.clear()
        day = None
        bold = QFont(self.terms.font())
        bold.setBold(True)
        for offer in self._offers:
            if offer.day != day:
                day = offer.day
                header = QListWidgetItem(long_date_text(day))
                header.setFlags(Qt.ItemFlag.NoItemFlags)  # arrows skip it
                header.setFont(bold)
                header.setData(ROLE, None)
                self.terms.addItem(header)
            item = QListWidgetItem("    " + offer_text(offer))
            item.setData(ROLE, offer)
            self.terms.addItem(item)
        self._filter()

    def _filter(self) -> None:
        """Hide what the doctor / device and date filters leave out (headers of empty days
        too); keep the chosen term when it stays visible."""
        resource = self.resource.currentData()
        date = self.from_day.date()
        since = dt.date(date.year(), date.month(), date.day())
        header: QListWidgetItem | None = None
        any_in_day = False
        for row in range(self.terms.count()):
            item = self.terms.item(row)
            offer = item.data(ROLE)
            if offer is None:
                if header is not None:
                    header.setHidden(not any_in_day)
                header, any_in_day = item, False
                continue
            hidden = offer.day < since or (resource is not None
                                           and offer.info.schedule.resource_id != resource)
            item.setHidden(hidden)
            any_in_day = any_in_day or not hidden
        if header is not None:
            header.setHidden(not any_in_day)
        current = self.terms.currentItem()
        if current is None or current.isHidden():
            for row in range(self.terms.count()):
                item = self.terms.item(row)
                if item.data(ROLE) is not None and not item.isHidden():
                    self.terms.setCurrentItem(item)
                    break

    def _select(self, slot_id: int | None) -> bool:
        for row in range(self.terms.count()):
            offer = self.terms.item(row).data(ROLE)
            if offer is not None and offer.slot_id == slot_id:
                if self.terms.item(row).isHidden():
                    self.resource.setCurrentIndex(0)
                    self.from_day.setDate(QDate(offer.day.year, offer.day.month,
                                                offer.day.day))
                self.terms.setCurrentRow(row)
                return True
        return False

    def _first_changed(self, *, select: bool) -> None:
        """The first lawful term for the urgency, in one line; chosen when ``select``."""
        if self.loading:  # the terms' arrival does this
            return
        self._first = self._firsts.get(self.urgency.currentData())
        offer = next((o for o in self._offers if o.slot_id == self._first), None)
        urgency = self.urgency.currentText()
        if offer is not None:
            self.first_line.setText(_("First term the rules allow for a {urgency} patient: "
                                      "{term}").format(urgency=urgency, term=(
                                          f"{datetime_text(offer.start)}, "
                                          + offer_text(offer).split("  ", 1)[1])))
        elif self._offers:
            self.first_line.setText(_("No term the rules allow for a {urgency} patient among "
                                      "these; the nearest free term is offered.").format(
                urgency=urgency))
        else:
            self.first_line.setText(_("No free term in this scope."))
        if select:
            self.choose_first_allowed()
        self._referral_mode()

    def choose_first_allowed(self) -> None:
        """Select the first term the rules allow, or the nearest offered term."""
        if self._first is not None and self._select(self._first):
            return
        for row in range(self.terms.count()):
            if self.terms.item(row).data(ROLE) is not None:
                self.terms.setCurrentRow(row)
                return

    def current(self) -> TermOffer | None:
        item = self.terms.currentItem()
        return None if item is None else item.data(ROLE)

    def _referral_mode(self) -> None:
        offer = self.current()
        scope = offer.scope_code if offer is not None else self.scope_code()
        self.referral.set_required(bool(scope) and self._referral_required(scope))
        if offer is not None:
            self.referral.set_slot(offer.slot_id)

    # --- booking --------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def accept(self) -> None:
        if self.loading:  # Enter before the terms came: book once they are there
            self._accept_when_loaded = True
            return
        offer = self.current()
        if offer is None:
            self._fail(_("Choose a term."))
            self.terms.setFocus()
            return
        key = None
        if not self._reschedule:
            problem = self.referral.problem()
            if problem is not None:
                self._fail(problem)
                self.referral.setFocus()
                return
            key = self.referral.key
        self.request = BookingRequest(
            patient_id=int(self._patient.id or 0),
            slot_id=offer.slot_id,
            urgency=self.urgency.currentData(),
            central_request_id=self.request_id.text().strip() or None,
            referral_id=None if self._reschedule or key else self.referral.value(),
            print_confirmation=self.print_box.isChecked() and not self._reschedule,
            referral_key=key,
        )
        super().accept()
