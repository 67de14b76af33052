"""How ``recepcja patients show`` prints the patient card: JSON for scripts (a stable
interface), short Polish text for people."""

from __future__ import annotations

from typing import Any

from recepcja.domain.model import WARSAW
from recepcja.domain.phone import format_phone
from recepcja.domain.scopes import ScopeRegistry, term_kind_word
from recepcja.i18n import _
from recepcja.services.patient_card import (
    PatientCard,
    attendance_words,
    call_outcome_words,
    cer_state,
    cer_state_words,
)
from recepcja.store.patient_card import CallRecord, CardVisit


def _local(moment: Any) -> str | None:
    return moment.astimezone(WARSAW).isoformat(timespec="minutes") if moment else None


def visit_json(visit: CardVisit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "visit_uid": visit.visit_uid,
        "start": _local(visit.start),
        "end": _local(visit.end),
        "slot_id": visit.slot_id,
        "schedule_id": visit.schedule_id,
        "schedule": visit.schedule_name,
        "resource_id": visit.resource_id,
        "resource": visit.resource_name,
        "place": visit.place_name,
        "scope": visit.scope_code,
        "term_kind": visit.term_kind,
        "urgency": visit.urgency,
        "state": visit.state,
        "cer_state": cer_state(visit),
        "cer_id": visit.cer_id,
        "attendance": visit.attendance,
        "referral_id": visit.referral_id,
        "source": visit.source,
        "cancelled_reason": visit.cancelled_reason,
    }


def call_json(call: CallRecord) -> dict[str, Any]:
    return {"id": call.id, "visit_id": call.visit_id, "at": _local(call.called_at),
            "by": call.called_by, "reason": call.reason, "outcome": str(call.outcome),
            "note": call.note}


def card_json(card: PatientCard, patient: dict[str, Any]) -> dict[str, Any]:
    return {
        "patient": {**patient, "notes": card.notes},
        "upcoming": [visit_json(v) for v in card.upcoming],
        "past": [visit_json(v) for v in card.past],
        "calls": [call_json(c) for c in card.calls],
    }


def _visit_line(visit: CardVisit, scopes: ScopeRegistry) -> str:
    if visit.start is not None and visit.end is not None:
        start, end = visit.start.astimezone(WARSAW), visit.end.astimezone(WARSAW)
        when = f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}"
    else:
        when = _("no term")
    where = ", ".join(part for part in (visit.resource_name or visit.schedule_name,
                                        visit.place_name) if part)
    scope = scopes.get(visit.scope_code) if visit.scope_code and visit.scope_code in scopes \
        else None
    kind = term_kind_word(visit.term_kind, scope)
    details = ", ".join(part for part in (
        _(kind) if kind else "",
        {"urgent": _("urgent"), "stable": _("stable")}.get(visit.urgency, visit.urgency),
        attendance_words(visit),
    ) if part)
    state = cer_state_words(visit)
    return f"  [{visit.id}] {when}  {where} — {details} — {state}".replace(" —  — ", " — ")


def print_card(card: PatientCard, line: str) -> None:
    patient = card.patient
    scopes = ScopeRegistry.default()
    print(line)
    if patient.phone:
        print(_("Phone: {phone}").format(phone=format_phone(patient.phone)))
    if patient.birth_date:
        print(_("Date of birth: {date}").format(date=f"{patient.birth_date:%d.%m.%Y}"))
    if card.notes:
        print(_("Notes:"))
        for note in card.notes.splitlines():
            print(f"  {note}")
    for title, visits in ((_("Upcoming visits:"), card.upcoming),
                          (_("Past visits:"), card.past)):
        print(title if visits else f"{title} {_('none')}")
        for visit in visits:
            print(_visit_line(visit, scopes))
    print(_("Calls to the patient:") if card.calls
          else f"{_('Calls to the patient:')} {_('none')}")
    for call in card.calls:
        at = call.called_at.astimezone(WARSAW)
        print(f"  {at:%d.%m.%Y %H:%M}  {call_outcome_words(call.outcome)}  {call.called_by}"
              f"  {call.note}".rstrip())
