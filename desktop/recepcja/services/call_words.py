"""The call worklist's reasons and marks in the desk's words (window, printout, CLI, Excel)."""

from __future__ import annotations

from recepcja.i18n import _
from recepcja.services.call_worklist import CallReason
from recepcja.store.patient_card import CallOutcome


def reason_words() -> dict[str, str]:
    return {
        CallReason.REPLAY_MOVED: _("term changed by CeR"),
        CallReason.REPLAY_WAITING: _("on the central waiting list"),
        CallReason.ABSENCE_MOVED: _("doctor absent: moved"),
        CallReason.ABSENCE_LEFT: _("doctor absent: no new term"),
        CallReason.REMINDER: _("reminder of tomorrow's visit"),
        CallReason.REFERRAL_REFUSED: _("e-referral not accepted"),
    }


def mark_words() -> dict[str, str]:
    return {
        CallOutcome.REACHED: _("called"),
        CallOutcome.NO_ANSWER: _("no answer"),
        CallOutcome.ARRANGED: _("arranged"),
    }
