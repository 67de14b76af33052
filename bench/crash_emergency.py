"""Crash safety of emergency booking and replay: kill -9 at random points, check after each.

    python bench/crash_emergency.py [--kills N] [--seed S] [--json]

A CeR simulator runs in this process (loopback HTTP); the desk is a separate process that this
script kills with SIGKILL at a random moment, over and over:

- **booking**: the worker books queued (emergency) visits one after another, writing each
  visit's id to a journal file only AFTER the store said it is saved; killed mid-stream;
- **replay**: the worker recovers interrupted rows and replays the outbox (small chunks, so a
  kill lands between claim, call and write-back); killed mid-stream; meanwhile "portal
  patients" take some of the queued terms in CeR, so moves and read-backs happen too.

After every kill: ``PRAGMA integrity_check`` is ok; every journaled visit is in the store once,
with exactly one ``book`` outbox row; no term holds two live visits (locally or in CeR); no visit
id is in CeR twice. At the end one clean replay must leave nothing pending, and every visit is
confirmed with CeR's id (exactly one CeR visit per visit id) or on the central waiting list.
Exit code 0 and ``"ok": true`` when all of it holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


# --- the worker (the desk process that gets killed) --------------------------------------------


def worker(argv: list[str]) -> int:
    from recepcja.cer.gateway import CerGateway
    from recepcja.cer.types import GatewayConfig
    from recepcja.domain.model import Urgency
    from recepcja.services import booking
    from recepcja.store import Repositories
    from recepcja.sync.replay import Replayer

    mode, db_path = argv[0], Path(argv[1])
    repos = Repositories.open(db_path)
    if mode == "book":
        journal, first, count = Path(argv[2]), int(argv[3]), int(argv[4])
        patients = [int(x) for x in argv[5].split(",")]
        slots = [int(x) for x in argv[6].split(",")]
        with journal.open("a", encoding="utf-8") as out:
            for index in range(first, first + count):
                result = booking.book(repos, patients[index % len(patients)], slots[index],
                                      Urgency.URGENT if index % 5 == 0 else Urgency.STABLE,
                                      user="crash", emergency=True)
                out.write(result.visit.visit_uid + "\n")
                out.flush()
                os.fsync(out.fileno())
                if index == first:
                    print("READY", flush=True)  # warmed up: the kill lands mid-stream
        return 0
    from bench_gateway import CONTEXT

    repos.outbox.recover_interrupted()
    gateway = CerGateway(GatewayConfig(url=argv[2], context=CONTEXT, read_timeout=5))
    gateway.status()  # build the client first, so the kill lands while rows are being sent
    print("READY", flush=True)
    while repos.outbox.count_pending():
        report = Replayer(repos, gateway).run(chunk=3)
        if report.stopped_by:
            time.sleep(0.05)
    return 0


# --- the checks -----------------------------------------------------------------------------


def check(db_path: Path, journal: Path, sim_url: str, *, final: bool = False) -> list[str]:
    import requests

    from recepcja.domain.model import VisitState
    from recepcja.store import Repositories
    from recepcja.store.db import fetch_all

    problems: list[str] = []
    repos = Repositories.open(db_path)
    try:
        integrity = repos.db.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        uids = journal.read_text(encoding="utf-8").split() if journal.exists() else []
        for uid in uids:
            visit = repos.visits.by_uid(uid)
            if visit is None:
                problems.append(f"lost: {uid}")
                continue
            books = [e for e in repos.outbox.for_visit(visit.id) if e.op == "book"]
            if len(books) != 1:
                problems.append(f"{uid}: {len(books)} book rows")
        live = fetch_all(repos.db, "SELECT slot_id, COUNT(*) AS n FROM visits WHERE state IN "
                                   "('pending', 'confirmed') AND slot_id IS NOT NULL "
                                   "GROUP BY slot_id HAVING n > 1")
        if live:
            problems.append(f"double-booked local terms: {live[:3]}")
        mismatched = fetch_all(repos.db, "SELECT s.id FROM slots s WHERE (s.state = 'booked') "
                                         "<> EXISTS (SELECT 1 FROM visits v WHERE v.slot_id = "
                                         "s.id AND v.state IN ('pending', 'confirmed'))")
        if mismatched:
            problems.append(f"slot state disagrees with visits: {mismatched[:3]}")
        state = requests.get(f"{sim_url}/_control/state?sections=visits,waiting_list",
                             timeout=30).json()
        ours = Counter(v["visit_uid"] for v in state["visits"] if v["visit_uid"])
        twice = [uid for uid, n in ours.items() if n > 1]
        if twice:
            problems.append(f"booked twice in CeR: {twice[:3]}")
        slots = Counter(v["slot"] for v in state["visits"] if v["state"] != "ANULOWANA")
        if slots and max(slots.values()) > 1:
            problems.append("a CeR term holds two visits")
        if final:
            if repos.outbox.count_pending():
                problems.append(f"left pending: {repos.outbox.counts()}")
            waiting = {w["entry_uid"] for w in state["waiting_list"]}
            by_uid = {v["visit_uid"]: v for v in state["visits"]}
            for uid in uids:
                visit = repos.visits.by_uid(uid)
                if visit is None:
                    continue
                if visit.state == VisitState.CONFIRMED:
                    if ours.get(uid) != 1 or by_uid[uid]["id"] != visit.cer_id:
                        problems.append(f"{uid}: confirmed locally, CeR says {ours.get(uid)}")
                elif visit.state == VisitState.WAITING_LIST:
                    if uid not in waiting:
                        problems.append(f"{uid}: waiting list locally, not in CeR")
                else:
                    problems.append(f"{uid}: still {visit.state}")
    finally:
        repos.close()
    return problems


# --- the driver ---------------------------------------------------------------------------------


def _spawn(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE.parent / "desktop"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "worker", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _kill_at_random(proc: subprocess.Popen[str], rng: random.Random, window: float) -> bool:
    """Wait for READY, sleep a random time, SIGKILL. True if the process was still alive."""
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY"):
        proc.wait(30)
        raise RuntimeError(f"worker failed: {proc.stderr.read() if proc.stderr else ''}")
    time.sleep(rng.uniform(0.0, window))
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return alive


def _finish(proc: subprocess.Popen[str]) -> None:
    if proc.stdout:
        proc.stdout.readline()
    out, err = proc.communicate(timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"worker exit {proc.returncode}: {err[-2000:]}")


def run(kills: int, seed: int, batch: int = 40) -> dict[str, object]:
    import requests

    from bench_gateway import CONTEXT, PLACE, slots
    from bench_replay import local_practice, pesels
    from recepcja.cer.gateway import CerGateway
    from recepcja.cer.types import GatewayConfig, ResourceKind, ScheduleRegistration
    from recepcja.domain.model import WARSAW, Patient, PatientIdentifier
    from recepcja.simulator.server import SimulatorServer
    from recepcja.store import Repositories

    logging.disable(logging.WARNING)
    rng = random.Random(seed)
    started = time.perf_counter()
    report: dict[str, object] = {"seed": seed, "kills_booking": 0, "kills_replay": 0,
                                 "checks": 0, "booking_cut_short": 0, "left_sending": 0,
                                 "problems": []}
    with tempfile.TemporaryDirectory(prefix="crash-emergency-") as folder:
        root = Path(folder)
        with SimulatorServer(root / "sim") as server:
            soap = server.url + "/cer"
            with CerGateway(GatewayConfig(url=soap, context=CONTEXT)) as gateway:
                place, _ = gateway.register_place(PLACE)
                schedule = gateway.save_schedule(place, ScheduleRegistration(
                    "crash", "kardiologia", ResourceKind.DOCTOR, "dr Crash"))
                items = slots(dt.datetime.now(WARSAW).date() + dt.timedelta(days=1), 3300, "c")
                results = gateway.save_slots(schedule, items)
                gateway.initial_load(place, [])
                gateway.activate_place(place)
            published = [(r.cer_id, spec) for r, (_, spec) in zip(results, items, strict=True)]
            db_path = root / "desk" / "recepcja.sqlite"
            repos = Repositories.open(db_path)
            slot_ids = local_practice(repos, place, schedule, published)
            # Every 7th term is kept free locally as room for moves.
            bookable = [s for i, s in enumerate(slot_ids) if i % 7]
            people = []
            for pesel in pesels(100):
                patient = Patient(PatientIdentifier(pesel=pesel), "Jan", "Kowalski")
                repos.patients.add(patient, "crash")
                people.append(patient.id)
            repos.close()
            journal = root / "journal.txt"
            patient_arg = ",".join(map(str, people))
            slot_arg = ",".join(map(str, bookable))
            booked = 0
            problems: list[str] = report["problems"]  # type: ignore[assignment]
            total_kills = 0
            while total_kills < kills and not problems:
                # Booking, killed somewhere in the middle; then the rest of the batch.
                proc = _spawn(["book", str(db_path), str(journal), str(booked), str(batch),
                               patient_arg, slot_arg])
                if _kill_at_random(proc, rng, 0.06):
                    report["kills_booking"] += 1  # type: ignore[operator]
                    total_kills += 1
                before = booked
                problems += check(db_path, journal, server.url)
                report["checks"] += 1  # type: ignore[operator]
                repos = Repositories.open(db_path)
                booked = repos.visits.count()
                repos.close()
                if 0 < booked - before < batch:
                    report["booking_cut_short"] += 1  # type: ignore[operator]
                # Portal patients take a few of the queued terms in CeR meanwhile.
                repos = Repositories.open(db_path)
                queued = [e for e in repos.outbox.in_states(["queued"])][:3]
                for entry in queued:
                    visit = repos.visits.get(entry.visit_id)
                    slot = repos.slots.get(visit.slot_id) if visit and visit.slot_id else None
                    if slot is not None and rng.random() < 0.5:
                        requests.post(f"{server.url}/_control/portal-booking", timeout=30,
                                      json={"slot": slot.cer_id, "pesel": "44051401359"})
                repos.close()
                # Replay, killed at random points, until the queue is empty.
                for _ in range(4):
                    proc = _spawn(["replay", str(db_path), soap])
                    if _kill_at_random(proc, rng, 0.25):
                        report["kills_replay"] += 1  # type: ignore[operator]
                        total_kills += 1
                    repos = Repositories.open(db_path)
                    report["left_sending"] += len(repos.outbox.in_states(["sending"]))
                    pending = repos.outbox.count_pending()
                    repos.close()
                    problems += check(db_path, journal, server.url)
                    report["checks"] += 1  # type: ignore[operator]
                    if problems or total_kills >= kills or not pending:
                        break
            proc = _spawn(["replay", str(db_path), soap])
            _finish(proc)
            problems += check(db_path, journal, server.url, final=True)
            report["checks"] += 1  # type: ignore[operator]
            repos = Repositories.open(db_path)
            report["visits"] = repos.visits.count()
            report["journaled"] = len(journal.read_text().split())
            report["outbox"] = repos.outbox.counts()
            repos.close()
    report["kills"] = report["kills_booking"] + report["kills_replay"]  # type: ignore[operator]
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["ok"] = not report["problems"]
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "worker":
        return worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs in total (>= 100)")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(args.kills, args.seed)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"kills: {report['kills']} (booking {report['kills_booking']}, replay "
              f"{report['kills_replay']}), checks: {report['checks']}, bookings cut short: "
              f"{report['booking_cut_short']}, rows left sending: {report['left_sending']}, "
              "visits: "
              f"{report['visits']}, outbox: {report['outbox']}, {report['seconds']} s, "
              f"{'OK' if report['ok'] else 'PROBLEMS: ' + '; '.join(report['problems'][:5])}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
