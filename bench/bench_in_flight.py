"""Replay at internet latency: several CeR calls in flight (issue 18).

    python bench/bench_in_flight.py [--entries N] [--runs N] [--slow-runs N] [--max-in-flight N]
                                    [--delay MS] [--json]

Starts the CeR simulator on loopback HTTP (same process, temporary folder), onboards one place
with one schedule, mirrors it in a local store (SQLite file, WAL, synchronous=FULL), then per run
queues N emergency bookings (not timed) and times ONE ``Replayer.run()`` that sends them all.
Four variants, interleaved run by run: the simulator's ``delay`` fault at 0 ms and at ``--delay``
ms per call, each with one call at a time (``max_in_flight`` 1: the old replay) and with
``--max-in-flight`` calls. The one-at-a-time run at the delay takes N x delay at least, so it
runs ``--slow-runs`` times (default 2); the others ``--runs`` times. Medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench_gateway import CONTEXT, PLACE, machine, slots
from bench_publish import ProcessSimulator
from bench_replay import local_practice, queue
from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import GatewayConfig, ResourceKind, ScheduleRegistration
from recepcja.domain.model import WARSAW
from recepcja.simulator.server import SimulatorServer
from recepcja.store import Repositories
from recepcja.sync.in_flight import DEFAULT_MAX_IN_FLIGHT, InFlightLimit
from recepcja.sync.replay import Replayer


def set_delay(url: str, seconds: float) -> None:
    requests.delete(f"{url}/_control/faults", timeout=30)
    if seconds > 0:
        answer = requests.post(f"{url}/_control/faults", timeout=30,
                               json={"operation": "*", "kind": "delay", "seconds": seconds})
        answer.raise_for_status()


def measure(entries: int, runs: int, slow_runs: int, most: int, delay: float,
            separate: bool = True) -> dict[str, object]:
    logging.disable(logging.WARNING)
    variants = [(0.0, 1), (0.0, most), (delay, most), (delay, 1)]
    times: dict[tuple[float, int], list[float]] = {variant: [] for variant in variants}
    peaks: dict[tuple[float, int], list[int]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(prefix="bench-in-flight-") as folder:
        server = (ProcessSimulator(Path(folder) / "sim") if separate
                  else SimulatorServer(Path(folder) / "sim", threads=max(32, most * 2)))
        url = server.start()
        try:
            config = GatewayConfig(url=url + "/cer", context=CONTEXT)
            with CerGateway(config) as gateway:
                tomorrow = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
                place, _ = gateway.register_place(PLACE)
                need = max(32 * 100, entries * (runs * 3 + slow_runs) + 10)
                schedule = gateway.save_schedule(place, ScheduleRegistration(
                    "bench-B", "kardiologia", ResourceKind.DOCTOR, "dr B"))
                items = slots(tomorrow, need, "B")
                results = gateway.save_slots(schedule, items)
                published = [(r.cer_id, spec) for r, (_, spec) in zip(results, items, strict=True)]
                gateway.initial_load(place, [])
                gateway.activate_place(place)
                repos = Repositories.open(Path(folder) / "desk" / "recepcja.sqlite")
                slot_ids = local_practice(repos, place, schedule, published)
                used = 0
                for run in range(max(runs, slow_runs)):
                    for variant in variants:
                        wanted = slow_runs if variant == (delay, 1) else runs
                        if run >= wanted:
                            continue
                        queue(repos, slot_ids[used:], entries, used)
                        used += entries
                        set_delay(url, variant[0])
                        limit = InFlightLimit(variant[1])
                        replayer = Replayer(repos, gateway, in_flight=limit)
                        began = time.perf_counter()
                        report = replayer.run()
                        times[variant].append(time.perf_counter() - began)
                        set_delay(url, 0.0)
                        assert report.done == entries and report.stopped_by is None, report
                        assert repos.outbox.count_pending() == 0
                        peaks[variant].append(limit.limit)
                repos.close()
        finally:
            server.stop()
    rows = []
    for (seconds, in_flight), measured in times.items():
        if not measured:
            continue
        rows.append({
            "delay_ms": round(seconds * 1000), "max_in_flight": in_flight,
            "median_s": round(statistics.median(measured), 2),
            "runs_s": [round(t, 2) for t in measured],
            "limit_at_end": peaks[(seconds, in_flight)],
        })
    return {"entries": entries, "variants": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000, help="bookings per run")
    parser.add_argument("--runs", type=int, default=3, help="runs of the quick variants")
    parser.add_argument("--slow-runs", type=int, default=2,
                        help="runs of one call at a time at the delay")
    parser.add_argument("--max-in-flight", type=int, default=DEFAULT_MAX_IN_FLIGHT,
                        help="calls in flight of the concurrent variants")
    parser.add_argument("--delay", type=float, default=80.0, help="simulated latency, ms")
    parser.add_argument("--in-process", action="store_true",
                        help="the simulator in this process (its work competes for the GIL)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = {"machine": machine(),
              "replay": measure(args.entries, args.runs, args.slow_runs, args.max_in_flight,
                                args.delay / 1000, not args.in_process),
              "simulator": "in process" if args.in_process else "separate process"}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"replay of {args.entries} queued bookings")
        print("| latency | max_in_flight | median | runs | limit at end |")
        print("|---:|---:|---:|---|---|")
        for row in report["replay"]["variants"]:
            print(f"| {row['delay_ms']} ms | {row['max_in_flight']} | {row['median_s']} s | "
                  f"{row['runs_s']} | {row['limit_at_end']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
