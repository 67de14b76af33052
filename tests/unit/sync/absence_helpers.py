"""Helpers of the server-absence tests: a small practice on the PostgreSQL practice database, a
fixed clock, desks' copies (a unique module name: other folders' conftest files must not
shadow it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW
from recepcja.domain.workstation import Workstation
from recepcja.store import Repositories
from recepcja.store.db import Database
from recepcja.store.local_copy import open_copy, refresh
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule

DAY = dt.date(2026, 3, 2)  # a Monday
TODAY = dt.date(2026, 3, 1)


@dataclass
class FixedClock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now


def pesel(serial: int, born: dt.date = dt.date(1970, 1, 1)) -> str:
    digits = f"{born.year % 100:02d}{born.month:02d}{born.day:02d}{serial:04d}"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10) % 10
    return digits + str(check)


def patient(serial: int, last_name: str = "Kowalski") -> Patient:
    return Patient(PatientIdentifier(pesel=pesel(serial)), "Jan", last_name)


def set_up_practice(repos: Repositories, *, slots: int = 8, days: int = 1) -> tuple[int, list[int]]:
    """Provider, place, one doctor's cardiology schedule, ``slots`` terms on each of ``days``
    days from DAY; returns (schedule id, slot ids in time order)."""
    repos.practice.save_provider(Provider("Przychodnia Serce", nip="5260250995"))
    place_id = repos.practice.add_place(Place("Poradnia kardiologiczna", scopes=["cardiology"]))
    resource_id = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Anna Nowak"))
    schedule_id = repos.schedules.add(Schedule(resource_id, place_id, "cardiology", "Nowak"))
    specs = []
    for offset in range(days):
        start = dt.datetime.combine(DAY + dt.timedelta(days=offset), dt.time(8, 0),
                                    tzinfo=WARSAW)
        step = dt.timedelta(minutes=10)
        specs += [SlotSpec(start + i * step, start + (i + 1) * step) for i in range(slots)]
    repos.slots.add_many(schedule_id, specs)
    ids = [slot.id for slot in repos.slots.for_days(schedule_id, DAY,
                                                     DAY + dt.timedelta(days=days - 1))]
    return schedule_id, [slot_id for slot_id in ids if slot_id is not None]


def desk_copy(root: Path, name: str, practice: Database, clock: FixedClock) -> Repositories:
    """A desk's local copy, refreshed from the practice database, writing as ``name``."""
    copy = open_copy(root / name / "local-copy.sqlite")
    copy.workstation = Workstation.named(name)
    refresh(practice, copy, today=TODAY, now=clock())
    return Repositories.over(copy, clock)
