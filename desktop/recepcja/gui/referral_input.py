"""The referral field of the booking dialog: one line that takes what the patient has - the
e-referral's key (44 digits, the barcode a scanner types) or its access code (4 digits, read
out on the phone) with the patient's PESEL - says so, and checks its form as she types.

A small widget of its own, so the e-referral reading from P1 (a lookup of the referral, its
status, whether it fits the scope) can be plugged in next to it: ``changed`` fires with the
normalised value, ``lookup()`` gives the ``domain.referral.ReferralLookup`` to ask P1 with.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from recepcja.domain.errors import DomainError
from recepcja.domain.referral import ReferralLookup, lookup_from_text
from recepcja.gui.signals import emit
from recepcja.i18n import _, translate_error


class ReferralInput(QWidget):
    """``value()``: the key or the code as typed, without separators (None when empty);
    ``problem()``: what is wrong with its form (None when fine or when empty and optional)."""

    changed = Signal(str)

    def __init__(self, pesel: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pesel = pesel
        self.required = False
        self.edit = QLineEdit()
        self.edit.setObjectName("referral")
        self.edit.setAccessibleName(_("Referral"))
        self.hint = QLabel()
        self.hint.setObjectName("referralHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._typed)
        self.set_required(False)

    # The booking dialog and the tests type into the line itself.
    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # Qt naming, like QLineEdit
        self.edit.setText(text)

    def set_required(self, required: bool) -> None:
        self.required = required
        self.edit.setPlaceholderText(
            _("required: the 44-digit key or the 4-digit code") if required
            else _("optional: the 44-digit key or the 4-digit code"))
        self._typed(self.edit.text())

    def value(self) -> str | None:
        digits = "".join(ch for ch in self.edit.text() if not ch.isspace() and ch != "-")
        return digits or None

    def lookup(self) -> ReferralLookup:
        """What to ask P1 with; DomainError when the form is wrong."""
        return lookup_from_text(self.edit.text(), self.pesel)

    def problem(self) -> str | None:
        if self.value() is None:
            return _("This scope needs a referral: enter its key or code.") \
                if self.required else None
        try:
            self.lookup()
        except DomainError as error:
            return translate_error(error)
        return None

    def _typed(self, text: str) -> None:
        value = self.value()
        if value is None:
            self.hint.setText(_("The e-referral's key (44 digits, scan the barcode) or its "
                                "access code (4 digits) with the patient's PESEL."))
            self.hint.setStyleSheet("color: #555555;")
        else:
            problem = self.problem()
            if problem is None:
                self.hint.setText(_("Key of the e-referral: the form is right.")
                                  if len(value) > 4 else
                                  _("Access code: read with the patient's PESEL."))
                self.hint.setStyleSheet("color: #1b6e1b;")
            elif len(value) in (4, 44) or len(value) > 44:
                self.hint.setText(problem)
                self.hint.setStyleSheet("color: #a00000;")
            else:
                self.hint.setText(_("{count} of 4 (code) or 44 (key) digits").format(
                    count=len(value)))
                self.hint.setStyleSheet("color: #555555;")
        emit(self.changed, text)
