"""What a reconciliation found and did: the drift classes, how each item was settled, and the
report ``recepcja reconcile --json`` prints and the GUI shows (see ``sync.reconcile``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from recepcja.sync.incidents import IncidentReport


class Drift(StrEnum):
    VISIT_MISSING_LOCALLY = "visit_missing_locally"
    VISIT_MISSING_IN_CER = "visit_missing_in_cer"
    PATIENT_DIFFERS = "patient_differs"
    SLOT_STATE_DIFFERS = "slot_state_differs"
    SLOT_MISSING_LOCALLY = "slot_missing_locally"
    SLOT_MISSING_IN_CER = "slot_missing_in_cer"
    VISIT_UNCONFIRMED = "visit_unconfirmed"
    OVERBOOKED = "overbooked"
    VISIT_ON_ABSENCE = "visit_on_absence"  # a live visit on a day its doctor is absent


class Resolution(StrEnum):
    REPAIRED = "repaired"  # the store now holds what CeR holds
    RESENT = "resent"  # queued in the outbox again and sent to CeR
    REQUEUED = "requeued"  # queued again; the sync thread sends it
    IN_FLIGHT = "in_flight"  # an unfinished outbox row will settle it
    HUMAN = "human"  # listed for a person to decide


@dataclass(frozen=True, slots=True)
class Term:
    """Where a drift item is: the schedule and the term, as CeR and the store name them."""

    schedule_cer_id: str
    start: dt.datetime | None = None
    slot_cer_id: str | None = None
    slot_id: int | None = None


@dataclass(frozen=True, slots=True)
class VisitIds:
    """Which visit a drift item is about, by CeR's id, our uid and the store's id."""

    visit_cer_id: str | None = None
    visit_uid: str | None = None
    visit_id: int | None = None


@dataclass(frozen=True, slots=True)
class DriftItem:
    drift: Drift
    resolution: Resolution
    schedule_cer_id: str
    start: dt.datetime | None = None
    slot_cer_id: str | None = None
    slot_id: int | None = None
    visit_cer_id: str | None = None
    visit_uid: str | None = None
    visit_id: int | None = None
    detail: str = ""

    @classmethod
    def at(cls, drift: Drift, resolution: Resolution, term: Term,
           visit: VisitIds | None = None, *, detail: str = "") -> DriftItem:
        """The item for ``term`` (and ``visit``, when it is about one)."""
        ids = visit or VisitIds()
        return cls(drift, resolution, term.schedule_cer_id, term.start, term.slot_cer_id,
                   term.slot_id, ids.visit_cer_id, ids.visit_uid, ids.visit_id, detail)

    def to_json(self) -> dict[str, Any]:
        return {
            "drift": str(self.drift),
            "resolution": str(self.resolution),
            "schedule": self.schedule_cer_id,
            "start": self.start.isoformat() if self.start else None,
            "slot_cer_id": self.slot_cer_id,
            "slot_id": self.slot_id,
            "visit_cer_id": self.visit_cer_id,
            "visit_uid": self.visit_uid,
            "visit_id": self.visit_id,
            "detail": self.detail,
        }


@dataclass(slots=True)
class ReconcileReport:
    started_at: dt.datetime
    first_day: dt.date
    last_day: dt.date
    finished_at: dt.datetime | None = None
    seconds: float = 0.0
    schedules: int = 0
    slots_compared: int = 0
    items: list[DriftItem] = field(default_factory=list)
    incidents: IncidentReport | None = None

    @property
    def open_items(self) -> list[DriftItem]:
        """What is not settled: for a human, or still on its way to CeR."""
        return [
            item
            for item in self.items
            if item.resolution in (Resolution.HUMAN, Resolution.IN_FLIGHT, Resolution.REQUEUED)
        ]

    @property
    def in_agreement(self) -> bool:
        """The store and CeR agree (after the repairs made), with no overlap anywhere."""
        return not self.open_items and not self.incidents

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for item in self.items:
            result[str(item.resolution)] = result.get(str(item.resolution), 0) + 1
        return result

    def to_json(self) -> dict[str, Any]:
        return {
            "in_agreement": self.in_agreement,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": round(self.seconds, 3),
            "window": {
                "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(),
            },
            "schedules": self.schedules,
            "slots_compared": self.slots_compared,
            "counts": self.counts(),
            "open_items": len(self.open_items),
            "items": [item.to_json() for item in self.items],
            "incidents": self.incidents.to_json() if self.incidents else None,
        }
