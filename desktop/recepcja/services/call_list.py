"""The "call the patient" list: everybody whose term the replay had to change.

When CeR comes back after an outage, a term booked locally may have been taken in CeR meanwhile
(a portal patient); the replay then books the nearest term the rules allow or, failing that,
puts the patient on the central waiting list. CeR notifies the patient, but the desk calls too:
this list is what the desk works through (GUI view, ``export_call_list`` to Excel). It is
derived from the outbox (``result.outcome`` of the bookings), so it can never disagree with
what was sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recepcja.services.spreadsheet import excel_time, write_workbook
from recepcja.store.practice_merge import PracticeMerges
from recepcja.store.records import OutboxOp
from recepcja.store.repos import Repositories
from recepcja.sync.replay_report import CALL_OUTCOMES, Outcome

HEADERS = ("Lp.", "ID lokalny pacjenta", "Imię", "Nazwisko", "Telefon", "Utracony termin",
           "Nowy termin", "Lista oczekujących (pozycja)", "Identyfikator wizyty", "Zmieniono",
           "Powód")


@dataclass(frozen=True, slots=True)
class CallItem:
    visit_id: int
    visit_uid: str
    patient_local_id: str
    first_name: str
    last_name: str
    phone: str | None
    lost_term: dt.datetime | None
    new_term: dt.datetime | None  # None: on the central waiting list
    waiting_list_position: int | None
    changed_at: dt.datetime
    reason: str | None = None  # why the desk calls, when not a changed term (an e-referral)

    @property
    def on_waiting_list(self) -> bool:
        return self.new_term is None and self.reason is None

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def call_list(repos: Repositories) -> list[CallItem]:
    """Patients whose term changed in the replay - or in the merge of a desk's offline queue
    into the practice database (``sync/practice_merge.py``) -, oldest change first."""
    items = []
    for entry in repos.outbox.with_outcome(OutboxOp.BOOK, CALL_OUTCOMES):
        result = entry.result or {}
        lost = result.get("original_start")
        items.append(_item(repos, entry.visit_id, str(result.get("outcome")),
                           dt.datetime.fromisoformat(lost) if lost else None,
                           result.get("position"), changed_at=entry.updated_at))
    for record in PracticeMerges(repos.db).calls():
        items.append(_item(repos, record.visit_id, record.outcome, record.original_start, None,
                           changed_at=record.merged_at))
    calls = _dedupe([item for item in items if item is not None]) + _referral_calls(repos)
    return sorted(calls, key=lambda item: item.changed_at)


def _item(repos: Repositories, visit_id: int | None, outcome: str, lost: dt.datetime | None,
          position: int | None, *, changed_at: dt.datetime) -> CallItem | None:
    visit = repos.visits.get(visit_id) if visit_id is not None else None
    if visit is None:
        return None
    patient = repos.patients.get(visit.patient_id)
    new_slot = (repos.slots.get(visit.slot_id)
                if visit.slot_id is not None and outcome != Outcome.WAITING_LIST else None)
    return CallItem(
        visit_id=visit.id, visit_uid=visit.visit_uid,
        patient_local_id=(patient.local_id or "") if patient else "",
        first_name=patient.first_name if patient else "",
        last_name=patient.last_name if patient else "",
        phone=patient.phone if patient else None,
        lost_term=lost,
        new_term=new_slot.start if new_slot is not None else None,
        waiting_list_position=position,
        changed_at=changed_at,
    )


def _dedupe(items: list[CallItem]) -> list[CallItem]:
    """One line per visit (the latest change), oldest change first."""
    latest: dict[int, CallItem] = {}
    for item in sorted(items, key=lambda item: item.changed_at):
        latest[item.visit_id] = item
    return sorted(latest.values(), key=lambda item: item.changed_at)


def _referral_calls(repos: Repositories) -> list[CallItem]:
    """Visits whose e-referral the replay found unusable (booked in emergency mode, then held
    elsewhere or cancelled meanwhile): the desk calls the patient with the reason."""
    items = []
    for entry in repos.outbox.with_outcome(OutboxOp.REFERRAL_TAKE, (Outcome.REFERRAL_REFUSED,)):
        item = _item(repos, entry.visit_id, Outcome.REFERRAL_REFUSED, None, None,
                     changed_at=entry.updated_at)
        if item is not None:
            items.append(replace(item, reason=str((entry.result or {}).get("reason") or "")))
    return items


def export_call_list(repos: Repositories, path: Path, *, password: str | None = None,
                     overwrite: bool = False) -> int:
    rows = (
        [number, item.patient_local_id, item.first_name, item.last_name, item.phone,
         excel_time(item.lost_term), excel_time(item.new_term), item.waiting_list_position,
         item.visit_uid, excel_time(item.changed_at), item.reason]
        for number, item in enumerate(call_list(repos), 1)
    )
    return write_workbook(path, [("Do telefonu", HEADERS, rows)], password=password,
                          overwrite=overwrite)
