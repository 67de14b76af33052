"""Refreshing a desk's copy of a large practice database: whole copy vs what changed (issue 16).

    .venv/bin/python bench/bench_copy_refresh.py LARGE.sqlite [--runs 5] [--changes 3,20] [--json]

LARGE.sqlite is the large bench database (``bench/generate.py LARGE.sqlite``: 10 schedules x
12 months of 2026, 50k patients, 100k visits). It is copied once into a durable throwaway
PostgreSQL cluster (``tools/pg_cluster.py --durable``, reached over TCP on 127.0.0.1 as a
desk reaches the practice server) with ``recepcja practice migrate``'s own code, and the desk's
copy is kept for the bench data's "today" (2026-06-30: the terms and visits from the day before
to six weeks ahead, every patient). Interleaved, run after run:

- **whole copy**: ``store.local_copy.refresh`` - one snapshot, every copied table replaced in
  one SQLite transaction (what every refresh cost before);
- **what changed, after N bookings** (for each N of ``--changes``): other desks book N visits
  on free terms of the copied weeks (one ``VisitRepo.book`` transaction each, not timed), then
  ``store.local_copy_delta.refresh_changes`` brings the copy up to date;
- **what changed, nothing changed**: the same call again (the link's usual 30 s step).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for extra in (HERE, ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import pg_cluster  # noqa: E402

from bench_store import environment  # noqa: E402
from generate import GENERATED_AT  # noqa: E402
from recepcja.domain.entities import Visit  # noqa: E402
from recepcja.domain.model import WARSAW, Urgency  # noqa: E402
from recepcja.services.practice_migrate import migrate_practice  # noqa: E402
from recepcja.store import Repositories  # noqa: E402
from recepcja.store.local_copy import open_copy, refresh  # noqa: E402
from recepcja.store.local_copy_delta import refresh_changes  # noqa: E402

TODAY = GENERATED_AT.astimezone(WARSAW).date()


def _free_terms(practice: Repositories, today: dt.date, count: int,
                rng: random.Random) -> list[int]:
    rows = practice.db.conn.execute(
        "SELECT id FROM slots WHERE state = 'free' AND local_date > ? AND local_date <= ? "
        "ORDER BY id", (today.isoformat(), (today + dt.timedelta(weeks=6)).isoformat()),
    ).fetchall()
    return rng.sample([int(row[0]) for row in rows], count)


def _book(practice: Repositories, slots: list[int], patients: list[int],
          rng: random.Random) -> None:
    for slot in slots:
        visit = Visit(str(uuid.uuid4()), rng.choice(patients), None, Urgency.STABLE)
        practice.visits.book(visit, slot, "bench")


def run(source: Path, runs: int, changes: Sequence[int],
        today: dt.date = TODAY) -> dict[str, object]:
    rng = random.Random(16)
    cluster = pg_cluster.start(durable=True)
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE practice")
        url = cluster.url("practice")
        began = time.perf_counter()
        migrate_practice(source, url)
        loaded = time.perf_counter() - began
        with tempfile.TemporaryDirectory(prefix="bench-copy-") as name, \
                Repositories.open(url) as practice:
            copy = open_copy(Path(name) / "local-copy.sqlite")
            patients = [int(row[0]) for row in practice.db.conn.execute(
                "SELECT id FROM patients WHERE merged_into IS NULL")]
            whole: list[float] = []
            changed: dict[int, list[float]] = {count: [] for count in changes}
            idle: list[float] = []
            sizes: dict[str, int] = {}
            for _ in range(runs):
                now = dt.datetime.now(dt.UTC)
                started = time.perf_counter()
                report = refresh(practice.db, copy, today=today, now=now)
                whole.append(time.perf_counter() - started)
                sizes = report.rows
                for step, count in enumerate(changes, start=1):
                    _book(practice, _free_terms(practice, today, count, rng), patients, rng)
                    started = time.perf_counter()
                    delta = refresh_changes(practice.db, copy, today=today,
                                            now=now + dt.timedelta(seconds=30 * step))
                    changed[count].append(time.perf_counter() - started)
                    if delta is None:
                        raise RuntimeError("no incremental refresh")
                started = time.perf_counter()
                refresh_changes(practice.db, copy, today=today,
                                now=now + dt.timedelta(seconds=30 * (len(changes) + 1)))
                idle.append(time.perf_counter() - started)
            copy.close()
    finally:
        pg_cluster.stop(cluster.folder)
    seconds = {
        "whole copy": whole,
        **{f"what changed, after {count} bookings": values for count, values in changed.items()},
        "what changed, nothing changed": idle,
    }
    return {
        "environment": {**environment(), "psycopg": psycopg.__version__},
        "source": str(source),
        "load_into_postgresql_s": round(loaded, 1),
        "copy_rows": sizes,
        "runs": runs,
        "results": [{"name": key, "median_s": round(statistics.median(values), 4),
                     "all_s": [round(value, 4) for value in values]}
                    for key, values in seconds.items()],
    }


def markdown(report: dict[str, object]) -> str:
    lines = ["| refresh of the copy | median | all runs |", "|---|---:|---|"]
    for row in report["results"]:  # type: ignore[union-attr]
        runs = ", ".join(f"{value:.3f}" for value in row["all_s"])
        lines.append(f"| {row['name']} | {row['median_s']:.3f} s | {runs} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the large bench database (generate.py)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changes", default="3,20",
                        help="bookings between refreshes, comma-separated (default 3,20)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=TODAY,
                        help="the desk's day (default: the bench data's, 2026-06-30)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.changes.split(",") if part.strip()]
    report = run(args.source, args.runs, counts, args.today)
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
