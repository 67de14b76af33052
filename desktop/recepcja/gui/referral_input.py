"""The referral field of the booking dialog: ONE line that takes what the patient has - the
e-referral's key (44 digits, the barcode a scanner types followed by Enter) or its access code
(4 digits, read out on the phone) with the patient's PESEL - says so, checks its form as she
types, and, where P1's e-referral service is configured, reads the referral from P1 off the UI
thread as soon as the key is complete (or the code, with the PESEL): the issuer, date, target
specialty, refunded, status, and the desk's refusal in Polish (``domain.referral.desk_check``).

Enter in the field: the scanner's Enter after a key (and any Enter while P1 is being read) goes
no further - it must not press the dialog's default button; an Enter on a typed access code
books as soon as P1 has confirmed it. Without P1 the field checks the form only and the typed
key or code is booked as the visit's referral id. When P1 does not answer, a key is kept (checked
when the outbox is sent); an access code needs P1.

The dialog asks ``problem()`` (why the visit cannot be booked on what the field holds, in Polish,
or None), ``key`` (the e-referral read from P1 to book on) and ``value()`` (what was typed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from recepcja.cer.errors import CerError, CerRejected
from recepcja.cer.referrals import ReferralRejected
from recepcja.domain.errors import DomainError
from recepcja.domain.model import Scope
from recepcja.domain.referral import (
    CODE_DIGITS,
    KEY_DIGITS,
    PROBLEM_MESSAGES,
    STATUS_LABELS,
    Referral,
    ReferralLookup,
    ReferralProblem,
    desk_check,
    kind_problem,
    lookup_from_text,
    problem_params,
    takes_referral,
)
from recepcja.gui.errors import error_text
from recepcja.gui.signals import emit
from recepcja.i18n import _

ReadReferral = Callable[[ReferralLookup], Referral]  # runs in a worker thread
Run = Callable[..., None]  # ``BackgroundRunner.run``
TermOf = Callable[[int], tuple[Scope | None, str | None]]  # a term's scope and kind
CODE_PAUSE_MS = 500  # a typed code is read after this pause (the first 4 digits of a key too)
GREY, GREEN, RED = "color: #555555;", "color: #1b6e1b;", "color: #a00000; font-weight: bold;"


class ScanField(QLineEdit):
    """A line edit that asks ``on_enter()`` first: True means the Enter was the field's (a
    scanner's, or a read started) and goes no further."""

    def __init__(self, on_enter: Callable[[], bool]) -> None:
        super().__init__()
        self._on_enter = on_enter

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._on_enter():
            event.accept()
            return
        super().keyPressEvent(event)


