"""The e-referral in the booking dialog: scanned (the barcode scanner types the 44 digits of the
key and Enter) or typed as the 4-digit access code with the patient's PESEL, read from P1 off the
UI thread, shown (issuer, date, target specialty, refunded, status) and checked as the desk
checks it before booking (``domain.referral.desk_check``; ``services.referrals``).

The panel never books: the dialog asks it ``refusal(...)`` (the reason in Polish, or None) and
``key`` (the referral to book on). When P1 does not answer, a scanned key is kept (checked when
the outbox is sent; an unusable referral then puts the visit on the call list); an access code
needs P1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from recepcja.cer.errors import CerError, CerRejected
from recepcja.cer.referrals import ReferralRejected
from recepcja.domain.errors import DomainError
from recepcja.domain.model import Patient, Scope
from recepcja.domain.referral import (
    PROBLEM_MESSAGES,
    STATUS_LABELS,
    Referral,
    ReferralLookup,
    ReferralProblem,
    desk_check,
    kind_problem,
    lookup_from_text,
    problem_params,
)
from recepcja.gui.errors import error_text
from recepcja.gui.signals import emit
from recepcja.i18n import _

ReadReferral = Callable[[ReferralLookup], Referral]  # runs in a worker thread
Run = Callable[..., None]  # ``BackgroundRunner.run``
TermOf = Callable[[int], tuple[Scope | None, str | None]]  # a term's scope and kind


class ScanField(QLineEdit):
    """A line edit whose Enter reads the referral and goes no further: a scanner's Enter must
    not press the dialog's default button (book)."""

    entered = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.entered)
            event.accept()
            return
        super().keyPressEvent(event)


