"""The patient card: who the patient is, how to reach them, the desk's notes, the visits ahead
and behind (each with how far CeR has it, in words) and the calls made to the patient.

The window and ``recepcja patients show`` read the same card. Reading it is a read of patient
data and leaves an audit row (``patient.show``), like every change does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from recepcja.domain.entities import Patient
from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.i18n import _
from recepcja.store.patient_card import CallOutcome, CallRecord, CardVisit, PatientCardRepo
from recepcja.store.repos import Repositories

MAX_NOTES = 4000
_LIVE = ("pending", "confirmed")


@dataclass(frozen=True, slots=True)
class PatientCard:
    patient: Patient
    notes: str
    upcoming: tuple[CardVisit, ...]  # the nearest first; waiting-list entries last
    past: tuple[CardVisit, ...]  # the latest first; cancelled visits among them
    calls: tuple[CallRecord, ...]  # the newest first


def read_card(repos: Repositories, patient_id: int, now: dt.datetime, user: str,
              channel: str) -> PatientCard:
    """The card of a patient (of the survivor, for a merged duplicate); ``channel`` names who
    read it for the audit row (``window``, ``cli``)."""
    survivor = repos.patients.survivor(patient_id)
    patient = repos.patients.get(survivor)
    if patient is None:
        raise ConflictError(N_("This patient no longer exists."))
    cards = PatientCardRepo(repos.db)
    upcoming: list[CardVisit] = []
    past: list[CardVisit] = []
    for visit in cards.visits(survivor):
        if visit.state == "waiting_list" or (
                visit.state in _LIVE and visit.end is not None and visit.end > now):
            upcoming.append(visit)
        else:
            past.append(visit)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    upcoming.sort(key=lambda v: (v.start or far, v.id))
    repos.audit.record(user, "patient.show", patient_id=survivor, detail=channel)
    return PatientCard(patient, cards.notes(survivor), tuple(upcoming), tuple(past),
                       tuple(cards.calls(survivor)))


def save_notes(repos: Repositories, patient_id: int, notes: str, user: str) -> str:
    """Store the desk's notes about a patient; returns them as stored (trailing blanks off)."""
    text = "\n".join(line.rstrip() for line in (notes or "").strip().splitlines())
    if len(text) > MAX_NOTES:
        raise ValidationError(N_("The notes are too long (at most {limit} characters)."),
                              limit=MAX_NOTES)
    PatientCardRepo(repos.db).set_notes(patient_id, text, user)
    return text


def cer_state(visit: CardVisit) -> str:
    """Where the visit stands with CeR, as a key: ``in_cer``, ``waiting``, ``rejected``,
    ``cancelled``, ``waiting_list``."""
    if visit.rejected_by_cer:
        return "rejected"
    if visit.state == "cancelled":
        return "cancelled"
    if visit.state == "waiting_list":
        return "waiting_list"
    if visit.waiting_for_cer or visit.state == "pending":
        return "waiting"
    return "in_cer"


def cer_state_words(visit: CardVisit) -> str:
    """``cer_state`` in the desk's words."""
    return {
        "rejected": _("refused by CeR"),
        "cancelled": _("cancelled"),
        "waiting_list": _("on the central waiting list"),
        "waiting": _("waiting for CeR"),
        "in_cer": _("in CeR"),
    }[cer_state(visit)]


def attendance_words(visit: CardVisit) -> str:
    if visit.state == "cancelled" or visit.start is None:
        return ""
    return {"arrived": _("arrived"), "no_show": _("no-show")}.get(visit.attendance, "")


def call_outcome_words(outcome: CallOutcome) -> str:
    return {
        CallOutcome.REACHED: _("called"),
        CallOutcome.NO_ANSWER: _("no answer"),
        CallOutcome.ARRANGED: _("arranged"),
    }[outcome]
