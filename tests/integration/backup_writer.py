"""A desk that books visits in a loop, as a separate process, for the online-backup test.

Run: python backup_writer.py DATABASE COMMITTED_FILE STOP_FILE
Each booking (a new patient + a visit on the next free slot, through the real repositories) is
one committed transaction; only AFTER the commit returns is its visit id appended (and flushed)
to COMMITTED_FILE. So every id found in that file was committed before anyone read it. Stops when
STOP_FILE exists or the slots run out.

Also imported by the test for ``seed_practice`` (one schema of truth for the test data).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec, Visit
from recepcja.domain.model import WARSAW, DocumentType, Urgency
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule

FIRST_DAY = dt.date(2026, 3, 2)
SLOTS_PER_DAY = 40  # 08:00-18:00 every 15 minutes


def _day_specs(day: dt.date) -> list[SlotSpec]:
    start = dt.datetime.combine(day, dt.time(8, 0), tzinfo=WARSAW)
    step = dt.timedelta(minutes=15)
    return [SlotSpec(start + i * step, start + (i + 1) * step) for i in range(SLOTS_PER_DAY)]


def _patient(number: int) -> Patient:
    ident = PatientIdentifier(
        document_type=DocumentType.PASSPORT, document_number=f"PB{number:07d}"
    )
    return Patient(identifier=ident, first_name="Anna", last_name=f"Testowa{number}")


def seed_practice(database: Path, days: int = 100, patients: int = 5000) -> int:
    """A practice with ``days`` x 40 free slots and ``patients`` registered patients (bulk, so
    the file is a few MB, as after some months of use). Returns the schedule id."""
    repos = Repositories.open(database)
    try:
        repos.practice.save_provider(Provider("Przychodnia Kopia"))
        place = Place("Poradnia", {"I": "000000012345"}, scopes=["cardiology"])
        place_id = repos.practice.add_place(place)
        resource_id = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Ewa Zapas"))
        schedule_id = repos.schedules.add(Schedule(resource_id, place_id, "cardiology", "Zapas"))
        for offset in range(days):
            day = FIRST_DAY + dt.timedelta(days=offset)
            repos.slots.add_many(schedule_id, _day_specs(day))
        repos.patients.add_many((_patient(1_000_000 + i) for i in range(patients)), "seed")
        return schedule_id
    finally:
        repos.close()


def write_until_stopped(database: Path, committed: Path, stop: Path) -> int:
    repos = Repositories.open(database)
    booked = 0
    try:
        free = "SELECT id FROM slots WHERE state = 'free' ORDER BY id"
        slot_ids = [row[0] for row in repos.db.conn.execute(free)]
        with committed.open("a", encoding="utf-8") as out:
            for number, slot_id in enumerate(slot_ids):
                if stop.exists():
                    break
                patient = _patient(number)
                patient_id = repos.patients.add(patient, "writer")
                visit = Visit(f"V-{number}", patient_id, None, Urgency.STABLE)
                visit_id = repos.visits.book(visit, slot_id, "writer").visit_id
                out.write(f"{visit_id}\n")  # only now: the booking is committed
                out.flush()
                booked += 1
    finally:
        repos.close()
    return booked


if __name__ == "__main__":
    db_path, committed_path, stop_path = (Path(arg) for arg in sys.argv[1:4])
    print(write_until_stopped(db_path, committed_path, stop_path))
