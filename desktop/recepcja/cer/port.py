"""``CerPort``: the calls the sync layer makes to CeR, as a type.

``CerGateway`` is the real one (SOAP over the network); tests pass scripted stand-ins with the
same methods. Typing the sync layer against this Protocol, not against ``CerGateway`` or
``Any``, keeps it free of zeep and lets the type checker see every call it makes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from recepcja.cer.types import (
    CerNotification,
    CerPatient,
    CerSlot,
    CerVisit,
    ItemResult,
    WaitingListPlacement,
)
from recepcja.domain.entities import Patient
from recepcja.domain.model import Urgency


class CerPort(Protocol):
    def status(self) -> dt.datetime: ...

    def book(
        self,
        slot_cer_id: str,
        visit_uid: str,
        patient: Patient | CerPatient,
        urgency: Urgency,
        *,
        central_request_id: str | None = None,
        referral_id: str | None = None,
    ) -> CerVisit: ...

    def change_term(self, visit_cer_id: str, new_slot_cer_id: str, reason: str) -> CerVisit: ...

    def cancel(self, visit_cer_id: str, reason: str) -> CerVisit: ...

    def place_on_waiting_list(
        self,
        place_cer_id: str,
        entry_uid: str,
        scope_code: str,
        patient: Patient | CerPatient,
        urgency: Urgency,
        *,
        central_request_id: str | None = None,
    ) -> WaitingListPlacement: ...

    def delete_slots(self, schedule_cer_id: str, cer_ids: Sequence[str]) -> list[ItemResult]: ...

    def read_slots(
        self, schedule_cer_id: str, start: dt.datetime, end: dt.datetime
    ) -> list[CerSlot]: ...

    def read_visit(
        self, cer_id: str | None = None, visit_uid: str | None = None
    ) -> CerVisit | None: ...

    def pull_notifications(
        self, cursor: int, limit: int = 500
    ) -> tuple[list[CerNotification], int]: ...

    def ack_notifications(self, cursor: int) -> None: ...

    def close(self) -> None: ...
