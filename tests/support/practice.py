"""The one practice/clock stack of the store and service tests: a clock the test moves, a morning
of slots, and a small practice (one place, one doctor, one schedule) in a real store.

``build_practice`` writes through the repositories (never raw SQL); ``published=True`` gives the
place, schedule and slots fake CeR ids as if onboarding had run (``MUS-1``, ``HRM-1``,
``SLT-<slot id>``), which the replay and emergency tests need; the store tests keep it local.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW
from recepcja.domain.pesel import make_pesel
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule


@dataclass
class Clock:
    """The repositories' clock (``Repositories.open(target, clock)``), moved by the test."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Practice:
    place_id: int
    resource_id: int
    schedule_id: int
    slot_ids: list[int] = field(default_factory=list)  # in time order


def morning(day: dt.date, count: int = 8, minutes: int = 15, hour: int = 8) -> list[SlotSpec]:
    """``count`` back-to-back slots of ``minutes`` from ``hour`` o'clock, Warsaw time."""
    start = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=WARSAW)
    step = dt.timedelta(minutes=minutes)
    return [SlotSpec(start + i * step, start + (i + 1) * step) for i in range(count)]


def weekdays_from(first: dt.date, count: int) -> list[dt.date]:
    """``count`` weekdays from ``first`` on (``first`` itself when it is one)."""
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def build_practice(repos: Repositories, first_day: dt.date, *, days: int = 1, per_day: int = 8,
                   scope: str = "cardiology", published: bool = False) -> Practice:
    """Przychodnia Serce: one place, dr Anna Nowak, one ``scope`` schedule with a morning of
    ``per_day`` 15-minute slots on each of ``days`` weekdays from ``first_day``."""
    repos.practice.save_provider(Provider("Przychodnia Serce", nip="5260250995"))
    place_id = repos.practice.add_place(Place(
        "Poradnia kardiologiczna", {"I": "000000012345", "VII": "001"}, scopes=[scope],
        cer_id="MUS-1" if published else None))
    resource_id = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Anna Nowak"))
    schedule_id = repos.schedules.add(Schedule(resource_id, place_id, scope, "Nowak",
                                               cer_id="HRM-1" if published else None))
    weekdays = weekdays_from(first_day, days)
    repos.slots.add_many(schedule_id, [spec for day in weekdays for spec in morning(day, per_day)])
    slots = [slot for day in weekdays for slot in repos.slots.for_day(schedule_id, day)]
    if published:
        repos.slots.mark_published([(slot.id, f"SLT-{slot.id}") for slot in slots])
    return Practice(place_id, resource_id, schedule_id, [slot.id for slot in slots])


def pesels(count: int, start: int = 0, born: dt.date = dt.date(1950, 1, 1)) -> list[str]:
    """``count`` different valid PESELs (one birth day each, from ``born`` + ``start`` days)."""
    return [make_pesel(born + dt.timedelta(days=start + i), 1000 + i % 9000) for i in range(count)]


def add_patient(repos: Repositories, pesel: str, last_name: str = "Kowalski",
                first_name: str = "Jan") -> int:
    return repos.patients.add(Patient(PatientIdentifier(pesel=pesel), first_name, last_name,
                                      phone="+48601234567"), "ania")
