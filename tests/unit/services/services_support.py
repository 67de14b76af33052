"""Helpers of the service tests (a unique module name so no other test folder shadows it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from recepcja.domain.model import WARSAW, Patient, PatientIdentifier, SlotSpec
from recepcja.domain.pesel import make_pesel
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule

NOW = dt.datetime(2026, 9, 1, 6, 0, tzinfo=dt.UTC)  # Tuesday 08:00 in Warsaw


@dataclass
class Clock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Practice:
    place_id: int
    schedule_id: int
    slot_ids: list[int] = field(default_factory=list)


def pesels(count: int, start: int = 0) -> list[str]:
    born = dt.date(1950, 1, 1)
    return [make_pesel(born + dt.timedelta(days=start + i), 1000 + i % 9000) for i in range(count)]


def build_practice(repos: Repositories, *, days: int = 5, per_day: int = 16,
                   scope: str = "cardiology", publish: bool = True) -> Practice:
    """One place, one doctor, one schedule; ``per_day`` 15-minute slots from 08:00 on
    ``days`` weekdays from the day after NOW; published with fake CeR ids."""
    repos.practice.save_provider(Provider("Przychodnia Serce"))
    place_id = repos.practice.add_place(Place("Poradnia", cer_id="MUS-1", scopes=[scope]))
    resource_id = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Anna Nowak"))
    schedule_id = repos.schedules.add(Schedule(resource_id, place_id, scope, "Nowak",
                                               cer_id="HRM-1"))
    specs = []
    day = NOW.astimezone(WARSAW).date()
    added = 0
    while added < days:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        added += 1
        start = dt.datetime.combine(day, dt.time(8, 0), WARSAW)
        step = dt.timedelta(minutes=15)
        specs += [SlotSpec(start + i * step, start + (i + 1) * step) for i in range(per_day)]
    repos.slots.add_many(schedule_id, specs)
    slots = repos.slots.free_from(schedule_id, NOW, 100000)
    if publish:
        repos.slots.mark_published([(s.id, f"SLT-{s.id}") for s in slots])
    return Practice(place_id, schedule_id, [s.id for s in slots])


def add_patient(repos: Repositories, pesel: str, name: str = "Kowalski") -> int:
    return repos.patients.add(Patient(PatientIdentifier(pesel=pesel), "Jan", name,
                                      phone="+48601234567"), "ania")