class ReferralPanel(QWidget):
    """See the module docstring. ``read`` reads a referral (in a worker, through ``run``);
    ``term_of(slot_id)`` is the scope and kind of a term (``set_slot``). ``changed`` is emitted
    whenever what the panel knows changes (read, refused, cleared)."""

    changed = Signal()

    def __init__(self, patient: Patient, read: ReadReferral, run: Run, term_of: TermOf,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("referralPanel")
        self._patient = patient
        self._read = read
        self._run = run
        self._term_of = term_of
        self._scope: Scope | None = None
        self._term_kind: str | None = None
        self.referral: Referral | None = None
        self.kept_key: str | None = None  # P1 did not answer: the key, checked at replay
        self.reading = False
        self._problem: str | None = None  # P1's refusal or a bad input, in Polish
        self.input = ScanField()
        self.input.setObjectName("referralInput")
        self.input.setPlaceholderText(
            _("scan the barcode (44 digits) or type the access code (4 digits)"))
        self.pesel = QLineEdit(patient.identifier.pesel or "")
        self.pesel.setObjectName("referralPesel")
        self.pesel.setPlaceholderText(_("the patient's PESEL, with an access code"))
        self.read_button = QPushButton(_("Read the e-referral"))
        self.read_button.setObjectName("readReferral")
        self.details = QLabel()
        self.details.setObjectName("referralDetails")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("referralProblem")
        self.problem.setStyleSheet("color: #a00000; font-weight: bold;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(_("Key or access code:"), self.input)
        form.addRow(_("PESEL (with a code):"), self.pesel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.read_button)
        layout.addWidget(self.details)
        layout.addWidget(self.problem)
        self.input.entered.connect(self.look_up)
        self.read_button.clicked.connect(self.look_up)
        self.input.textEdited.connect(lambda _text: self._forget())

    # -- what the dialog asks -----------------------------------------------------------------

    @property
    def key(self) -> str | None:
        """The key to book on: a referral read and fit for the term, or one kept while P1 did
        not answer."""
        if self.referral is not None and self._check() is None:
            return self.referral.key
        return self.kept_key

    def set_slot(self, slot_id: int) -> None:
        """The term chosen in the dialog: the referral is checked against its scope."""
        self._scope, self._term_kind = self._term_of(slot_id)
        self._show()

    def refusal(self, *, has_paper: bool = False) -> str | None:
        """Why the visit cannot be booked on what the panel holds for the chosen term (in
        Polish), or None. ``has_paper``: a paper referral's number was given instead."""
        if self.reading:
            return _("The e-referral is still being read from P1.")
        if self.input.text().strip() and self.referral is None and self.kept_key is None:
            return self._problem or _("Read the e-referral first (Enter).")
        if self.referral is not None:
            problem = self._check()
            if problem is not None:
                return self._message(problem)
        if kind_problem(self._scope, self._term_kind,
                        has_paper or self.key is not None) is not None:
            return self._message(ReferralProblem.FIRST_VISIT_NEEDS_REFERRAL)
        return None

    # -- reading ------------------------------------------------------------------------------

    def look_up(self) -> None:
        """Read what was scanned or typed, in the background."""
        self._forget()
        try:
            lookup = lookup_from_text(self.input.text(), self.pesel.text().strip() or None)
        except DomainError as error:
            self._problem = error_text(error)
            self._show()
            return
        self.reading = True
        self.read_button.setEnabled(False)
        self.details.setText(_("Reading the e-referral from P1…"))
        self.problem.hide()
        read = self._read
        self._run(lambda: read(lookup), on_success=self._read_done,
                  on_failure=lambda error: self._read_failed(lookup, error))

    def _read_done(self, referral: Any) -> None:
        self.reading = False
        self.read_button.setEnabled(True)
        self.referral = referral
        self._show()

    def _read_failed(self, lookup: ReferralLookup, error: BaseException) -> None:
        self.reading = False
        self.read_button.setEnabled(True)
        if isinstance(error, CerError) and not isinstance(error, CerRejected) and lookup.by_key:
            self.kept_key = lookup.key
            self.details.setText(_("P1 does not answer: the key is kept and the e-referral is "
                                   "checked when the queue is sent."))
            self._problem = None
            self._show(keep_details=True)
            return
        if isinstance(error, CerError) and not isinstance(error, CerRejected):
            self._problem = _("P1's e-referral service does not answer: an access code can only "
                              "be read online - scan or type the e-referral's key (44 digits).")
        elif isinstance(error, ReferralRejected) and error.problem is not None:
            self._problem = self._message(error.problem)  # the gateway's own refusal
        else:
            self._problem = error_text(error)
        self._show()

    def _forget(self) -> None:
        self.referral = None
        self.kept_key = None
        self._problem = None
        self.details.clear()
        self.problem.hide()
        emit(self.changed)

    # -- showing ------------------------------------------------------------------------------

    def _check(self) -> ReferralProblem | None:
        assert self.referral is not None
        return desk_check(self.referral, patient_pesel=self._patient.identifier.pesel,
                          scope=self._scope)

    def _message(self, problem: ReferralProblem) -> str:
        return _(PROBLEM_MESSAGES[problem]).format(
            **problem_params(problem, self.referral, self._scope))

    def _show(self, keep_details: bool = False) -> None:
        referral = self.referral
        if referral is not None:
            yes, no = _("yes"), _("no")
            lines = [
                _("Issued on {date} by {issuer}").format(
                    date=referral.issued_on.isoformat(),
                    issuer=referral.issuer + (f", {referral.doctor}" if referral.doctor else "")),
                _("For: {specialty} ({code})").format(specialty=referral.specialty_name,
                                                      code=referral.specialty_code),
                _("Refunded by the NFZ: {value}").format(value=yes if referral.refunded else no),
                _("Status: {status}").format(status=_(STATUS_LABELS[referral.status])),
            ]
            self.details.setText("\n".join(lines))
        elif not keep_details and not self.reading:
            self.details.clear()
        problem = self._problem
        if referral is not None and self._check() is not None:
            problem = self._message(self._check() or ReferralProblem.NOT_FOUND)
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        emit(self.changed)


def panel_for(window: Any, patient: Patient) -> ReferralPanel:
    """The panel for the main window's booking dialog: P1 as the window's settings say, its
    background runner, its scopes and terms."""
    from recepcja.services.referrals import read_referral

    ctx, repos, scopes = window.ctx, window.repos, window.scopes

    def term_of(slot_id: int) -> tuple[Scope | None, str | None]:
        slot = repos.slots.get(slot_id)
        schedule = repos.schedules.get(slot.schedule_id) if slot is not None else None
        return (scope_of(scopes, schedule.scope_code if schedule else None),
                str(slot.term_kind) if slot is not None else None)

    return ReferralPanel(patient, lambda lookup: read_referral(ctx, lookup),
                         window.runner.run, term_of)


def scope_of(scopes: Any, code: str | None) -> Scope | None:
    """The scope named ``code`` in a registry, None when unknown."""
    if not code:
        return None
    try:
        return scopes.get(code)
    except DomainError:
        return None
