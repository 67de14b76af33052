"""Publishing benchmark (issue 4): 3 months of 10 schedules (~20k slots) vs the gateway floor.

    python bench/bench_publish.py [--runs N] [--warmup N] [--in-process] [--json]

Each run starts two fresh CeR simulators (loopback HTTP; by default each ``recepcja sim`` in its
own process, as CeR is another machine's work):

- **publish**: a practice database with one place and 10 doctors' schedules (Mon-Fri
  08:00-18:00, 20-minute slots) registered in CeR (onboarding steps 1-4, not timed), then
  ``services.publishing.publish_all`` timed: generating the slots from the templates to 3 months
  + 14 days, storing them, sending them with ``zapiszSloty`` in batches of 1,000 and recording
  every answer (CeR id, published stamp) in SQLite;
- **floor**: the same slots (same local ids and times) sent straight through
  ``CerGateway.save_slots`` to the other simulator, in the same batches, nothing generated and
  nothing stored.

The ratio publish / floor is what the service adds on top of the bare gateway. Within a run the
two alternate which goes first (odd runs floor first, even runs publish first), so drift of a
shared machine hits both; warm-up runs are measured and discarded. We report the medians, the
ratio of the medians, and every run's own ratio.

Beside wall time, CPU seconds of each side: this process's (``time.process_time``, all its
threads) and the simulator process's (``/proc/PID/stat``, Linux). They hardly move with the
load other programs put on the machine, and their ratio is roughly the wall ratio publishing
would reach if none of its own work could overlap the network wait (a fully busy machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import requests

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import CallContext, GatewayConfig, ScheduleRegistration
from recepcja.domain.entities import SlotSpec
from recepcja.domain.model import ResourceKind
from recepcja.services.onboarding import STEPS, registration_for, run_onboarding
from recepcja.services.practice_setup import apply_plan, plan_from_dict
from recepcja.services.publishing import publish_all, slot_local_id
from recepcja.simulator.server import SimulatorServer
from recepcja.store.repos import Repositories

SCHEDULES = 10
CONTEXT = CallContext("2.16.840.1.113883.3.4424.2.3.1", "000000123456", "PRACOWNIK_ADMINISTRACYJNY",
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


class Measure(NamedTuple):
    wall: float
    client_cpu: float  # this process, all threads
    sim_cpu: float | None  # the simulator's process (None: in this process, or not Linux)


def measured(action: Callable[[], None], simulator: object) -> Measure:
    sim_cpu = getattr(simulator, "cpu_seconds", lambda: None)
    sim_began, cpu_began, began = sim_cpu(), time.process_time(), time.perf_counter()
    action()
    wall, cpu, sim_ended = time.perf_counter() - began, time.process_time() - cpu_began, sim_cpu()
    sim = None if sim_began is None or sim_ended is None else sim_ended - sim_began
    return Measure(wall, cpu, sim)


def _sim(measure: Measure) -> str:
    return "" if measure.sim_cpu is None else f" + sim {measure.sim_cpu:.2f}"


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

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the simulator's process so far (Linux), else None."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def run_once(
    folder: Path, now: dt.datetime, separate: bool, publish_first: bool
) -> tuple[Measure, Measure, int]:
    """(publish, floor, slots) of one run."""
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

            def send_floor() -> None:
                for cer_id, items in floor_items:
                    results = gw_b.save_slots(cer_id, items)
                    assert all(r.accepted for r in results)

            def send_publish() -> None:
                result = publish_all(repos, gw_a, now=now)
                assert result.published == total and result.rejected == 0, (
                    result.published, total)

            if publish_first:
                publish = measured(send_publish, sim_a)
                floor = measured(send_floor, sim_b)
            else:
                floor = measured(send_floor, sim_b)
                publish = measured(send_publish, sim_a)
    finally:
        repos.close()
        sim_a.stop()
        sim_b.stop()
    return publish, floor, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1,
                        help="runs measured first and discarded (default 1)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--in-process", action="store_true",
                        help="run the simulators in this process (their work then competes "
                             "with ours for the GIL)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    now = dt.datetime.now(dt.UTC)
    publishes: list[Measure] = []
    floors: list[Measure] = []
    slots = 0
    for run in range(args.warmup + args.runs):
        warmup = run < args.warmup
        publish_first = (run - args.warmup) % 2 == 1
        with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
            publish, floor, slots = run_once(Path(tmp), now, not args.in_process,
                                             publish_first)
        if not args.json:
            label = "warm-up" if warmup else f"run {run - args.warmup + 1}"
            first = "publish first" if publish_first else "floor first"
            print(f"{label}: publish {publish.wall:.2f} s, floor {floor.wall:.2f} s, "
                  f"ratio {publish.wall / floor.wall:.2f} ({slots} slots, {first}); CPU s "
                  f"publish {publish.client_cpu:.2f}{_sim(publish)}, "
                  f"floor {floor.client_cpu:.2f}{_sim(floor)}", flush=True)
        if not warmup:
            publishes.append(publish)
            floors.append(floor)

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    ratios = [p.wall / f.wall for p, f in zip(publishes, floors, strict=True)]
    publish_cpu = median([p.client_cpu for p in publishes])
    floor_cpu = median([f.client_cpu for f in floors])
    figures: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.system()}",
        "python": sys.version.split()[0],
        "simulator": "in process" if args.in_process else "separate process",
        "schedules": SCHEDULES, "slots": slots, "runs": args.runs, "warmup": args.warmup,
        "publish_median_s": median([p.wall for p in publishes]),
        "floor_median_s": median([f.wall for f in floors]),
        "ratio": round(median([p.wall for p in publishes]) / median([f.wall for f in floors]), 3),
        "median_run_ratio": median(ratios),
        "run_ratios": [round(r, 2) for r in ratios],
        "publish_s": [round(p.wall, 3) for p in publishes],
        "floor_s": [round(f.wall, 3) for f in floors],
        "publish_client_cpu_median_s": publish_cpu,
        "floor_client_cpu_median_s": floor_cpu,
    }
    if all(m.sim_cpu is not None for m in (*publishes, *floors)):
        publish_sim = median([p.sim_cpu or 0.0 for p in publishes])
        floor_sim = median([f.sim_cpu or 0.0 for f in floors])
        figures["publish_sim_cpu_median_s"] = publish_sim
        figures["floor_sim_cpu_median_s"] = floor_sim
        figures["cpu_ratio"] = round((publish_cpu + publish_sim) / (floor_cpu + floor_sim), 3)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"median: publish {figures['publish_median_s']} s, floor "
              f"{figures['floor_median_s']} s, ratio of medians {figures['ratio']}, "
              f"median of run ratios {figures['median_run_ratio']}; CPU s (median) publish "
              f"{publish_cpu} + sim {figures.get('publish_sim_cpu_median_s', 'n/a')}, floor "
              f"{floor_cpu} + sim {figures.get('floor_sim_cpu_median_s', 'n/a')}, CPU ratio "
              f"{figures.get('cpu_ratio', 'n/a')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
