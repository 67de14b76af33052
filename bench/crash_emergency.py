"""Crash safety of the desk and the sync side: SIGKILL over and over, check after each kill.

    python bench/crash_emergency.py [--kills N] [--seed S] [--style random|points|mixed]
                                    [--deadline SECONDS] [--json]

A CeR simulator runs in this process (loopback HTTP) with one active place and a schedule of
800 published terms (8 a day, 100 days); the workstation is two processes
(``crash_worker.py``) that this script starts each round and kills:

- the **desk** makes random bookings, cancellations and reschedules in emergency mode, picking
  terms that are free when it books, and journals each AFTER the store said it is saved;
- the **sync** side replays the outbox (production chunk size), pulls and applies CeR's
  notifications and reconciles;
- between rounds "the world" acts in CeR: portal patients book terms the desk holds in its
  queue (moves, the waiting list, notifications) and free ones, and cancel some of theirs.

Kill styles: ``random`` - both run at once, one of them is SIGKILLed at a random moment after
it is warmed up; ``points`` - the desk runs, then the sync side is started with
``RECEPCJA_CRASH_AT`` naming a crash point (``recepcja.crashpoints``) and dies right after that
commit (deterministic: no timing decides where it dies); ``mixed`` alternates them.

After every kill (``crash_checks.after_kill``): ``PRAGMA integrity_check`` (and the
simulator's), every journaled change is in the store (lost), nothing is twice in CeR or on one
term (duplicated). At the end one clean sync run must leave nothing unfinished (stuck) and the
store and CeR telling the same story for every visit (``crash_checks.at_the_end``), or the
final reconciliation listing the difference for a person (``shown``: a conflict only the desk
can decide, e.g. two reschedules onto each other's terms while CeR refused one of them).

It never hangs and never leaves a worker behind: an overall ``--deadline``, a timeout for every
wait, every worker in its own process group killed on every exit path (and dying with this
process, ``PR_SET_PDEATHSIG``), and a report of what it saw in every case (``deadline`` and
``error`` findings say why a run ended early). Exit 0 and
``"ok": true`` only when every check held.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import crash_checks  # noqa: E402

DAYS, PER_DAY = 100, 8  # activation needs free terms 3 months ahead
PATIENTS = 60
PORTAL_PESEL_BASE = 3000
SYNC_POINTS = (
    "replay.after_recover", "replay.after_claim", "replay.after_cer_answer",
    "replay.after_move", "replay.after_leave_term", "replay.after_requeue",
    "replay.after_finish", "replay.after_release", "replay.after_put_back",
    "notifications.after_patient", "notifications.after_store_visit",
    "notifications.after_applied", "reconcile.after_restore", "reconcile.after_follow_cer",
    "reconcile.after_slot_repair", "reconcile.after_requeue",
)


class Deadline(Exception):  # control flow
    """The overall deadline passed."""


class Workers:
    """Started workers, each in its own process group; ``kill_all`` on every exit path."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.live: list[subprocess.Popen[str]] = []

    def left(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Deadline()
        return remaining

    def start(self, args: list[str], crash_at: str | None = None) -> subprocess.Popen[str]:
        env = {key: value for key, value in os.environ.items() if key != "RECEPCJA_CRASH_AT"}
        env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "desktop"), str(HERE),
                                             env.get("PYTHONPATH", "")])
        if crash_at:
            env["RECEPCJA_CRASH_AT"] = crash_at
        proc = subprocess.Popen([sys.executable, str(HERE / "crash_worker.py"), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, start_new_session=True)
        self.live.append(proc)
        return proc

    def ready(self, proc: subprocess.Popen[str], timeout: float = 60.0) -> bool:
        """Wait for the worker's READY line; False if it ended (or died) first."""
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], min(timeout, self.left()))
        if not ready:
            self.kill(proc)
            self.left()  # the deadline, if that is what passed
            raise RuntimeError("a worker did not get ready in time")
        return proc.stdout.readline().startswith("READY")

    def finish(self, proc: subprocess.Popen[str], timeout: float = 120.0) -> tuple[int, str, str]:
        try:
            out, err = proc.communicate(timeout=min(timeout, self.left()))
        except subprocess.TimeoutExpired:
            self.kill(proc)
            out, err = proc.communicate()
            self.left()  # the deadline, if that is what passed
            raise RuntimeError(f"a worker hung; it was killed: {err[-500:]}") from None
        self.live.remove(proc)
        return proc.returncode, out, err

    def kill(self, proc: subprocess.Popen[str]) -> bool:
        """SIGKILL the worker's whole group; True if it was still running."""
        alive = proc.poll() is None
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(30)
        return alive

    def kill_all(self) -> None:
        for proc in self.live:
            self.kill(proc)
            proc.communicate()
        self.live.clear()


