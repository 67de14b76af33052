"""Generate a realistic large practice database for benchmarks, through the store's own API.

    python bench/generate.py OUT.sqlite [--small] [--seed N] [--force] [--json]

Full size: 10 schedules (6 cardiology doctors, a stationary mammograph and a mammography bus,
2 HPV sampling rooms) x 12 months of 2026 from weekly templates (the domain's slot generator:
Polish holidays skipped, DST-correct) = about 200k slots; 50k patients with valid PESELs
(checksum computed) and Polish names with diacritics, 1% foreigners identified by passport;
100k visits (about 95% live, the rest cancelled history) from the desk, the portal and other
providers, with the desk's outbox and audit history, and portal notifications. ``--small`` is a
minute version for tests. Deterministic: the same seed gives the same file.

Bulk phases run inside one ``atomic()`` block each, so the repositories' own transactions nest
as savepoints and the generator pays for a handful of fsyncs, not one per row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from polish_names import FEMALE_FIRST, FOREIGN, GENDERED_SURNAMES, MALE_FIRST
from recepcja.domain.entities import Patient, PatientIdentifier, Visit, WeeklyRule
from recepcja.domain.model import (
    Attendance,
    DocumentType,
    ResourceKind,
    Sex,
    Urgency,
    VisitSource,
    VisitState,
)
from recepcja.domain.pesel import make_pesel
from recepcja.domain.slots import generate_slots
from recepcja.store import Repositories, atomic
from recepcja.store.outbox import book_key
from recepcja.store.records import MobilePoint, OutboxOp, Place, Provider, Resource, Schedule

GENERATED_AT = dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.UTC)  # "now" inside the bench data
FIRST_DAY = dt.date(2026, 1, 1)
USERS = ("anna.recepcja", "beata.recepcja", "celina.recepcja")


@dataclass(frozen=True)
class Size:
    schedules: int
    months: int
    patients: int
    visits: int


FULL = Size(schedules=10, months=12, patients=50_000, visits=100_000)
SMALL = Size(schedules=2, months=1, patients=500, visits=1_000)


@dataclass(frozen=True)
class ScheduleDef:
    scope: str
    place: int  # index into PLACES
    resource: tuple[ResourceKind, str, str | None]
    start: dt.time
    end: dt.time
    minutes: int
    mobile: bool = False


PLACES = (
    ("Poradnia kardiologiczna", "cardiology", {"I": "000000012345", "V": "01", "VII": "001"}),
    ("Pracownia mammografii", "mammography", {"I": "000000012345", "V": "01", "VII": "002"}),
    ("Gabinet położnej", "hpv_hr", {"I": "000000012345", "V": "01", "VII": "003"}),
)

# Ordered so that --small (the first two) still has a doctor and a device.
SCHEDULES = (
    ScheduleDef("cardiology", 0, (ResourceKind.DOCTOR, "dr Anna Nowak", "1234567"),
                dt.time(8), dt.time(18), 7),
    ScheduleDef("mammography", 1, (ResourceKind.DEVICE, "Mammograf Senographe", None),
                dt.time(7, 30), dt.time(19, 30), 9),
    ScheduleDef("cardiology", 0, (ResourceKind.DOCTOR, "dr Piotr Wiśniewski", "2345678"),
                dt.time(8), dt.time(18), 7),
    ScheduleDef("cardiology", 0, (ResourceKind.DOCTOR, "dr Ewa Żółkiewska", "3456789"),
                dt.time(8), dt.time(18), 7),
    ScheduleDef("mammography", 1, (ResourceKind.DEVICE, "Mammobus 1", None),
                dt.time(7, 30), dt.time(19, 30), 9, mobile=True),
    ScheduleDef("cardiology", 0, (ResourceKind.DOCTOR, "dr Jan Łukasiewicz", "4567890"),
                dt.time(8), dt.time(18), 7),
    ScheduleDef("hpv_hr", 2, (ResourceKind.ROOM, "Gabinet 12", None),
                dt.time(8), dt.time(16), 6),
    ScheduleDef("cardiology", 0, (ResourceKind.DOCTOR, "dr Marta Kozłowska", "5678901"),
                dt.time(8), dt.time(18), 7),
    ScheduleDef("hpv_hr", 2, (ResourceKind.ROOM, "Gabinet 14", None),
                dt.time(8), dt.time(16), 6),
    ScheduleDef("cardiology", 0, (ResourceKind.DOCTOR, "dr Tomasz Dąbrowski", "6789012"),
                dt.time(8), dt.time(18), 7),
)


def pesel(born: dt.date, serial: int, sex: Sex) -> str:
    """A valid PESEL: YYMMDD (month shifted by century), 3 serial digits, a sex digit (odd for
    men), and the checksum digit."""
    sex_digit = (serial % 5) * 2 + (1 if sex == Sex.MALE else 0)
    return make_pesel(born, serial // 5 % 1000 * 10 + sex_digit)


def _skewed(rng: random.Random, items: Sequence[object]) -> object:
    """Common names much more often than rare ones (roughly Zipf-like)."""
    return items[min(int(rng.paretovariate(1.2)) - 1, len(items) - 1) if rng.random() < 0.6
                 else rng.randrange(len(items))]


def patients(rng: random.Random, count: int) -> Iterator[Patient]:
    seen_pesels: set[str] = set()
    seen_phones: set[str] = set()
    for index in range(count):
        phone = None
        if rng.random() < 0.85:
            while phone is None or phone in seen_phones:
                phone = f"+48{rng.choice('5678')}{rng.randrange(10**8):08d}"
            seen_phones.add(phone)
        if rng.random() < 0.01:
            first, last, sex_code = FOREIGN[rng.randrange(len(FOREIGN))]
            yield Patient(
                PatientIdentifier(
                    document_type=DocumentType.PASSPORT,
                    document_number=f"P{index:08d}",
                ),
                first, last, phone, None, Sex(sex_code),
            )
            continue
        sex = Sex.FEMALE if rng.random() < 0.62 else Sex.MALE  # clinics see more women
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 92))
        number = None
        while number is None or number in seen_pesels:
            number = pesel(born, rng.randrange(5000), sex)
        seen_pesels.add(number)
        male, female = _skewed(rng, GENDERED_SURNAMES)  # type: ignore[misc]
        first = _skewed(rng, FEMALE_FIRST if sex == Sex.FEMALE else MALE_FIRST)
        yield Patient(
            PatientIdentifier(pesel=number),
            str(first), female if sex == Sex.FEMALE else male, phone, born, sex,
        )


def _months_later(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, 1)


def build_practice(repos: Repositories, size: Size) -> list[int]:
    repos.practice.save_provider(
        Provider("Przychodnia Specjalistyczna Bench sp. z o.o.", "5260250995", "012345675",
                 "2.16.840.1.113883.3.4424.2.3.1", "000000012345")
    )
    place_ids = [
        repos.practice.add_place(Place(name, codes, "ul. Długa 1, 00-001 Warszawa", [scope]))
        for name, scope, codes in PLACES
    ]
    bus = repos.practice.add_mobile_point(MobilePoint(place_ids[1], "Mammobus 1", "MB-1"))
    last_day = _months_later(FIRST_DAY, size.months) - dt.timedelta(days=1)
    schedule_ids: list[int] = []
    for definition in SCHEDULES[: size.schedules]:
        kind, name, licence = definition.resource
        resource_id = repos.practice.add_resource(Resource(kind, name, licence))
        rules = [
            WeeklyRule(weekday, definition.start, definition.end, definition.minutes)
            for weekday in range(5)
        ]
        template = [
            {"weekday": r.weekday, "start": r.start.isoformat(), "end": r.end.isoformat(),
             "slot_minutes": r.slot_minutes, "term_kind": str(r.term_kind)}
            for r in rules
        ]
        schedule_id = repos.schedules.add(
            Schedule(resource_id, place_ids[definition.place], definition.scope, name, template,
                     mobile_point_id=bus if definition.mobile else None,
                     cer_id=f"CER-H-{len(schedule_ids) + 1}")
        )
        repos.slots.add_many(schedule_id, generate_slots(rules, FIRST_DAY, last_day))
        schedule_ids.append(schedule_id)
    return schedule_ids


def build_visits(
    repos: Repositories, rng: random.Random, schedule_ids: list[int], size: Size
) -> dict[VisitSource, list[Visit]]:
    """Live visits on distinct random slots, plus cancelled history on random slots."""
    slot_rows = [
        (slot.id, slot.start)
        for schedule_id in schedule_ids
        for slot in repos.slots.for_days(schedule_id, FIRST_DAY, dt.date(2100, 1, 1))
    ]
    live_count = min(int(size.visits * 0.95), len(slot_rows))
    chosen = rng.sample(slot_rows, live_count)
    cancelled = [rng.choice(slot_rows) for _ in range(size.visits - live_count)]
    patient_count = repos.patients.count()
    by_source: dict[VisitSource, list[Visit]] = {source: [] for source in VisitSource}
    for index, (slot_id, start) in enumerate([*chosen, *cancelled]):
        draw = rng.random()
        source = (
            VisitSource.DESK if draw < 0.55
            else VisitSource.PORTAL if draw < 0.9
            else VisitSource.OTHER_PROVIDER
        )
        past = start < GENERATED_AT
        if index >= live_count:
            state = VisitState.CANCELLED
        elif not past and rng.random() < 0.02:
            state = VisitState.PENDING  # a few the sync has not confirmed yet
        else:
            state = VisitState.CONFIRMED
        attendance = Attendance.EXPECTED
        if past and state == VisitState.CONFIRMED:
            attendance = Attendance.NO_SHOW if rng.random() < 0.07 else Attendance.ARRIVED
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        by_source[source].append(
            Visit(
                visit_uid=uid,
                patient_id=rng.randrange(1, patient_count + 1),
                slot_id=slot_id,
                urgency=Urgency.URGENT if rng.random() < 0.15 else Urgency.STABLE,
                central_request_id=f"ZC-{index:07d}" if rng.random() < 0.5 else None,
                state=state,
                attendance=attendance,
                cer_id=None if state == VisitState.PENDING else f"CER-W-{index:07d}",
            )
        )
    return by_source


def write_history(repos: Repositories, by_source: dict[VisitSource, list[Visit]]) -> None:
    """What running the practice leaves behind: the desk's bookings went through the outbox and
    the audit log; portal bookings arrived as notifications."""
    for visit in by_source[VisitSource.DESK]:
        user = USERS[(visit.id or 0) % len(USERS)]
        entry = repos.outbox.enqueue(
            OutboxOp.BOOK,
            {"visit_uid": visit.visit_uid, "slot_id": visit.slot_id, "urgency": str(visit.urgency)},
            user=user, visit_id=visit.id, idempotency_key=book_key(visit.visit_uid),
        )
        if visit.state != VisitState.PENDING:
            repos.outbox.mark_done(entry, {"cer_id": visit.cer_id})
        repos.audit.record(user, "visit.book", patient_id=visit.patient_id, visit_id=visit.id)
    for visit in by_source[VisitSource.PORTAL]:
        repos.notifications.store(
            f"N-{visit.visit_uid}", "portal_booking",
            json.dumps({"visit": visit.cer_id, "slot": visit.slot_id}), channel="push",
        )
    for notification in repos.notifications.unapplied(limit=10**9):
        repos.notifications.mark_applied(notification.id, "applied")
    repos.sync_state.set_time("last_reconcile", GENERATED_AT)
    outage_start = GENERATED_AT - dt.timedelta(days=20)
    outage = repos.outages.open("offline", "connection refused", at=outage_start)
    repos.outages.note_failure(outage, "connection refused")
    repos.outages.close(outage, at=outage_start + dt.timedelta(hours=2))


def generate(path: Path, size: Size, seed: int = 2026) -> dict[str, int | float]:
    """Write the bench database at ``path`` (must not exist); return counts and seconds."""
    rng = random.Random(seed)
    began = time.perf_counter()
    repos = Repositories.open(path, clock=lambda: GENERATED_AT)
    try:
        with atomic(repos.db):
            schedule_ids = build_practice(repos, size)
        with atomic(repos.db):
            repos.patients.add_many(patients(rng, size.patients), "bench")
        by_source = build_visits(repos, rng, schedule_ids, size)
        with atomic(repos.db):
            for source, visits in by_source.items():
                if visits:
                    repos.visits.import_many(visits, "bench", source=source)
        with atomic(repos.db):
            write_history(repos, by_source)
        repos.db.conn.execute("ANALYZE")  # what the app's maintenance does; plans use stats
        return {
            "schedules": len(schedule_ids),
            "slots": repos.slots.count(),
            "patients": repos.patients.count(),
            "visits": repos.visits.count(),
            "outbox": sum(repos.outbox.counts().values()),
            "seconds": round(time.perf_counter() - began, 2),
        }
    finally:
        repos.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the SQLite file to write")
    parser.add_argument("--small", action="store_true", help="a tiny database (for tests)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    if args.out.exists():
        if not args.force:
            print(f"generate: {args.out} exists (use --force to replace it)", file=sys.stderr)
            return 2
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.out}{suffix}").unlink(missing_ok=True)
    counts = generate(args.out, SMALL if args.small else FULL, args.seed)
    if args.json:
        print(json.dumps(counts))
    else:
        print(", ".join(f"{key}: {value}" for key, value in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
