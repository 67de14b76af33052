"""Notification and reconciliation benchmarks (issue 7).

    python bench/bench_notifications.py [--schedules 10] [--rounds 3] [--json]

Starts the CeR simulator on loopback HTTP in its own process (``recepcja sim``; as CeR is another
machine's work; ``--in-process`` runs it in this one instead), onboards one place with
``--schedules`` schedules of weekday terms (08:00-16:00, 30 min) from tomorrow to 3 months +
2 weeks ahead through the gateway, mirrors them into a fresh local store, then measures:

- **applying**: patient actors (all four kinds) run at 500 actions/s in the simulator; their
  notifications are pulled by cursor and stored, then ``NotificationApplier.apply_pending``
  applies them all - timed alone, reported as notifications per second (each round a new batch
  on top of the previous rounds' bookings, so the store fills up as in real use);
- **receiving**: the same notifications' ``przekazNotyfikacje`` bodies, signed, posted one after
  another over a kept-alive connection to a running ``NotificationReceiver`` (authenticate,
  parse hardened, validate, store durably, answer) - requests per second;
- **reconciliation**: ``reconcile`` over every schedule and the whole published horizon
  (read-back of every term and visit, comparison with the store; schedules read back by two
  helper threads while the main thread compares), repeated; median and p90.

The simulator's work is inside every figure: that is what "against the simulator" means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import (
    Address,
    CallContext,
    GatewayConfig,
    PlaceRegistration,
    ScheduleRegistration,
)
from recepcja.domain.entities import SlotSpec
from recepcja.domain.model import WARSAW, ResourceKind, TermKind
from recepcja.simulator.server import SimulatorServer
from recepcja.store import Repositories, atomic
from recepcja.store.records import Place, Provider, Resource, Schedule
from recepcja.sync.notifications import NotificationApplier
from recepcja.sync.pull import pull_notifications
from recepcja.sync.receiver import SOAP_ACTION, NotificationReceiver, signature_for
from recepcja.sync.reconcile import reconcile

CONTEXT = CallContext(
    "2.16.840.1.113883.3.4424.2.3.1", "000000123456", "PRACOWNIK_ADMINISTRACYJNY", "bench", "MUS-1"
)
PLACE = PlaceRegistration(
    "000000012345",
    "01",
    "001",
    "Poradnia (benchmark)",
    Address("ul. Długa 1", "00-950", "Warszawa"),
    ("kardiologia",),
)
SECRET = "bench-secret"
ACTOR_RATE = 500


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}"
    )


def weekday_terms(first: dt.date, last: dt.date) -> list[tuple[str, SlotSpec]]:
    items = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            start = dt.datetime.combine(day, dt.time(8), WARSAW)
            for index in range(16):
                begin = start + dt.timedelta(minutes=30 * index)
                items.append(
                    (
                        f"T-{begin:%Y%m%d%H%M}",
                        SlotSpec(
                            begin, begin + dt.timedelta(minutes=30), TermKind.DEFAULT_PROCEDURE
                        ),
                    )
                )
        day += dt.timedelta(days=1)
    return items


def onboard(gateway: CerGateway, schedules: int) -> tuple[str, list[str]]:
    place_id, _state = gateway.register_place(PLACE)
    today = dt.datetime.now(WARSAW).date()
    terms = weekday_terms(today + dt.timedelta(days=1), today + dt.timedelta(days=3 * 31 + 14))
    ids = []
    for index in range(schedules):
        schedule_id = gateway.save_schedule(
            place_id,
            ScheduleRegistration(
                f"grafik-{index}",
                "kardiologia",
                ResourceKind.DOCTOR,
                f"lek. Lekarz {index}",
                "1234567",
            ),
        )
        ids.append(schedule_id)
    gateway.initial_load(place_id, [])
    for schedule_id in ids:
        results = gateway.save_slots(schedule_id, terms)
        assert all(r.accepted for r in results)
    gateway.activate_place(place_id)
    return place_id, ids


def mirror(repos: Repositories, gateway: CerGateway, place_id: str, schedule_ids: list[str]) -> int:
    repos.practice.save_provider(Provider(name="Poradnia (benchmark)"))
    local_place = repos.practice.add_place(Place(name="Poradnia", cer_id=place_id))
    start = dt.datetime.now(WARSAW)
    count = 0
    for index, cer_id in enumerate(schedule_ids):
        resource = repos.practice.add_resource(
            Resource(kind=ResourceKind.DOCTOR, name=f"Lekarz {index}")
        )
        schedule = repos.schedules.add(
            Schedule(
                resource_id=resource,
                place_id=local_place,
                scope_code="kardiologia",
                cer_id=cer_id,
                name=f"grafik-{index}",
            )
        )
        with atomic(repos.db):
            for slot in gateway.read_slots(cer_id, start, start + dt.timedelta(days=130)):
                repos.slots.adopt_from_cer(
                    schedule, slot.start, slot.end, term_kind=slot.term_kind, cer_id=slot.cer_id
                )
                count += 1
    return count


class ProcessSimulator:
    """``recepcja sim`` in its own process: as CeR is, a separate machine's work."""

    def __init__(self, data: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.data = data
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "recepcja",
                "sim",
                "--port",
                str(self.port),
                "--data",
                str(data),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/_control/health", timeout=1).ok:
                    return self.url
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the simulator did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def raw_bodies(data: Path, after: int) -> list[bytes]:
    """The ``przekazNotyfikacje`` bodies CeR would push for notifications after ``after``
    (read from the simulator's own database file, as its pusher builds them)."""
    from recepcja.simulator.notifications import push_body
    from recepcja.simulator.visits import notification_record

    conn = sqlite3.connect(data / "cer-simulator.sqlite3")
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT * FROM notyfikacja WHERE kursor > ? ORDER BY kursor", (after,)
        ).fetchall()
    finally:
        conn.close()
    return [push_body(notification_record(row)) for row in rows]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def make_gateway(url: str) -> CerGateway:
    return CerGateway(GatewayConfig(url=url + "/cer", context=CONTEXT, read_timeout=60))