def _practice(root: Path, server_url: str) -> Path:
    from bench_gateway import CONTEXT, PLACE
    from bench_replay import local_practice, pesels
    from recepcja.cer.gateway import CerGateway
    from recepcja.cer.types import GatewayConfig, ScheduleRegistration
    from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
    from recepcja.domain.model import WARSAW, ResourceKind
    from recepcja.store import Repositories

    first = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
    items = []
    for day in range(DAYS):
        start = dt.datetime.combine(first + dt.timedelta(days=day), dt.time(8, 0), WARSAW)
        items += [(f"c-{day}-{n}", SlotSpec(start + dt.timedelta(minutes=15 * n),
                                            start + dt.timedelta(minutes=15 * (n + 1))))
                  for n in range(PER_DAY)]

    with CerGateway(GatewayConfig(url=server_url + "/cer", context=CONTEXT)) as gateway:
        place, _ = gateway.register_place(PLACE)
        schedule = gateway.save_schedule(place, ScheduleRegistration(
            "crash", "kardiologia", ResourceKind.DOCTOR, "dr Crash"))
        results = gateway.save_slots(schedule, items)
        gateway.initial_load(place, [])
        gateway.activate_place(place)
    db_path = root / "desk" / "recepcja.sqlite"
    repos = Repositories.open(db_path)
    local_practice(repos, place, schedule,
                   [(r.cer_id, spec) for r, (_, spec) in zip(results, items, strict=True)])
    for pesel in pesels(PATIENTS):
        repos.patients.add(Patient(PatientIdentifier(pesel=pesel), "Jan", "Kowalski",
                                   phone="+48600100200"), "crash")
    repos.close()
    return db_path


def _world(db_path: Path, server_url: str, rng: random.Random, counter: Counter[str]) -> None:
    """Portal patients: book terms the desk's queue holds and free ones, cancel some of theirs."""
    import requests

    from recepcja.domain.pesel import make_pesel
    from recepcja.store import Repositories
    from recepcja.store.db import fetch_all

    repos = Repositories.open(db_path)
    try:
        queued = fetch_all(repos.db, "SELECT s.cer_id FROM outbox AS o JOIN visits AS v ON "
                                     "v.id = o.visit_id JOIN slots AS s ON s.id = v.slot_id "
                                     "WHERE o.op = 'book' AND o.state IN ('queued', 'failed')")
        free = fetch_all(repos.db, "SELECT cer_id FROM slots WHERE state = 'free' AND "
                                   "cer_id IS NOT NULL AND start_utc > ? LIMIT 80",
                         (dt.datetime.now(dt.UTC).isoformat(),))
    finally:
        repos.close()
    wanted = [row["cer_id"] for row in rng.sample(queued, min(2, len(queued)))]
    wanted += [row["cer_id"] for row in rng.sample(free, min(2, len(free)))]
    for cer_id in wanted:
        counter["portal_pesels"] += 1
        pesel = make_pesel(dt.date(1980, 1, 1) + dt.timedelta(days=counter["portal_pesels"]),
                           PORTAL_PESEL_BASE + counter["portal_pesels"])
        answer = requests.post(f"{server_url}/_control/portal-booking", timeout=60,
                               json={"slot": cer_id, "pesel": pesel})
        counter["portal_bookings" if answer.status_code == 200 else "portal_refused"] += 1
    state = requests.get(f"{server_url}/_control/state?sections=visits", timeout=60).json()
    theirs = [v["id"] for v in state["visits"] if v["source"] == "IKP"
              and v["state"] != crash_checks.CER_CANCELLED]
    for cer_id in rng.sample(theirs, min(1, len(theirs))):
        answer = requests.post(f"{server_url}/_control/portal-cancel", timeout=60,
                               json={"visit": cer_id})
        counter["portal_cancels"] += answer.status_code == 200


def _round(workers: Workers, style: str, rng: random.Random, paths: dict[str, Any],
           report: dict[str, Any], world: Callable[[], None]) -> None:
    """One round: the desk's changes, the world in CeR, the sync side; one of them killed."""
    db, journal, soap = str(paths["db"]), str(paths["journal"]), paths["soap"]
    ops = rng.randint(3, 10) if style == "points" else rng.randint(15, 40)
    desk_args = ["desk", db, journal, str(rng.randrange(1 << 30)), str(ops)]
    if style == "points":
        desk = workers.start(desk_args)
        workers.ready(desk)
        workers.finish(desk)
        world()  # portal patients take some of what the desk just queued
        point = SYNC_POINTS[report["point_rounds"] % len(SYNC_POINTS)]
        report["point_rounds"] += 1
        sync = workers.start(["sync", db, soap, "2"], crash_at=point)
        workers.ready(sync)
        code, _, err = workers.finish(sync)
        if code == -signal.SIGKILL:
            report["kills_sync"] += 1
            report["kills_by_point"][point] = report["kills_by_point"].get(point, 0) + 1
        elif code != 0:
            raise RuntimeError(f"the sync worker failed: {err[-800:]}")
        return
    world()
    desk = workers.start(desk_args)
    sync = workers.start(["sync", db, soap, "2"])
    victim, other, name = ((desk, sync, "desk") if rng.random() < 0.35
                           else (sync, desk, "sync"))
    workers.ready(victim)
    time.sleep(rng.uniform(0.0, 0.3 if name == "desk" else 0.6))
    if workers.kill(victim):
        report[f"kills_{name}"] += 1
    workers.live.remove(victim)
    victim.communicate()
    code, _, err = workers.finish(other)
    if code != 0:
        raise RuntimeError(f"a worker failed: {err[-800:]}")


