"""Store benchmarks (issue 2): the desk's searches, a day of slots, and one durable booking,
with the floor a bare SQLite transaction sets on this machine, measured in the same run.

    python bench/bench_store.py [DB.sqlite] [--runs N] [--json] [--small]

DB.sqlite is a database written by ``bench/generate.py``; without it a full-size one is
generated into a temporary folder first (about 20 s; ``--small`` for a quick smoke run). The
benchmarks run on a copy, so the generated file stays as it was.

Method: every operation runs N times (after a few warm-up runs), each timed alone with
``time.perf_counter``; we report the MEDIAN (and p90), never the mean, because one unlucky fsync
must not move the figure. Searches and day views use different inputs on every run (prefixes
and days drawn from the data), through the repositories the app uses - Python objects included.
The booking and its floor run interleaved (booking, floor, booking, ...), so both see the same
machine conditions; the floor is two INSERTs in one transaction on a bare ``sqlite3``
connection with WAL and synchronous=FULL, in the same folder as the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from generate import FULL, GENERATED_AT, SMALL, generate
from recepcja.domain.entities import Visit
from recepcja.domain.model import Urgency
from recepcja.store import Repositories

TARGETS_MS = {
    "patient search, PESEL prefix": 5.0,
    "patient search, surname prefix": 5.0,
    "slots of one schedule for one day": 5.0,
    "booking (visit + slot + outbox + audit), durable": 1.0,
}
WARMUP = 5


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Seconds per call, each call timed alone."""
    times = []
    for call in calls:
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def summary(name: str, times: list[float]) -> dict[str, object]:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    row: dict[str, object] = {
        "name": name,
        "runs": len(ms),
        "median_ms": round(statistics.median(ms), 4),
        "p90_ms": round(p90, 4),
        "target_ms": TARGETS_MS.get(name),
    }
    target = TARGETS_MS.get(name)
    row["meets_target"] = None if target is None else statistics.median(ms) <= target
    return row


def search_benchmarks(
    repos: Repositories, rng: random.Random, runs: int
) -> list[dict[str, object]]:
    count = repos.patients.count()
    sample = [repos.patients.get(rng.randrange(1, count + 1)) for _ in range(runs * 3)]
    people = [p for p in sample if p is not None]
    pesels = [p.identifier.pesel for p in people if p.identifier.pesel][: runs + WARMUP]
    surnames = [p.last_name for p in people][: runs + WARMUP]
    phones = [p.phone for p in people if p.phone][: runs + WARMUP]
    search = repos.patients.search
    rows = []
    for name, texts in (
        ("patient search, PESEL prefix", [pesel[:6] for pesel in pesels]),
        ("patient search, surname prefix", [surname[:3] for surname in surnames]),
        ("patient search, phone (as typed: '601 234')", [f"{p[3:6]} {p[6:9]}" for p in phones]),
    ):
        calls = [lambda text=text: search(text, 20) for text in texts]
        timed(calls[:WARMUP])
        rows.append(summary(name, timed(calls[WARMUP:])))
    return rows


def day_benchmarks(repos: Repositories, rng: random.Random, runs: int) -> list[dict[str, object]]:
    # Days drawn from real slots, so every view has a working day's worth of terms (a random
    # calendar day would often be a Sunday and flatter the figure).
    count = repos.slots.count()
    picks = []
    while len(picks) < runs + WARMUP:
        slot = repos.slots.get(rng.randrange(1, count + 1))
        if slot is not None:
            picks.append((slot.schedule_id, slot.start.date()))
    rows = []
    for name, view in (
        ("slots of one schedule for one day", repos.slots.for_day),
        ("day sheet (slots + visits + patients)", repos.visits.day_sheet),
    ):
        calls = [lambda s=s, d=d, view=view: view(s, d) for s, d in picks]
        timed(calls[:WARMUP])
        rows.append(summary(name, timed(calls[WARMUP:])))
    return rows