def run(schedules: int, rounds: int, actor_seconds: float, in_process: bool) -> dict[str, Any]:
    logging.disable(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    server = SimulatorServer(folder / "sim") if in_process else ProcessSimulator(folder / "sim")
    url = server.start()
    gateway = make_gateway(url)
    repos = Repositories.open(folder / "practice" / "recepcja.sqlite")
    results: dict[str, Any] = {
        "machine": machine(),
        "schedules": schedules,
        "simulator": "in-process" if in_process else "own process",
    }
    try:
        place_id, schedule_ids = onboard(gateway, schedules)
        results["terms"] = mirror(repos, gateway, place_id, schedule_ids)
        applied_rates, counts = [], []
        receive_rates = []
        cursor = 0
        receiver_db = folder / "receiver" / "recepcja.sqlite"
        Repositories.open(receiver_db).close()
        receiver = NotificationReceiver(receiver_db, SECRET, port=0)
        receiver.start()
        session = requests.Session()
        try:
            for _round in range(rounds):
                requests.post(
                    f"{url}/_control/actors", json={"rate": ACTOR_RATE, "seed": _round}, timeout=10
                )
                time.sleep(actor_seconds)
                requests.delete(f"{url}/_control/actors", timeout=30)
                pulled = pull_notifications(gateway, repos, limit=1000)
                applier = NotificationApplier(repos, gateway)
                started = time.perf_counter()
                changes = applier.apply_pending()
                elapsed = time.perf_counter() - started
                counts.append(len(changes))
                applied_rates.append(len(changes) / elapsed)
                bodies = raw_bodies(folder / "sim", cursor)
                cursor = pulled.cursor
                started = time.perf_counter()
                for body in bodies:
                    answer = session.post(
                        receiver.url,
                        data=body,
                        timeout=10,
                        headers={
                            "Content-Type": "text/xml; charset=utf-8",
                            "SOAPAction": f'"{SOAP_ACTION}"',
                            "X-CeR-Signature": signature_for(SECRET, body),
                        },
                    )
                    assert answer.status_code == 200, answer.status_code
                receive_rates.append(len(bodies) / (time.perf_counter() - started))
        finally:
            receiver.stop()
        results["apply"] = {
            "rounds": rounds,
            "notifications": counts,
            "per_second": [round(r) for r in applied_rates],
            "median_per_second": round(statistics.median(applied_rates)),
        }
        results["receive"] = {
            "per_second": [round(r) for r in receive_rates],
            "median_per_second": round(statistics.median(receive_rates)),
        }
        times = []
        report = None
        for _run in range(6):
            started = time.perf_counter()
            report = reconcile(repos, gateway, make_gateway=lambda: make_gateway(url))
            times.append(time.perf_counter() - started)
        assert report is not None
        times = times[1:]  # the first run warms caches (and repairs nothing: all applied)
        results["reconcile"] = {
            "runs": len(times),
            "median_s": round(statistics.median(times), 3),
            "p90_s": round(percentile(times, 0.9), 3),
            "slots_compared": report.slots_compared,
            "in_agreement": report.in_agreement,
            "window_days": (report.last_day - report.first_day).days + 1,
        }
        results["reconcile"]["live_visits"] = sum(
            len(repos.visits.live_in_schedule(s.id, report.first_day, report.last_day))
            for s in repos.schedules.list()
        )
    finally:
        repos.close()
        gateway.close()
        server.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--actor-seconds", type=float, default=4.0)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the simulator in this process (default: its own process)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.schedules, args.rounds, args.actor_seconds, args.in_process)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return 0
    print(f"machine: {results['machine']}")
    print(
        f"{results['schedules']} schedules, {results['terms']} terms mirrored, "
        f"simulator {results['simulator']}"
    )
    apply = results["apply"]
    print(
        f"apply: {apply['notifications']} notifications per round, "
        f"{apply['per_second']}/s (median {apply['median_per_second']}/s)"
    )
    receive = results["receive"]
    print(
        f"receive (HTTP, signed, stored): {receive['per_second']}/s "
        f"(median {receive['median_per_second']}/s)"
    )
    rec = results["reconcile"]
    print(
        f"reconcile: {rec['slots_compared']} terms, {rec['live_visits']} live visits, "
        f"{rec['window_days']} days: median {rec['median_s']} s, p90 {rec['p90_s']} s, "
        f"in agreement: {rec['in_agreement']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
