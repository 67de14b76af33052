"""Crash safety of the merge of desks' offline queues (issue 16): SIGKILL a desk over and over
while it merges into the practice database, check after every kill, and at the end.

    .venv/bin/python bench/crash_server_merge.py [--kills 120] [--seed 1] [--json]

Starts its own PostgreSQL 15 cluster (``tools/pg_cluster.py``). Each round: a new practice
database (one schedule, 400 terms from tomorrow, 300 patients); two desks take their copies
(``store/local_copy.py``), the server "goes away", and each desk works offline on its copy:
bookings of new and known patients - a third of them on terms the other desk books too -,
cancellations and reschedules of some. Then the desks merge (``sync/practice_merge.py``) in
child processes (``_CHILD``) with a random chunk size, and this script kills them: either at a
random moment once the child has opened both databases (``random``), or with
``RECEPCJA_CRASH_AT`` naming one of the merge's crash points (``points``: deterministic, right
after that commit). A killed desk is started again until its merge finishes by itself.

After every kill:
- ``PRAGMA integrity_check`` of the desk's copy;
- **lost**: a row the desk noted as merged whose key the practice database does not have;
- **duplicated**: a key recorded twice (impossible by its primary key - counted anyway), a visit
  of the desks' queues twice in the practice database, two CeR ``book`` rows for one visit.

At the end of a round: nothing unmerged on either desk; every offline row's key recorded once;
every patient a desk registered offline in the practice database once (by PESEL); every visit
booked offline there once (or not at all when the desk cancelled it again before the merge),
live unless the desk cancelled it, with exactly one ``book`` row for CeR.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for extra in (HERE, ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import pg_cluster  # noqa: E402

from bench_store import environment  # noqa: E402
from generate import patients  # noqa: E402
from recepcja.crashpoints import ENV  # noqa: E402
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec  # noqa: E402
from recepcja.domain.model import WARSAW, Urgency  # noqa: E402
from recepcja.domain.workstation import Workstation  # noqa: E402
from recepcja.services import booking  # noqa: E402
from recepcja.store import Repositories  # noqa: E402
from recepcja.store.local_copy import open_copy, refresh  # noqa: E402
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule  # noqa: E402

POINTS = ("practice_merge.after_practice_commit", "practice_merge.after_local_mark")
TERMS = 400
KNOWN = 300

_CHILD = """
import sys
from recepcja.store.db import open_database
from recepcja.store.local_copy import open_copy
from recepcja.sync.practice_merge import merge
practice = open_database(sys.argv[1])
copy = open_copy(sys.argv[2])
print("ready", flush=True)
merge(practice, copy, workstation=sys.argv[3], chunk=int(sys.argv[4]))
print("merged", flush=True)
"""


def _pesel(serial: int) -> str:
    born = dt.date(1990, 1, 1) + dt.timedelta(days=serial // 7000)
    digits = f"{born.year % 100:02d}{born.month:02d}{born.day:02d}{serial % 7000 + 2000:04d}"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return digits + str((10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True))
                         % 10) % 10)


def _practice(repos: Repositories) -> list[int]:
    repos.practice.save_provider(Provider("Przychodnia Crash", nip="5260250995"))
    place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
    doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Crash"))
    schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "Crash"))
    first = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
    step = dt.timedelta(minutes=15)
    specs = []
    for day in range(TERMS // 20):
        start = dt.datetime.combine(first + dt.timedelta(days=day), dt.time(8), WARSAW)
        specs += [SlotSpec(start + i * step, start + (i + 1) * step) for i in range(20)]
    repos.slots.add_many(schedule, specs)
    repos.patients.add_many(patients(random.Random(3), KNOWN), "crash")
    return [slot.id for slot in repos.slots.free_from(schedule, specs[0].start, TERMS)]


def _offline(desk: Repositories, rng: random.Random, terms: list[int], serials: range,
             known: list[int]) -> None:
    """A morning's offline work on one desk: bookings, then some cancellations and moves."""
    booked = []
    for serial in serials:
        if rng.random() < 0.25:
            patient_id = rng.choice(known)
        else:
            patient_id = desk.patients.add(Patient(PatientIdentifier(pesel=_pesel(serial)),
                                                   "Jan", f"Offline{serial}"), "crash")
        for _attempt in range(20):
            slot = rng.choice(terms)
            if desk.slots.get(slot).state == "free":
                booked.append(booking.book(desk, patient_id, slot, Urgency.STABLE,
                                           user="crash", referral_id="SK-1").visit.id)
                break
    for visit_id in rng.sample(booked, len(booked) // 6):
        booking.cancel(desk, visit_id, "rezygnacja", user="crash")
    for visit_id in rng.sample(booked, len(booked) // 6):
        visit = desk.visits.get(visit_id)
        free = [t for t in terms if desk.slots.get(t).state == "free"]
        if visit.state in ("pending", "confirmed") and free:
            booking.reschedule(desk, visit_id, rng.choice(free), user="crash")


def _desk_rows(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT idempotency_key, state, op FROM outbox ORDER BY id").fetchall()


def _check(url: str, copies: dict[str, Path], findings: Counter[str]) -> None:
    """The after-every-kill checks (see the module docstring)."""
    with psycopg.connect(url) as conn:
        keys = Counter(row[0] for row in conn.execute("SELECT key FROM practice_merges"))
        books = Counter(row[0] for row in conn.execute(
            "SELECT idempotency_key FROM outbox WHERE op = 'book'"))
    findings["duplicated"] += sum(1 for count in keys.values() if count > 1)
    findings["duplicated"] += sum(1 for count in books.values() if count > 1)
    for path in copies.values():
        with sqlite3.connect(path) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                findings["integrity"] += 1
        for key, state, _op in _desk_rows(path):
            if state in ("done", "rejected") and key not in keys:
                findings["lost"] += 1


def _final(url: str, copies: dict[str, Path], findings: Counter[str]) -> dict[str, int]:
    offline: dict[str, list[tuple[str, str, str]]] = {n: _desk_rows(p) for n, p in copies.items()}
    all_rows = [row for rows in offline.values() for row in rows]
    findings["stuck"] += sum(1 for _k, state, _o in all_rows if state not in ("done", "rejected"))
    with psycopg.connect(url) as conn:
        keys = Counter(row[0] for row in conn.execute("SELECT key FROM practice_merges"))
        outcomes = Counter(row[0] for row in conn.execute(
            "SELECT outcome FROM practice_merges"))
        visits = {row[0]: row[1] for row in conn.execute("SELECT visit_uid, state FROM visits")}
        books = Counter(row[0] for row in conn.execute(
            "SELECT idempotency_key FROM outbox WHERE op = 'book'"))
        pesels = Counter(row[0] for row in conn.execute(
            "SELECT pesel FROM patients WHERE pesel IS NOT NULL"))
    findings["lost"] += sum(1 for key, _s, _o in all_rows if keys[key] == 0)
    findings["duplicated"] += sum(1 for key, _s, _o in all_rows if keys[key] > 1)
    findings["duplicated"] += sum(1 for count in pesels.values() if count > 1)
    for path in copies.values():
        with sqlite3.connect(path) as conn:
            for uid, state in conn.execute("SELECT visit_uid, state FROM visits "
                                           "WHERE source = 'desk'"):
                key = f"book:{uid}"
                if uid not in visits:
                    # Only a booking the desk cancelled again may never reach the practice.
                    if state != "cancelled":
                        findings["lost"] += 1
                    continue
                if books[key] != 1:
                    findings["duplicated" if books[key] > 1 else "lost"] += 1
                if state == "cancelled" and visits[uid] != "cancelled":
                    findings["cancel_lost"] += 1
    return dict(outcomes)


def _merge_until_done(url: str, name: str, path: Path, rng: random.Random, style: str,
                      kills: list[dict[str, Any]], budget: int, copies: dict[str, Path],
                      findings: Counter[str]) -> None:
    """Start the desk's merge again and again, killing it, until it finishes by itself."""
    while True:
        chunk = rng.choice((1, 3, 10))
        env = dict(os.environ)
        point = rng.choice(POINTS) if style == "points" and budget > 0 else None
        if point:
            env[ENV] = point
        child = subprocess.Popen(  # our own interpreter and script
            [sys.executable, "-c", _CHILD, url, str(path), name, str(chunk)], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            ready, _, _ = select.select([child.stdout], [], [], 60)
            line = child.stdout.readline() if ready else ""
            if line.strip() != "ready":
                raise RuntimeError(f"the merge child did not start: {child.stderr.read()[:500]}")
            if point is None and budget > 0:
                time.sleep(rng.uniform(0.0, 0.4))
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGKILL)
            code = child.wait(timeout=120)
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        if code == -signal.SIGKILL:
            states = Counter(state for _k, state, _o in _desk_rows(path))
            merged = states["done"] + states["rejected"]
            kills.append({"desk": name, "style": "point" if point else "random",
                          "point": point, "chunk": chunk,
                          # the kill came between two commits of the merge, not before it
                          "mid_merge": 0 < merged < sum(states.values())})
            budget -= 1
            _check(url, copies, findings)
            continue
        if code != 0:
            findings["error"] += 1
            raise RuntimeError(f"merge child failed ({code}): {child.stderr.read()[:500]}")
        return


def run(kills_wanted: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    findings: Counter[str] = Counter()
    kills: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    cluster = pg_cluster.start()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="crash-merge-") as name:
            folder = Path(name)
            number = 0
            while len(kills) < kills_wanted:
                number += 1
                url = cluster.url()
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE round{number}")
                url = cluster.url(f"round{number}")
                with Repositories.open(url) as practice:
                    terms = _practice(practice)
                    known = [row[0] for row in practice.db.conn.execute(
                        "SELECT id FROM patients ORDER BY id LIMIT 50").fetchall()]
                    copies = {}
                    for index, desk_name in enumerate(("R1", "R2")):
                        path = folder / f"round{number}" / desk_name / "local-copy.sqlite"
                        copy = open_copy(path)
                        copy.workstation = Workstation.named(desk_name)
                        refresh(practice.db, copy, today=dt.datetime.now(WARSAW).date())
                        shared = terms[:40] + terms[40 + index * 180:40 + (index + 1) * 180]
                        _offline(Repositories.over(copy), rng, shared,
                                 range(number * 1000 + index * 500,
                                       number * 1000 + index * 500 + 60), known)
                        copy.close()
                        copies[desk_name] = path
                style = "points" if number % 3 == 0 else "random"
                before = len(kills)
                budget = max(1, (kills_wanted - len(kills) + 1) // 2)
                for desk_name in rng.sample(sorted(copies), 2):
                    _merge_until_done(url, desk_name, copies[desk_name], rng, style, kills,
                                      min(budget, 15), copies, findings)
                outcomes = _final(url, copies, findings)
                rounds.append({"round": number, "style": style, "kills": len(kills) - before,
                               "outcomes": outcomes})
    finally:
        pg_cluster.stop(cluster.folder)
    return {
        "environment": {**environment(), "psycopg": psycopg.__version__},
        "seed": seed,
        "kills": len(kills),
        "kills_by_style": dict(Counter(kill["style"] for kill in kills)),
        "kills_by_point": dict(Counter(kill["point"] for kill in kills if kill["point"])),
        "kills_mid_merge": sum(1 for kill in kills if kill["mid_merge"]),
        "rounds": rounds,
        "findings": {key: findings[key] for key in
                     ("lost", "duplicated", "stuck", "integrity", "cancel_lost", "error")},
        "seconds": round(time.perf_counter() - started, 1),
        "ok": not any(findings.values()),
    }


def markdown(report: dict[str, Any]) -> str:
    found = report["findings"]
    lines = [
        f"seed {report['seed']}: {report['kills']} kills "
        f"({report['kills_by_style']}; {report['kills_mid_merge']} between two commits of a "
        f"merge), {len(report['rounds'])} rounds, "
        f"{report['seconds']} s",
        "",
        "| lost | duplicated | stuck | integrity | cancellation lost | ok |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {found['lost']} | {found['duplicated']} | {found['stuck']} | {found['integrity']} "
        f"| {found['cancel_lost']} | {'✔' if report['ok'] else '✘'} |",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.kills, args.seed)
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