def booking_benchmark(
    repos: Repositories, folder: Path, rng: random.Random, runs: int
) -> list[dict[str, object]]:
    """The durable booking against its floor (synchronous=FULL, as the app runs), then the same
    pair with synchronous=NORMAL - not durable, for information only: it shows how much of the
    booking is the store's own work and how much is the disk's fsync."""
    wanted = 2 * (runs + WARMUP)
    free: list[int] = []
    # Future terms, as at the desk; a small database (one past month) falls back to any free one.
    for since in (GENERATED_AT, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)):
        free = [
            slot.id
            for schedule in repos.schedules.list()
            for slot in repos.slots.free_from(schedule.id or 0, since, limit=wanted)
            if slot.id is not None
        ]
        if len(free) >= wanted:
            break
    slots = rng.sample(free, wanted)
    patient_count = repos.patients.count()

    def book(slot_id: int) -> None:
        patient_id = rng.randrange(1, patient_count + 1)
        visit = Visit(str(uuid.uuid4()), patient_id, None, Urgency.STABLE, "ZC-BENCH")
        payload = {
            "visit_uid": visit.visit_uid,
            "pesel": "44051401359",
            "first_name": "Jan",
            "last_name": "Kowalski",
            "slot_id": slot_id,
            "urgency": "stable",
            "central_request_id": "ZC-BENCH",
        }
        repos.visits.book(visit, slot_id, "bench", payload)

    rows = []
    for mode, slot_ids in (("FULL", slots[: runs + WARMUP]), ("NORMAL", slots[runs + WARMUP :])):
        conn = sqlite3.connect(folder / f"floor-{mode}.sqlite", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {mode}")
        conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, uid TEXT, at TEXT)")
        conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, payload TEXT)")
        repos.db.conn.execute(f"PRAGMA synchronous = {mode}")

        def floor(index: int, conn: sqlite3.Connection = conn) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO a (uid, at) VALUES (?, ?)", (f"u{index}", "2026-01-01"))
            conn.execute("INSERT INTO b (a_id, payload) VALUES (?, ?)", (index, '{"x": 1}'))
            conn.execute("COMMIT")

        booking_times: list[float] = []
        floor_times: list[float] = []
        for index, slot_id in enumerate(slot_ids):
            (booked,) = timed([lambda slot_id=slot_id: book(slot_id)])
            (bare,) = timed([lambda index=index: floor(index)])
            if index >= WARMUP:
                booking_times.append(booked)
                floor_times.append(bare)
        conn.close()
        if mode == "FULL":
            booking = summary("booking (visit + slot + outbox + audit), durable", booking_times)
            bare = summary("floor: bare sqlite3, 2 INSERTs, WAL + synchronous=FULL", floor_times)
        else:
            booking = summary("booking, synchronous=NORMAL (not durable; info)", booking_times)
            bare = summary("floor, synchronous=NORMAL (not durable; info)", floor_times)
        booking["ratio_to_floor"] = round(
            statistics.median(booking_times) / statistics.median(floor_times), 1
        )
        rows += [booking, bare]
    repos.db.conn.execute("PRAGMA synchronous = FULL")
    return rows


def environment() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    os_name = platform.platform()
    try:
        release = Path("/etc/os-release").read_text().splitlines()
        fields = dict(line.split("=", 1) for line in release if "=" in line)
        os_name = fields.get("PRETTY_NAME", os_name).strip('"')
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": os_name,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def run(db_path: Path, runs: int, seed: int = 7) -> dict[str, object]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="recepcja-bench-") as tmp:
        folder = Path(tmp)
        copy = folder / "bench.sqlite"
        for suffix in ("", "-wal"):
            if Path(f"{db_path}{suffix}").exists():
                shutil.copyfile(f"{db_path}{suffix}", f"{copy}{suffix}")
        repos = Repositories.open(copy)
        try:
            counts = {
                "slots": repos.slots.count(),
                "patients": repos.patients.count(),
                "visits": repos.visits.count(),
            }
            results = [
                *search_benchmarks(repos, rng, runs),
                *day_benchmarks(repos, rng, runs),
                *booking_benchmark(repos, folder, rng, runs),
            ]
        finally:
            repos.close()
    return {"environment": environment(), "database": counts, "runs": runs, "results": results}


def markdown(report: dict[str, object]) -> str:
    env = report["environment"]
    assert isinstance(env, dict)
    lines = [
        f"Machine: {env['cpu']}, {env['cores']} cores, {env['os']}, Python {env['python']}, "
        f"SQLite {env['sqlite']}",
        f"Database: {report['database']}; median of {report['runs']} runs each",
        "",
        "| benchmark | median | p90 | target | ratio |",
        "|---|---:|---:|---:|---|",
    ]
    results = report["results"]
    assert isinstance(results, list)
    for row in results:
        target = row["target_ms"]
        goal = "" if target is None else f"≤ {target:g} ms " + ("✔" if row["meets_target"] else "✘")
        ratio = f"{row['ratio_to_floor']}× floor" if "ratio_to_floor" in row else ""
        lines.append(
            f"| {row['name']} | {row['median_ms']:.3f} ms | {row['p90_ms']:.3f} ms | "
            f"{goal} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", type=Path, help="a database from bench/generate.py")
    parser.add_argument("--runs", type=int, default=200, help="runs per benchmark (default 200)")
    parser.add_argument("--small", action="store_true", help="generate a small database")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.db is not None and not args.db.exists():
        print(f"bench_store: {args.db} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="recepcja-bench-db-") as tmp:
        db_path = args.db
        if db_path is None:
            db_path = Path(tmp) / "generated.sqlite"
            print("bench_store: generating the bench database ...", file=sys.stderr)
            generate(db_path, SMALL if args.small else FULL)
        report = run(db_path, args.runs)
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
