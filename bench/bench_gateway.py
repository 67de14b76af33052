"""CeR gateway benchmarks (issue 3): the floors later work is compared with.

    python bench/bench_gateway.py [--bookings N] [--batches N] [--json]

Starts the CeR simulator on loopback (HTTP, its own temporary folder), onboards a place through
the gateway, then measures:

- one booking (``zarezerwujTermin``) through ``CerGateway.book``: envelope built by zeep,
  checked against the XSD, posted, answer parsed and mapped to a ``CerVisit`` — each call on a
  different free slot, each timed alone;
- one ``zapiszSloty`` batch of 1,000 slots through ``CerGateway.save_slots`` (one HTTP call;
  each batch a fresh schedule, so nothing is idempotently short-circuited);
- for scale, the bare liveness probe (``sprawdzStatus``): the same path with an empty body.

Method: a few warm-up calls first; every call timed with ``time.perf_counter``; we report the
MEDIAN and p90, never the mean (one scheduler hiccup must not move the figure). The simulator
runs in the same process (its own threads), as the integration tests run it; its time is part
of every figure, which is what "bare round trip on loopback" means. Gateway settings are the
production defaults (requests validated against the XSD, answers not).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import (
    Address,
    CallContext,
    GatewayConfig,
    PlaceRegistration,
    ScheduleRegistration,
)
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, ResourceKind, Urgency
from recepcja.simulator.server import SimulatorServer

WARMUP = 5
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
PESELS = ("44051401359", "02070803628", "90090515836", "85121712342")


def slots(first: dt.date, count: int, prefix: str, minutes: int = 15) -> list[tuple[str, SlotSpec]]:
    """``count`` consecutive slots, 32 a day from 08:00 Warsaw time."""
    per_day = 32
    items = []
    for index in range(count):
        day = first + dt.timedelta(days=index // per_day)
        start = dt.datetime.combine(day, dt.time(8, 0), WARSAW) + dt.timedelta(
            minutes=minutes * (index % per_day)
        )
        items.append((f"{prefix}-{index}", SlotSpec(start, start + dt.timedelta(minutes=minutes))))
    return items


def timed(calls: list[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def summary(name: str, times: list[float], unit_scale: float = 1000.0) -> dict[str, object]:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {
        "name": name,
        "runs": len(times),
        "median_ms": round(statistics.median(times) * unit_scale, 2),
        "p90_ms": round(p90 * unit_scale, 2),
    }


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        fields = dict(
            line.split("=", 1)
            for line in Path("/etc/os-release").read_text().splitlines()
            if "=" in line
        )
        os_name = fields.get("PRETTY_NAME", os_name).strip('"')
    except OSError:
        pass
    import zeep

    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": str(__import__("os").cpu_count()),
        "os": os_name,
        "python": platform.python_version(),
        "zeep": zeep.__version__,
    }


def run(bookings: int, batches: int) -> dict[str, object]:
    logging.disable(logging.WARNING)  # the simulator logs each fault-free call at INFO/DEBUG
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        with SimulatorServer(Path(folder) / "sim") as server:
            config = GatewayConfig(url=server.url + "/cer", context=CONTEXT)
            with CerGateway(config) as gateway:
                return _measure(gateway, bookings, batches)


def _measure(gateway: CerGateway, bookings: int, batches: int) -> dict[str, object]:
    tomorrow = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
    place_id, _ = gateway.register_place(PLACE)
    schedule = gateway.save_schedule(
        place_id, ScheduleRegistration("bench-main", "kardiologia", ResourceKind.DOCTOR, "dr Bench")
    )
    gateway.initial_load(place_id, [])
    # Enough free slots for every booking, reaching past the 3-month activation horizon.
    published = gateway.save_slots(
        schedule, slots(tomorrow, max(bookings + WARMUP, 32 * 100), "main")
    )
    gateway.activate_place(place_id)
    free = [item.cer_id for item in published if item.accepted]

    probes = [gateway.status for _ in range(bookings + WARMUP)]
    status_times = timed(probes)[WARMUP:]

    def booking(index: int) -> Callable[[], object]:
        patient = Patient(
            PatientIdentifier(pesel=PESELS[index % len(PESELS)]),
            "Jan",
            "Kowalski",
            phone="+48600100200",
        )
        return lambda: gateway.book(free[index], f"bench-visit-{index}", patient, Urgency.STABLE)

    booking_times = timed([booking(i) for i in range(bookings + WARMUP)])[WARMUP:]

    far = tomorrow + dt.timedelta(days=200)

    def batch(index: int) -> Callable[[], object]:
        schedule_id = gateway.save_schedule(
            place_id,
            ScheduleRegistration(
                f"bench-batch-{index}", "kardiologia", ResourceKind.DEVICE, f"Aparat {index}"
            ),
        )
        items = slots(far, 1000, f"b{index}")

        def call() -> object:
            results = gateway.save_slots(schedule_id, items)
            assert len(results) == 1000 and all(r.accepted for r in results)
            return results

        return call

    batch_calls = [batch(i) for i in range(batches + 1)]
    batch_times = timed(batch_calls)[1:]  # one warm-up batch
    return {
        "machine": machine(),
        "results": [
            summary("sprawdzStatus (liveness probe), one call", status_times),
            summary("zarezerwujTermin (book), one call", booking_times),
            summary("zapiszSloty, one batch of 1,000 slots", batch_times),
        ],
    }


def markdown(report: dict[str, object]) -> str:
    m = report["machine"]
    lines = [
        f"Machine: `{m['host']}` — {m['cpu']}, {m['cores']} cores, {m['os']}, "
        f"Python {m['python']}, zeep {m['zeep']}. Simulator on loopback HTTP, same process.",
        "",
        "| what | runs | median | p90 |",
        "|---|---:|---:|---:|",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['name']} | {row['runs']} | {row['median_ms']} ms | {row['p90_ms']} ms |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bookings", type=int, default=200, help="booking calls to time (default 200)"
    )
    parser.add_argument(
        "--batches", type=int, default=7, help="1,000-slot batches to time (default 7)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(args.bookings, args.batches)
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
