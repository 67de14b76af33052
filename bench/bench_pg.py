"""Practice database benchmark (issue 15): one durable booking on PostgreSQL over loopback,
beside the same booking on the embedded SQLite file and the bare PostgreSQL floor.

    .venv/bin/python bench/bench_pg.py [--runs 500] [--json]

Starts its own throwaway PostgreSQL 15 cluster (``tools/pg_cluster.py --durable``: fsync and
synchronous_commit on, as a practice server runs) listening on 127.0.0.1, and reaches it over
TCP as a desk does. Both stores hold the same small practice (one schedule with enough free
terms, 500 patients). Three operations run interleaved, so all see the same disk and load:

- **booking on PostgreSQL**: ``VisitRepo.book`` - BEGIN, the practice's writer lock (advisory),
  read the slot, insert the visit, mark the slot, queue the outbox row, write the audit row,
  COMMIT;
- **floor**: a bare psycopg transaction of two INSERTs (BEGIN, INSERT, INSERT, COMMIT) on the
  same server, the cheapest durable write a desk can make there;
- **booking on SQLite**: the same ``VisitRepo.book`` on the desk's file (WAL, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg

from bench_store import environment, summary, timed
from generate import patients
from recepcja.domain.entities import SlotSpec, Visit
from recepcja.domain.model import WARSAW, ResourceKind, Urgency
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, Schedule

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import pg_cluster

WARMUP = 20
PATIENTS = 500


def _practice(repos: Repositories, terms: int) -> list[int]:
    """A practice with ``terms`` free 10-minute terms and PATIENTS patients; the slot ids."""
    repos.practice.save_provider(Provider("Przychodnia Bench", nip="5260250995"))
    place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
    doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Bench"))
    schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "Bench"))
    start = dt.datetime(2027, 1, 4, 8, 0, tzinfo=WARSAW)
    step = dt.timedelta(minutes=10)
    repos.slots.add_many(schedule, [SlotSpec(start + i * step, start + (i + 1) * step)
                                    for i in range(terms)])
    repos.patients.add_many(patients(random.Random(1), PATIENTS), "bench")
    return [slot.id for slot in repos.slots.free_from(schedule, start, limit=terms)
            if slot.id is not None]


def run(runs: int, seed: int = 7) -> dict[str, object]:
    rng = random.Random(seed)
    cluster = pg_cluster.start(durable=True)
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE practice")
        with tempfile.TemporaryDirectory(prefix="bench-pg-") as folder:
            pg = Repositories.open(cluster.url("practice"))
            lite = Repositories.open(Path(folder) / "recepcja.sqlite")
            floor_conn = psycopg.connect(cluster.url("practice"), autocommit=True)
            try:
                terms = runs + WARMUP
                pg_slots, lite_slots = _practice(pg, terms), _practice(lite, terms)
                floor_conn.execute("CREATE TABLE a (id BIGINT GENERATED ALWAYS AS IDENTITY "
                                   "PRIMARY KEY, uid TEXT, at TIMESTAMPTZ)")
                floor_conn.execute("CREATE TABLE b (id BIGINT GENERATED ALWAYS AS IDENTITY "
                                   "PRIMARY KEY, a_id BIGINT, payload JSONB)")
                times: dict[str, list[float]] = {"pg": [], "floor": [], "sqlite": []}

                def book(repos: Repositories, slot_id: int) -> None:
                    visit = Visit(str(uuid.uuid4()), rng.randrange(1, PATIENTS + 1), None,
                                  Urgency.STABLE, "ZC-BENCH")
                    repos.visits.book(visit, slot_id, "bench", {
                        "visit_uid": visit.visit_uid, "slot_id": slot_id, "urgency": "stable",
                        "pesel": "44051401359", "central_request_id": "ZC-BENCH"})

                def floor(index: int) -> None:
                    with floor_conn.transaction():
                        floor_conn.execute("INSERT INTO a (uid, at) VALUES (%s, now())",
                                           (f"u{index}",))
                        floor_conn.execute("INSERT INTO b (a_id, payload) VALUES (%s, %s)",
                                           (index, '{"x": 1}'))

                for index in range(terms):
                    (on_pg,) = timed([lambda i=index: book(pg, pg_slots[i])])
                    (bare,) = timed([lambda i=index: floor(i)])
                    (on_lite,) = timed([lambda i=index: book(lite, lite_slots[i])])
                    if index >= WARMUP:
                        times["pg"].append(on_pg)
                        times["floor"].append(bare)
                        times["sqlite"].append(on_lite)
            finally:
                floor_conn.close()
                pg.close()
                lite.close()
    finally:
        pg_cluster.stop(cluster.folder)
    booking = summary("booking on PostgreSQL over loopback, durable", times["pg"])
    booking["ratio_to_floor"] = round(
        statistics.median(times["pg"]) / statistics.median(times["floor"]), 1)
    server = psycopg.pq.version() if hasattr(psycopg.pq, "version") else None
    return {
        "environment": {**environment(), "libpq": server, "psycopg": psycopg.__version__},
        "runs": runs,
        "results": [
            booking,
            summary("floor: bare psycopg, 2 INSERTs in one transaction, durable", times["floor"]),
            summary("booking on SQLite (WAL, synchronous=FULL), same run", times["sqlite"]),
        ],
    }


def markdown(report: dict[str, object]) -> str:
    lines = ["| benchmark | median | p90 | target |", "|---|---:|---:|---:|"]
    targets = {"booking on PostgreSQL over loopback, durable": "≤ 3 ms"}
    for row in report["results"]:  # type: ignore[union-attr]
        lines.append(f"| {row['name']} | {row['median_ms']:.3f} ms | {row['p90_ms']:.3f} ms | "
                     f"{targets.get(row['name'], '—')} |")
    first = report["results"][0]  # type: ignore[index]
    lines.append(f"| booking / floor | {first['ratio_to_floor']}× | | |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.runs)
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
