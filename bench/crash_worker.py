"""The processes ``crash_emergency.py`` kills: the desk and the sync side of one workstation.

    python bench/crash_worker.py desk DB JOURNAL SEED OPS
    python bench/crash_worker.py sync DB SOAP_URL PASSES [--final]

- **desk**: ``OPS`` random front-desk changes in emergency mode through ``services.booking``
  (book 60 %, cancel 20 %, reschedule 20 %). A term is picked among those free at the moment
  of booking (a replay may just have moved a visit onto a term); each change is journaled
  (one JSON line, fsynced) only AFTER the store said it is saved - the promise to check.
- **sync**: ``PASSES`` times what the window's threads do: one replay pass (production chunk
  size), pull and apply CeR's notifications, reconcile (every second pass; every pass with
  ``--final``, which also stops once nothing is pending and CeR agrees). Prints a JSON summary
  (with what the last reconciliation listed for a person: visit ids and CeR terms).

Both print ``READY`` once warmed up (the driver's random kill lands in the work) and die with
their parent (Linux ``PR_SET_PDEATHSIG``): a killed or timed-out driver leaves no worker.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import random
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

HORIZON_DAYS = 60
REASONS = ("pacjent rezygnuje", "zmiana planów", "choroba")


def die_with_parent() -> None:
    """SIGKILL this worker when the driver dies (Linux; elsewhere the driver's own cleanup
    is all there is)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def desk(db_path: Path, journal: Path, seed: int, ops: int) -> int:
    from recepcja.domain.errors import DomainError
    from recepcja.domain.model import Urgency
    from recepcja.services import booking
    from recepcja.store import Repositories
    from recepcja.store.db import fetch_all

    rng = random.Random(seed)
    repos = Repositories.open(db_path)
    patients = [row["id"] for row in fetch_all(repos.db, "SELECT id FROM patients")]
    [schedule] = repos.schedules.list()

    def free_term() -> int | None:
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        terms = [s.id for s in repos.slots.free_from(schedule.id or 0, start, 60) if s.cer_id]
        return rng.choice(terms) if terms else None

    def live_visit() -> tuple[int, str] | None:
        rows = fetch_all(repos.db, "SELECT id, visit_uid FROM visits WHERE source = 'desk' "
                                   "AND state IN ('pending', 'confirmed') ORDER BY id")
        row = rng.choice(rows) if rows else None
        return (row["id"], row["visit_uid"]) if row else None

    print("READY", flush=True)
    with journal.open("a", encoding="utf-8") as out:
        for _ in range(ops):
            kind = rng.choices(("book", "cancel", "reschedule"), (6, 2, 2))[0]
            record = None
            try:
                if kind == "book" and (term := free_term()) is not None:
                    urgency = Urgency.URGENT if rng.random() < 0.3 else Urgency.STABLE
                    result = booking.book(repos, rng.choice(patients), term, urgency,
                                          user="crash", emergency=True)
                    record = {"op": "book", "uid": result.visit.visit_uid, "slot": term}
                elif kind == "cancel" and (visit := live_visit()) is not None:
                    booking.cancel(repos, visit[0], rng.choice(REASONS), user="crash")
                    record = {"op": "cancel", "uid": visit[1]}
                elif (kind == "reschedule" and (visit := live_visit()) is not None
                      and (term := free_term()) is not None):
                    booking.reschedule(repos, visit[0], term, user="crash")
                    record = {"op": "reschedule", "uid": visit[1], "slot": term}
            except DomainError:
                continue  # taken meanwhile by the replay: the desk picks again next time
            if record is not None:
                out.write(json.dumps(record) + "\n")
                out.flush()
                os.fsync(out.fileno())
    repos.close()
    return 0


def sync(db_path: Path, soap_url: str, passes: int, final: bool) -> int:
    from bench_gateway import CONTEXT
    from recepcja.cer.gateway import CerGateway
    from recepcja.cer.types import GatewayConfig
    from recepcja.store import Repositories
    from recepcja.sync.notifications import NotificationApplier
    from recepcja.sync.pull import pull_notifications
    from recepcja.sync.reconcile import Reconciler
    from recepcja.sync.replay import Replayer

    repos = Repositories.open(db_path)
    gateway = CerGateway(GatewayConfig(url=soap_url, context=CONTEXT, read_timeout=10))
    gateway.status()  # the client is built: the kill lands in the work
    print("READY", flush=True)
    summary: dict[str, object] = {
        "passes": 0, "done": 0, "moved": 0, "waiting_list": 0, "rejected": 0, "recovered": 0,
        "busy": 0, "stopped": 0, "agreed": False, "for_a_person": []}
    for number in range(passes):
        report = Replayer(repos, gateway, wait=5.0).run()
        for key in ("done", "moved", "waiting_list", "rejected", "recovered"):
            summary[key] += getattr(report, key)
        summary["busy"] += bool(report.busy)
        summary["stopped"] += bool(report.stopped_by)
        pull_notifications(gateway, repos)
        NotificationApplier(repos, gateway).apply_pending()
        summary["passes"] = number + 1
        if final or number % 2:
            reconciled = Reconciler(repos, gateway, horizon_days=HORIZON_DAYS).run()
            summary["agreed"] = reconciled.in_agreement
            # What reconciliation lists for a person (a conflict only the desk can decide).
            summary["for_a_person"] = sorted(
                {key for item in reconciled.open_items if str(item.resolution) == "human"
                 for key in (item.visit_uid, item.slot_cer_id) if key})
            if final and reconciled.in_agreement and not repos.outbox.count_pending():
                break
    print(json.dumps(summary), flush=True)
    gateway.close()
    repos.close()
    return 0


def main(argv: list[str]) -> int:
    import logging

    die_with_parent()
    logging.disable(logging.WARNING)
    if argv[0] == "desk":
        return desk(Path(argv[1]), Path(argv[2]), int(argv[3]), int(argv[4]))
    return sync(Path(argv[1]), argv[2], int(argv[3]), "--final" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
