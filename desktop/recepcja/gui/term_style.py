"""How a term looks: its status, its doctor or device, its kind and the visit's urgency.

A symbol and a word first (readable without colour, on a monochrome printout, by a colour-blind
receptionist), colour second: every colour here only repeats what a word already says, and every
text colour keeps a contrast of at least 4.5:1 (WCAG AA) on every background it is drawn on.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QIcon

from recepcja.domain.scopes import ScopeRegistry, term_kind_word
from recepcja.i18n import _
from recepcja.services.day_view import TermStatus

if TYPE_CHECKING:
    from PySide6.QtGui import QFont

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

PAST_TEXT = QColor("#5c5c5c")


@functools.cache
def bold_font() -> QFont:
    """The bold of booked and urgent cells, made when a view first asks for it (after the
    window's first paint: QFont's Python type alone costs the cold start ~7 M instructions)."""
    from PySide6.QtGui import QFont

    font = QFont()
    font.setBold(True)
    return font
TEXT = QColor("#000000")
URGENT_TEXT = QColor("#9b1111")

# One colour per doctor or device, by its id: a light tint behind its name (black text) and a
# saturated swatch beside it. None of them is a status colour, so a tint never reads as "free".
RESOURCE_TINTS = ("#ffd8a8", "#e5d4f7", "#ffd6e0", "#c5eeec", "#fff0a6", "#dcebc0",
                  "#f3d3c3", "#d0dbff")
RESOURCE_SWATCHES = ("#d9480f", "#6741d9", "#c2255c", "#0b7285", "#e67700", "#5c940d",
                     "#a0522d", "#364fc7")


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
        "pending": "… " + _("waiting for CeR"),  # no hourglass glyph: a box in many fonts
        "confirmed": "✔ " + _("in CeR"),
    }
    return labels.get(visit_state or "", "")


def resource_index(resource_id: int) -> int:
    """The doctor's or device's place in the palettes (stable: by its id)."""
    return (max(resource_id, 1) - 1) % len(RESOURCE_TINTS)


def urgency_label(urgency: str | None) -> str:
    """``! pilny`` / ``stabilny``; "" for a free term."""
    return {"urgent": "! " + _("urgent"), "stable": _("stable")}.get(urgency or "", "")


class TermLook:
    """What a view draws for terms, made once per view: the doctors' tints and swatches, and
    the kinds' words (which depend on the scope)."""

    def __init__(self) -> None:
        self._scopes = ScopeRegistry.default()
        self._tints: dict[int, QColor] = {}
        self._swatches: dict[int, QIcon] = {}
        self._kinds: dict[tuple[str | None, str], str] = {}
        self._words: dict[str, str] = {}

    def word(self, key: str) -> str:
        """``status_word`` / ``urgency_label`` by key (a status or an urgency), translated
        once per view: a week of cells asks thousands of times."""
        word = self._words.get(key)
        if word is None:
            word = status_word(TermStatus(key)) if key in TermStatus._value2member_map_ \
                else urgency_label(key)
            self._words[key] = word
        return word

    def tint(self, resource_id: int) -> QColor:
        colour = self._tints.get(resource_id)
        if colour is None:
            colour = self._tints[resource_id] = QColor(RESOURCE_TINTS[resource_index(resource_id)])
        return colour

    def swatch(self, resource_id: int) -> QIcon:
        """A small filled square in the doctor's colour, outlined so it shows on any
        background."""
        icon = self._swatches.get(resource_id)
        if icon is None:
            from PySide6.QtGui import QPainter, QPixmap  # when first drawn, after the paint

            pixmap = QPixmap(12, 12)
            pixmap.fill(QColor(0, 0, 0, 0))
            painter = QPainter(pixmap)
            painter.setPen(QColor("#333333"))
            painter.setBrush(QColor(RESOURCE_SWATCHES[resource_index(resource_id)]))
            painter.drawRect(0, 0, 11, 11)
            painter.end()
            icon = self._swatches[resource_id] = QIcon(pixmap)
        return icon

    def kind(self, term_kind: str | None, scope_code: str = "") -> str:
        """``pierwszorazowa`` / ``kontynuacja`` / ``procedura`` (or the screening test)."""
        key = (term_kind, scope_code)
        word = self._kinds.get(key)
        if word is None:
            scope = self._scopes.get(scope_code) if scope_code in self._scopes else None
            msgid = term_kind_word(term_kind, scope)
            word = self._kinds[key] = _(msgid) if msgid else ""
        return word


def relative_luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green())
            + 0.0722 * channel(colour.blue()))


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