def run(kills: int, seed: int, style: str, deadline_s: float,
        keep: Path | None = None) -> dict[str, Any]:
    from recepcja.simulator.server import SimulatorServer

    logging.disable(logging.WARNING)
    rng = random.Random(seed)
    started = time.monotonic()
    report: dict[str, Any] = {
        "seed": seed, "style": style, "kills": 0, "kills_desk": 0, "kills_sync": 0,
        "kills_by_point": {}, "rounds": 0, "point_rounds": 0, "checks": 0, "lost": 0,
        "duplicated": 0, "stuck": 0, "integrity": 0, "drift": 0, "deadline": 0, "error": 0,
        "problems": [], "world": {}}
    workers = Workers(started + deadline_s)
    world: Counter[str] = Counter()
    findings: list[crash_checks.Finding] = []
    try:
        with tempfile.TemporaryDirectory(prefix="crash-emergency-") as folder:
            root = keep or Path(folder)
            report["folder"] = str(root)
            with SimulatorServer(root / "sim") as server:
                paths = {"db": _practice(root, server.url), "journal": root / "journal.txt",
                         "soap": server.url + "/cer"}
                try:
                    while report["kills"] < kills and not findings:
                        workers.left()
                        round_style = (style if style != "mixed" else
                                       ("points", "random")[report["rounds"] % 2])
                        _round(workers, round_style, rng, paths, report,
                               lambda: _world(paths["db"], server.url, rng, world))
                        report["rounds"] += 1
                        report["kills"] = report["kills_desk"] + report["kills_sync"]
                        findings += crash_checks.after_kill(paths["db"], paths["journal"],
                                                            server.url)
                        report["checks"] += 1
                    final = workers.start(["sync", str(paths["db"]), paths["soap"], "8",
                                           "--final"])
                    workers.ready(final)
                    code, out, err = workers.finish(final, timeout=300)
                    if code != 0:
                        raise RuntimeError(f"the final sync failed: {err[-800:]}")
                    report["final_sync"] = json.loads(out.splitlines()[-1])
                    end, summary = crash_checks.at_the_end(
                        paths["db"], paths["journal"], server.url,
                        set(report["final_sync"]["for_a_person"]))
                    findings += end
                    report["checks"] += 1
                    report.update(summary)
                    report["journaled"] = Counter(
                        r["op"] for r in crash_checks.journal(paths["journal"]))
                finally:
                    workers.kill_all()
    except Deadline:
        findings.append(("deadline", f"the deadline of {deadline_s:.0f} s passed after "
                                     f"{report['rounds']} rounds"))
    except Exception as error:  # the report says what happened
        findings.append(("error", f"{type(error).__name__}: {error}"))
    finally:
        workers.kill_all()
    for kind, text in findings:
        report[kind] = report.get(kind, 0) + 1
        report["problems"].append(f"{kind}: {text}")
    report["world"] = dict(world)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["ok"] = not report["problems"] and report["kills"] >= kills
    return report


def _terminate(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # run's finally blocks kill the workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs in total")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--style", choices=("random", "points", "mixed"), default="mixed")
    parser.add_argument("--deadline", type=float, default=1800.0,
                        help="stop (and report) after this many seconds")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and leave the databases there (to look at a failure)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    report = run(args.kills, args.seed, args.style, args.deadline, args.keep)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"seed {report['seed']} ({report['style']}): kills {report['kills']} "
              f"(desk {report['kills_desk']}, sync {report['kills_sync']}), rounds "
              f"{report['rounds']}, checks {report['checks']}, lost {report['lost']}, "
              f"duplicated {report['duplicated']}, stuck {report['stuck']}, integrity "
              f"problems {report['integrity']}, drift {report['drift']}, shown to a person "
              f"{report.get('shown')}, outbox "
              f"{report.get('outbox')}, {report['seconds']} s, "
              + ("OK" if report["ok"] else "PROBLEMS: " + "; ".join(report["problems"][:5])))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
