"""How a term's status looks: a symbol and a word first (readable without colour, on a
monochrome printout, by a colour-blind receptionist), a background colour second."""

from __future__ import annotations

from PySide6.QtGui import QColor

from recepcja.i18n import _
from recepcja.services.day_view import TermStatus

SYMBOLS = {
    TermStatus.FREE: "○",
    TermStatus.BOOKED: "●",
    TermStatus.BLOCKED: "✖",
    TermStatus.PAST: "–",
}

COLOURS = {
    TermStatus.FREE: QColor("#e3f4e1"),
    TermStatus.BOOKED: QColor("#dce8fa"),
    TermStatus.BLOCKED: QColor("#e6e6e6"),
    TermStatus.PAST: QColor("#f3f3f3"),
}

PAST_TEXT = QColor("#777777")


def status_word(status: TermStatus) -> str:
    words = {
        TermStatus.FREE: _("free"),
        TermStatus.BOOKED: _("booked"),
        TermStatus.BLOCKED: _("blocked"),
        TermStatus.PAST: _("past"),
    }
    return words[status]


def status_label(status: TermStatus) -> str:
    """``○ wolny``"""
    return f"{SYMBOLS[status]} {status_word(status)}"


def attendance_label(attendance: str | None) -> str:
    labels = {
        "expected": _("expected"),
        "arrived": "✔ " + _("arrived"),
        "no_show": "✖ " + _("no-show"),
    }
    return labels.get(attendance or "", "")


def cer_label(visit_state: str | None) -> str:
    labels = {
        "pending": "⏳ " + _("waiting for CeR"),
        "confirmed": "✔ " + _("in CeR"),
    }
    return labels.get(visit_state or "", "")