class ReferralInput(QWidget):
    """See the module docstring. ``read``/``run``: P1 and the background runner (None: the form
    only); ``term_of(slot_id)``: a term's scope and kind (``set_slot``). ``changed`` fires
    whenever what the field holds or knows changes; ``confirmed`` when an Enter given while P1
    was read may book now."""

    changed = Signal()
    confirmed = Signal()

    def __init__(self, pesel: str | None, read: ReadReferral | None = None,
                 run: Run | None = None, term_of: TermOf | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("referralField")
        self.patient_pesel = pesel
        self.required = False
        self._read = read if run is not None else None
        self._run = run
        self._term_of = term_of
        self._scope: Scope | None = None
        self._term_kind: str | None = None
        self.referral: Referral | None = None
        self.kept_key: str | None = None  # P1 did not answer: the key, checked at replay
        self.reading = False
        self._refusal: str | None = None  # P1's refusal or why it could not be read
        self._generation = 0  # a read started before the text changed is not shown
        self._scanned = False  # a key completed by typing: the Enter that follows is the scan's
        self._book_when_read = False
        self.edit = ScanField(self._enter)
        self.edit.setObjectName("referral")
        self.edit.setAccessibleName(_("Referral"))
        self.pesel = QLineEdit(pesel or "")
        self.pesel.setObjectName("referralPesel")
        self.pesel.setPlaceholderText(_("the patient's PESEL, with an access code"))
        self.pesel_label = QLabel(_("PESEL (with a code):"))
        self.pesel.setAccessibleName(_("PESEL (with a code):"))
        self.hint = QLabel()
        self.hint.setObjectName("referralHint")
        self.hint.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("referralDetails")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.details.hide()
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(CODE_PAUSE_MS)
        self._pause.timeout.connect(self.look_up)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.edit, 3)
        line.addWidget(self.pesel_label)
        line.addWidget(self.pesel, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.hint)
        layout.addWidget(self.details)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(lambda _text: self._typed())
        self.pesel.textEdited.connect(lambda _text: self._typed())
        self.set_required(False)

    @property
    def reads_p1(self) -> bool:
        return self._read is not None

    # -- what the dialog asks and tells -------------------------------------------------------

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # Qt naming, like QLineEdit
        self.edit.setText(text)

    def value(self) -> str | None:
        """The key or the code as typed, without separators (None when empty)."""
        digits = "".join(ch for ch in self.edit.text() if not ch.isspace() and ch != "-")
        return digits or None

    @property
    def key(self) -> str | None:
        """The e-referral to book on: read from P1 and fit for the term, or a key kept while P1
        did not answer."""
        if self.referral is not None and self._check() is None:
            return self.referral.key
        return self.kept_key

    def set_required(self, required: bool) -> None:
        """The scope needs a referral (a term's kind, when known, decides: ``set_slot``)."""
        self.required = required
        self._show()

    def set_slot(self, slot_id: int) -> None:
        """The term chosen in the dialog: whether it needs a referral, and the referral read is
        checked against its scope."""
        if self._term_of is None:
            return
        self._scope, self._term_kind = self._term_of(slot_id)
        if self._scope is not None:
            self.required = takes_referral(self._scope, self._term_kind)
        self._show()

    def lookup(self) -> ReferralLookup:
        """What to ask P1 with; DomainError when the form is wrong."""
        return lookup_from_text(self.edit.text(), self.pesel.text().strip() or None)

    def problem(self) -> str | None:
        """Why the visit cannot be booked on what the field holds, in Polish; None when it can."""
        if self.reading:
            return _("The e-referral is still being read from P1.")
        if self.value() is None:
            if kind_problem(self._scope, self._term_kind, False) is not None:
                return self._message(ReferralProblem.FIRST_VISIT_NEEDS_REFERRAL)
            return _("This scope needs a referral: enter its key or code.") \
                if self.required else None
        form = self._form_problem()
        if form is not None:
            return form
        if not self.reads_p1:
            return None
        if self.referral is not None:
            checked = self._check()
            return None if checked is None else self._message(checked)
        if self.kept_key is not None:
            return None
        return self._refusal or _("Read the e-referral first (Enter).")

    def abandon(self) -> None:
        """The dialog is closed: a read still running or about to start is not shown."""
        self._generation += 1
        self._pause.stop()
        self._book_when_read = False

    # -- reading ------------------------------------------------------------------------------

    def look_up(self) -> None:
        """Read what was scanned or typed from P1, in the background."""
        self._pause.stop()
        if self._read is None or self._run is None or self.reading:
            return
        try:
            lookup = self.lookup()
        except DomainError:
            self._show()
            return
        self.reading = True
        self._generation += 1
        generation = self._generation
        read = self._read
        self._show()
        self._run(lambda: read(lookup),
                  on_success=lambda referral: self._read_done(generation, referral),
                  on_failure=lambda error: self._read_failed(generation, lookup, error))

    def _enter(self) -> bool:
        """Enter in the field: True when it goes no further (see the module docstring)."""
        if not self.reads_p1:
            return False
        if self._scanned:  # the scanner's Enter after the key
            self._scanned = False
            return True
        if self.reading:
            self._book_when_read = True
            return True
        unread = self.referral is None and self.kept_key is None and self._refusal is None
        if self.value() is None or self._form_problem() is not None or not unread:
            return False  # the dialog books, or says why not
        self._book_when_read = True
        self.look_up()
        return True

    def _read_done(self, generation: int, referral: Any) -> None:
        if generation != self._generation:
            return
        self.reading = False
        self.referral = referral
        self._finish_read()

    def _read_failed(self, generation: int, lookup: ReferralLookup,
                     error: BaseException) -> None:
        if generation != self._generation:
            return
        self.reading = False
        if isinstance(error, CerError) and not isinstance(error, CerRejected) and lookup.by_key:
            self.kept_key = lookup.key
        elif isinstance(error, CerError) and not isinstance(error, CerRejected):
            self._refusal = _("P1's e-referral service does not answer: an access code can only "
                              "be read online - scan or type the e-referral's key (44 digits).")
        elif isinstance(error, ReferralRejected) and error.problem is not None:
            self._refusal = self._message(error.problem)  # the gateway's own refusal
        else:
            self._refusal = error_text(error)
        self._finish_read()

    def _finish_read(self) -> None:
        book, self._book_when_read = self._book_when_read, False
        self._show()
        if book and self.problem() is None:
            emit(self.confirmed)

    def _typed(self) -> None:
        """The text (or the PESEL) changed: what was read no longer holds."""
        self._generation += 1
        self.reading = False
        self.referral = None
        self.kept_key = None
        self._refusal = None
        self._scanned = False
        self._book_when_read = False
        self._pause.stop()
        value = self.value() or ""
        if self.reads_p1 and self._form_problem() is None and value:
            if len(value) == KEY_DIGITS:
                self._scanned = True
                self.look_up()
                return
            if len(value) == CODE_DIGITS:
                self._pause.start()
        self._show()

    # -- showing ------------------------------------------------------------------------------

    def _form_problem(self) -> str | None:
        try:
            self.lookup()
        except DomainError as error:
            return error_text(error)
        return None

    def _check(self) -> ReferralProblem | None:
        assert self.referral is not None
        return desk_check(self.referral, patient_pesel=self.patient_pesel, scope=self._scope)

    def _message(self, problem: ReferralProblem) -> str:
        return _(PROBLEM_MESSAGES[problem]).format(
            **problem_params(problem, self.referral, self._scope))

    def _say(self, text: str, style: str) -> None:
        self.hint.setText(text)
        self.hint.setStyleSheet(style)

    def _show(self) -> None:
        value = self.value()
        self.edit.setPlaceholderText(
            _("required: the 44-digit key or the 4-digit code") if self.required
            else _("optional: the 44-digit key or the 4-digit code"))
        code = self.reads_p1 and value is not None and len(value) <= CODE_DIGITS
        self.pesel.setVisible(code)
        self.pesel_label.setVisible(code)
        self._show_details()
        if value is None:
            self._say(_("The e-referral's key (44 digits, scan the barcode) or its access code "
                        "(4 digits) with the patient's PESEL."), GREY)
        elif self.reading:
            self._say(_("Reading the e-referral from P1…"), GREY)
        elif self._form_problem() is not None:
            if len(value) in (CODE_DIGITS, KEY_DIGITS) or len(value) > KEY_DIGITS:
                self._say(self._form_problem() or "", RED)
            else:
                self._say(_("{count} of 4 (code) or 44 (key) digits").format(count=len(value)),
                          GREY)
        elif self.kept_key is not None:
            self._say(_("P1 does not answer: the key is kept and the e-referral is checked "
                        "when the queue is sent."), GREY)
        elif self.referral is not None or self._refusal is not None:
            problem = self.problem()
            self._say(problem or _("The e-referral is valid for this visit."),
                      RED if problem else GREEN)
        elif self.reads_p1:
            self._say(_("Key of the e-referral: reading it from P1 (Enter).")
                      if len(value) > CODE_DIGITS else
                      _("Access code: Enter reads it from P1 with the patient's PESEL."), GREY)
        else:
            self._say(_("Key of the e-referral: the form is right.")
                      if len(value) > CODE_DIGITS else
                      _("Access code: read with the patient's PESEL."), GREEN)
        emit(self.changed)

    def _show_details(self) -> None:
        referral = self.referral
        if referral is None:
            self.details.clear()
            self.details.hide()
            return
        yes, no = _("yes"), _("no")
        issuer = referral.issuer + (f", {referral.doctor}" if referral.doctor else "")
        self.details.setText("\n".join([  # two lines: the terms list keeps its height
            _("Issued on {date} by {issuer}").format(date=f"{referral.issued_on:%d.%m.%Y}",
                                                     issuer=issuer),
            " · ".join([
                _("For: {specialty} ({code})").format(specialty=referral.specialty_name,
                                                      code=referral.specialty_code),
                _("Refunded by the NFZ: {value}").format(
                    value=yes if referral.refunded else no),
                _("Status: {status}").format(status=_(STATUS_LABELS[referral.status]))]),
        ]))
        self.details.show()
