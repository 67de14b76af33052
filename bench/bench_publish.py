"""Publishing benchmark (issue 4): 3 months of 10 schedules (~20k slots) vs the gateway floor.

    python bench/bench_publish.py [--runs N] [--json]

Each run uses two fresh CeR simulators (loopback HTTP, in this process, as bench_gateway.py):

- **publish**: a practice database with one place and 10 doctors' schedules (Mon-Fri
  08:00-18:00, 20-minute slots) registered in CeR (onboarding steps 1-4, not timed), then
  ``services.publishing.publish_all`` timed: generating the slots from the templates to 3 months
  + 14 days, storing them, sending them with ``zapiszSloty`` in batches of 1,000 and recording
  every answer (CeR id, published stamp) in SQLite;
- **floor**: the same slots (same local ids and times) sent straight through
  ``CerGateway.save_slots`` to the other simulator, nothing generated and nothing stored.

The ratio publish / floor is what the service adds on top of the bare gateway. Runs alternate
(floor, publish) so drift of the machine hits both; we report medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import CallContext, GatewayConfig, ResourceKind, ScheduleRegistration
from recepcja.domain.model import SlotSpec
from recepcja.services.onboarding import STEPS, registration_for, run_onboarding
from recepcja.services.practice_setup import apply_plan, plan_from_dict
from recepcja.services.publishing import publish_all, slot_local_id
from recepcja.simulator.server import SimulatorServer
from recepcja.store.repos import Repositories

SCHEDULES = 10
CONTEXT = CallContext("2.16.840.1.113883.3.4424.2.3.1", "000000123456", "PERSONEL_REJESTRACJI",
                      "bench", "")


def practice() -> dict:
    rules = [{"weekday": day, "start": "08:00", "end": "18:00", "slot_minutes": 20}
             for day in range(5)]
    return {
        "provider": {"name": "Przychodnia (benchmark)"},
        "places": [{
            "key": "p", "name": "Poradnia kardiologiczna (benchmark)", "scopes": ["cardiology"],
            "rpwdl": {"part_i": "000000012345", "part_v": "01", "part_vii": "001"},
            "address": {"street": "ul. Długa 1", "postal_code": "00-950", "city": "Warszawa"},
        }],
        "resources": [{"key": f"d{i}", "kind": "doctor", "name": f"dr Lekarz {i}",
                       "licence_number": f"{1000000 + i}"} for i in range(SCHEDULES)],
        "schedules": [{"name": f"Kardiologia {i}", "place": "p", "resource": f"d{i}",
                       "scope": "cardiology", "rules": rules} for i in range(SCHEDULES)],
    }


def gateway(url: str) -> CerGateway:
    return CerGateway(GatewayConfig(url=url + "/cer", context=CONTEXT))


class ProcessSimulator:
    """``recepcja sim`` in its own process: as CeR is, a separate machine's work."""

    def __init__(self, data: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "recepcja", "sim", "--port", str(self.port), "--data",
             str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

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


def run_once(folder: Path, now: dt.datetime, separate: bool) -> tuple[float, float, int]:
    """(publish seconds, floor seconds, slots) of one run."""
    kind = ProcessSimulator if separate else SimulatorServer
    sim_a, sim_b = kind(folder / "sim-a"), kind(folder / "sim-b")
    url_a, url_b = sim_a.start(), sim_b.start()
    repos = Repositories.open(folder / "practice.sqlite")
    try:
        apply_plan(repos.db, plan_from_dict(practice()), "bench")
        with gateway(url_a) as gw_a, gateway(url_b) as gw_b:
            assert run_onboarding(repos, gw_a, now=now, steps=STEPS[:4]).ok
            # The floor's schedules, and its items: the slots the service will publish.
            place = repos.practice.places()[0]
            place_b, _state = gw_b.register_place(registration_for(place))
            from recepcja.services.publishing import extend_schedule, publication_window

            today = now.date()
            _deadline, until = publication_window(today, 3, 14)
            floor_items = []
            scratch = Repositories.open(folder / "scratch.sqlite")
            apply_plan(scratch.db, plan_from_dict(practice()), "bench")
            for schedule in scratch.schedules.list():
                extend_schedule(scratch, schedule, now=now, until=until)
                cer_id = gw_b.save_schedule(place_b, ScheduleRegistration(
                    f"H{schedule.id}", "cardiology", ResourceKind.DOCTOR, f"dr {schedule.id}"))
                items = [(slot_local_id(s.id or 0), SlotSpec(s.start, s.end, s.term_kind))
                         for s in scratch.slots.unpublished(schedule.id)]
                floor_items.append((cer_id, items))
            scratch.close()
            total = sum(len(items) for _cer, items in floor_items)

            began = time.perf_counter()
            for cer_id, items in floor_items:
                results = gw_b.save_slots(cer_id, items)
                assert all(r.accepted for r in results)
            floor = time.perf_counter() - began

            began = time.perf_counter()
            result = publish_all(repos, gw_a, now=now)
            publish = time.perf_counter() - began
            assert result.published == total and result.rejected == 0, (result.published, total)
    finally:
        repos.close()
        sim_a.stop()
        sim_b.stop()
    return publish, floor, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--in-process", action="store_true",
                        help="run the simulators in this process (their work then competes "
                             "with ours for the GIL)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    now = dt.datetime.now(dt.UTC)
    publishes, floors, slots = [], [], 0
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
            publish, floor, slots = run_once(Path(tmp), now, not args.in_process)
        publishes.append(publish)
        floors.append(floor)
        if not args.json:
            print(f"run {run + 1}: publish {publish:.2f} s, floor {floor:.2f} s, "
                  f"ratio {publish / floor:.2f} ({slots} slots)", flush=True)
    figures = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.system()}",
        "python": sys.version.split()[0],
        "simulator": "in process" if args.in_process else "separate process",
        "schedules": SCHEDULES, "slots": slots, "runs": args.runs,
        "publish_median_s": round(statistics.median(publishes), 3),
        "floor_median_s": round(statistics.median(floors), 3),
        "ratio": round(statistics.median(publishes) / statistics.median(floors), 3),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"median: publish {figures['publish_median_s']} s, floor "
              f"{figures['floor_median_s']} s, ratio {figures['ratio']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
