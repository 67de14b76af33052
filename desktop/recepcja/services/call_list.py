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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recepcja.services.spreadsheet import excel_time, write_workbook
from recepcja.store.records import OutboxOp
from recepcja.store.repos import Repositories
from recepcja.sync.replay_report import CALL_OUTCOMES, Outcome

HEADERS = ("Lp.", "ID lokalny pacjenta", "Imię", "Nazwisko", "Telefon", "Utracony termin",
           "Nowy termin", "Lista oczekujących (pozycja)", "Identyfikator wizyty", "Zmieniono")


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

    @property
    def on_waiting_list(self) -> bool:
        return self.new_term is None

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def call_list(repos: Repositories) -> list[CallItem]:
    """Patients whose term changed in the replay, oldest change first."""
    items = []
    for entry in repos.outbox.with_outcome(OutboxOp.BOOK, CALL_OUTCOMES):
        visit = repos.visits.get(entry.visit_id) if entry.visit_id is not None else None
        if visit is None:
            continue
        patient = repos.patients.get(visit.patient_id)
        result = entry.result or {}
        lost = result.get("original_start")
        new_slot = (repos.slots.get(visit.slot_id)
                    if visit.slot_id is not None and result.get("outcome") != Outcome.WAITING_LIST
                    else None)
        items.append(CallItem(
            visit_id=visit.id, visit_uid=visit.visit_uid,
            patient_local_id=(patient.local_id or "") if patient else "",
            first_name=patient.first_name if patient else "",
            last_name=patient.last_name if patient else "",
            phone=patient.phone if patient else None,
            lost_term=dt.datetime.fromisoformat(lost) if lost else None,
            new_term=new_slot.start if new_slot is not None else None,
            waiting_list_position=result.get("position"),
            changed_at=entry.updated_at,
        ))
    return items


def export_call_list(repos: Repositories, path: Path, *, password: str | None = None,
                     overwrite: bool = False) -> int:
    rows = (
        [number, item.patient_local_id, item.first_name, item.last_name, item.phone,
         excel_time(item.lost_term), excel_time(item.new_term), item.waiting_list_position,
         item.visit_uid, excel_time(item.changed_at)]
        for number, item in enumerate(call_list(repos), 1)
    )
    return write_workbook(path, [("Do telefonu", HEADERS, rows)], password=password,
                          overwrite=overwrite)
