"""When the practice server is away (issue 16): how soon a desk books on its own copy, how long
the merge of its queue takes, how long a refresh of the copy takes.

    .venv/bin/python bench/bench_server_absence.py [--runs 5] [--entries 1000] [--json]

Starts its own durable PostgreSQL 15 cluster (``tools/pg_cluster.py --durable``) and reaches it
over TCP on 127.0.0.1 through a loopback TCP proxy this script controls (``tests/tcp_proxy.py``),
as a desk reaches the practice server over the LAN. The practice: one schedule with 60 ten-minute
terms a day for 25 days from tomorrow, 5,000 patients.

- **server loss → booking locally**: the desk runs its practice link (``ServerAbsence``, probe
  every 1 s, 2 s timeout) as the window does, and a "receptionist" tries to book every 50 ms
  through ``AppContext.open_desk_db`` (the window's path). The clock starts when the proxy is
  cut (refused at once: a stopped server) or held (nothing answers: a pulled cable) and stops
  when a booking is saved in the desk's queue. A try that fails (the practice database's error)
  is retried, as a receptionist would.
- **merge of N queued entries**: N bookings of N new patients made offline on a desk's copy,
  then ``sync.practice_merge.merge`` into the practice database (one chunk = one transaction);
  beside it, in the same run, the floor: the same N bookings made directly on the practice
  database, each its own transaction (``VisitRepo.book``), as N desks' clicks would.
- **refresh of the copy**: ``store.local_copy.refresh`` (one snapshot, every copied table
  replaced in one SQLite transaction).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for extra in (HERE, ROOT / "tools", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import pg_cluster  # noqa: E402

from bench_store import environment, summary  # noqa: E402
from generate import patients  # noqa: E402
from recepcja.config.paths import AppPaths  # noqa: E402
from recepcja.config.settings import ENV_DATABASE_URL, load_settings  # noqa: E402
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec, Visit  # noqa: E402
from recepcja.domain.model import WARSAW, DocumentType, Urgency  # noqa: E402
from recepcja.domain.workstation import Workstation  # noqa: E402
from recepcja.services import booking  # noqa: E402
from recepcja.services.context import AppContext  # noqa: E402
from recepcja.services.server_absence import ServerAbsence  # noqa: E402
from recepcja.store import Repositories  # noqa: E402
from recepcja.store.local_copy import open_copy, refresh  # noqa: E402
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule  # noqa: E402
from recepcja.sync.practice_merge import merge  # noqa: E402
from tcp_proxy import TcpProxy  # noqa: E402

TERMS_A_DAY = 60
DAYS = 25
PATIENTS = 5000


def _practice(repos: Repositories) -> list[int]:
    repos.practice.save_provider(Provider("Przychodnia Bench", nip="5260250995"))
    place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
    doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Bench"))
    schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "Bench"))
    first = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
    step = dt.timedelta(minutes=10)
    specs = []
    for day in range(DAYS):
        start = dt.datetime.combine(first + dt.timedelta(days=day), dt.time(7, 0), WARSAW)
        specs += [SlotSpec(start + i * step, start + (i + 1) * step) for i in range(TERMS_A_DAY)]
    repos.slots.add_many(schedule, specs)
    repos.patients.add_many(patients(random.Random(1), PATIENTS), "bench")
    return [slot.id for slot in repos.slots.free_from(schedule, specs[0].start, len(specs))]


def _new_patient(serial: int, last_name: str) -> Patient:
    """A patient the practice does not know yet (a passport nobody else has)."""
    return Patient(PatientIdentifier(document_type=DocumentType.PASSPORT,
                                     document_number=f"ZZ{serial:08d}"), "Jan", last_name)


def _database(cluster: pg_cluster.Cluster, name: str) -> str:
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return cluster.url(name)


def merge_run(cluster: pg_cluster.Cluster, folder: Path, run: int, entries: int) -> dict:
    url = _database(cluster, f"merge{run}")
    with Repositories.open(url) as practice:
        slots = _practice(practice)
        copy = open_copy(folder / f"merge{run}" / "local-copy.sqlite")
        copy.workstation = Workstation.named("R1")
        started = time.perf_counter()
        refresh(practice.db, copy, today=dt.datetime.now(WARSAW).date())
        refreshed = time.perf_counter() - started
        desk = Repositories.over(copy)
        for index in range(entries):
            patient = desk.patients.add(_new_patient(run * 10**5 + index, "Offline"), "bench")
            booking.book(desk, patient, slots[index], Urgency.STABLE, user="bench",
                         referral_id="SK-1")
        started = time.perf_counter()
        report = merge(practice.db, copy, workstation="R1")
        merged = time.perf_counter() - started
        assert report.merged == entries, report
        copy.close()
        # The floor: the same number of bookings straight on the practice database.
        floor_slots = slots[entries:2 * entries]
        started = time.perf_counter()
        for index, slot_id in enumerate(floor_slots):
            practice.visits.book(Visit(str(uuid.uuid4()), 1 + index % PATIENTS, None,
                                       Urgency.STABLE), slot_id, "bench")
        floor = time.perf_counter() - started
    return {"merge_s": merged, "floor_s": floor, "refresh_s": refreshed}


def switch_run(cluster: pg_cluster.Cluster, folder: Path, run: int, mode: str) -> float:
    """Seconds from the server's loss (``mode``: cut or hold) to a booking saved locally."""
    url = _database(cluster, f"switch{run}{mode}")
    with Repositories.open(url) as practice:
        slots = _practice(practice)
    host, port = url.rsplit("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
    proxy = TcpProxy(host, int(port))
    os.environ[ENV_DATABASE_URL] = proxy.url(url)
    paths = AppPaths(folder / f"switch{run}{mode}").ensure()
    paths.settings.write_text('[workstation]\nname = "R1"\n', encoding="utf-8")
    ctx = AppContext(paths=paths, settings=load_settings(paths.settings))
    ctx.server_absence = absence = ServerAbsence.for_context(ctx)
    absence.step()
    absence.start()
    desk = Repositories.over(ctx.open_desk_db())  # the window's connection, on the server
    desk.patients.count()
    try:
        time.sleep(1.0 + random.random())  # anywhere in the probe's cycle
        lost = time.perf_counter()
        proxy.cut() if mode == "cut" else proxy.hold()
        index = 0
        while True:
            result: list[object] = []

            def attempt(index: int = index, result: list[object] = result) -> None:
                try:
                    with Repositories.over(ctx.open_desk_db()) as repos:
                        patient = repos.patients.add(
                            _new_patient(9 * 10**6 + run * 10**4 + index, "Nowy"), "b")
                        booking.book(repos, patient, slots[index], Urgency.STABLE, user="b",
                                     referral_id="SK-1")
                        result.append(repos.db.engine)
                except Exception as error:  # the desk retries
                    result.append(error)

            # The receptionist's click runs in the window's pool: a hung try does not stop the
            # next one (the window's threads each open their own connection).
            threading.Thread(target=attempt, daemon=True).start()
            deadline = time.perf_counter() + 0.05
            while time.perf_counter() < deadline and not result:
                time.sleep(0.005)
            if result and result[0] == "sqlite":
                return time.perf_counter() - lost
            index += 1
            if time.perf_counter() - lost > 60:
                raise RuntimeError("no local booking within 60 s")
    finally:
        absence.stop(timeout=1)
        desk.close()
        proxy.close()


def run(runs: int, entries: int) -> dict[str, object]:
    cluster = pg_cluster.start(durable=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-absence-") as name:
            folder = Path(name)
            merges = [merge_run(cluster, folder, index, entries) for index in range(runs)]
            cuts = [switch_run(cluster, folder, index, "cut") for index in range(runs)]
            holds = [switch_run(cluster, folder, index, "hold") for index in range(runs)]
    finally:
        pg_cluster.stop(cluster.folder)
    seconds = {
        f"merge of {entries} queued entries into the practice database":
            [m["merge_s"] for m in merges],
        f"floor: {entries} bookings straight on the practice database, one transaction each":
            [m["floor_s"] for m in merges],
        f"refresh of the copy ({DAYS * TERMS_A_DAY} terms, {PATIENTS + entries} patients)":
            [m["refresh_s"] for m in merges],
        "server loss → booking locally (server stopped: refused)": cuts,
        "server loss → booking locally (nothing answers: held)": holds,
    }
    return {
        "environment": {**environment(), "psycopg": psycopg.__version__},
        "runs": runs,
        "results": [{**summary(name, values),
                     "all_s": [round(value, 3) for value in values],
                     "median_s": round(statistics.median(values), 3)}
                    for name, values in seconds.items()],
    }


def markdown(report: dict[str, object]) -> str:
    lines = ["| benchmark | median | all runs | target |", "|---|---:|---|---:|"]
    for row in report["results"]:  # type: ignore[union-attr]
        target = ("≤ 5 s" if row["name"].startswith(("merge", "server loss")) else "—")
        runs = ", ".join(f"{value:.2f}" for value in row["all_s"])
        lines.append(f"| {row['name']} | {row['median_s']:.2f} s | {runs} | {target} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.runs, args.entries)
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
