"""Emergency replay and queue export benchmarks (issue 6).

    python bench/bench_replay.py [--entries N] [--export N] [--rounds N] [--json]

Starts the CeR simulator on loopback HTTP (same process, temporary folder), onboards one place
with two schedules through the gateway, then, in the same run:

- **bare**: N ``CerGateway.book`` calls on free slots of schedule A, back to back;
- **replay**: a local store (SQLite file, WAL, synchronous=FULL: the production settings)
  mirroring schedule B, N emergency bookings queued in it (not timed), then ONE
  ``Replayer.run()`` that sends them all: claim the row (a committed transaction BEFORE the call,
  so a crash is detected), book, write the CeR id back and finish the row (one transaction);
- the ratio replay / bare (target ≤ 1.3);
- **export**: ``export_queue`` of an emergency queue of M entries (target ≤ 1.5 s for 10,000).

Rounds alternate bare and replay on fresh slots; the figure is the median round.
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

from bench_gateway import CONTEXT, PLACE, machine, slots
from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import GatewayConfig, ScheduleRegistration
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, ResourceKind, Urgency
from recepcja.domain.pesel import make_pesel
from recepcja.services import booking
from recepcja.services.emergency import export_queue
from recepcja.simulator.server import SimulatorServer
from recepcja.store import Repositories
from recepcja.store.db import atomic
from recepcja.store.records import Place, Provider, Resource, Schedule
from recepcja.sync.replay import Replayer


def pesels(count: int) -> list[str]:
    born = dt.date(1950, 1, 1)
    return [make_pesel(born + dt.timedelta(days=i), 1000 + i % 9000) for i in range(count)]


def local_practice(repos: Repositories, place_cer_id: str, schedule_cer_id: str,
                   published: list[tuple[str, SlotSpec]]) -> list[int]:
    """Mirror one CeR schedule locally; returns the local slot ids in time order."""
    repos.practice.save_provider(Provider("Bench"))
    place_id = repos.practice.add_place(Place("Poradnia", cer_id=place_cer_id,
                                              scopes=["kardiologia"]))
    resource_id = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Bench"))
    schedule_id = repos.schedules.add(Schedule(resource_id, place_id, "kardiologia", "B",
                                               cer_id=schedule_cer_id))
    repos.slots.add_many(schedule_id, [spec for _, spec in published])
    local = repos.slots.free_from(schedule_id, published[0][1].start, len(published))
    by_start = {slot.start: slot.id for slot in local}
    repos.slots.mark_published([(by_start[spec.start], cer_id) for cer_id, spec in published])
    return [slot.id for slot in local]


def queue(repos: Repositories, slot_ids: list[int], count: int, offset: int) -> None:
    ids = pesels(offset + count)[offset:]
    with atomic(repos.db):
        for index in range(count):
            patient = Patient(PatientIdentifier(pesel=ids[index]), "Jan", "Kowalski",
                              phone="+48600100200")
            repos.patients.add(patient, "bench")
            booking.book(repos, patient.id, slot_ids[index], Urgency.STABLE, user="bench",
                         emergency=True)


def measure_replay(entries: int, rounds: int) -> dict[str, object]:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as folder:
        with SimulatorServer(Path(folder) / "sim") as server:
            config = GatewayConfig(url=server.url + "/cer", context=CONTEXT)
            with CerGateway(config) as gateway:
                tomorrow = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
                place, _ = gateway.register_place(PLACE)
                need = max(32 * 100, (entries + 5) * rounds)
                cer_slots = {}
                for name in ("A", "B"):
                    schedule = gateway.save_schedule(place, ScheduleRegistration(
                        f"bench-{name}", "kardiologia", ResourceKind.DOCTOR, f"dr {name}"))
                    items = slots(tomorrow, need, name)
                    results = gateway.save_slots(schedule, items)
                    cer_slots[name] = (schedule, [(r.cer_id, spec) for r, (_, spec)
                                                  in zip(results, items, strict=True)])
                gateway.initial_load(place, [])
                gateway.activate_place(place)
                patient = Patient(PatientIdentifier(pesel="44051401359"), "Jan", "Kowalski",
                                  phone="+48600100200")
                free_a = [cer_id for cer_id, _ in cer_slots["A"][1]]
                for index in range(5):  # warm-up: connection, zeep client
                    gateway.book(free_a[index], f"warm-{index}", patient, Urgency.STABLE)
                repos = Repositories.open(Path(folder) / "desk" / "recepcja.sqlite")
                slot_ids = local_practice(repos, place, cer_slots["B"][0], cer_slots["B"][1])
                bare_times, replay_times = [], []
                # The same patients as the replay sends (new PESELs cost CeR a little more).
                people = [Patient(PatientIdentifier(pesel=pesel), "Jan", "Kowalski",
                                  phone="+48600100200")
                          for pesel in pesels(entries * rounds + 10)]
                for round_ in range(rounds):
                    start = 5 + round_ * entries
                    began = time.perf_counter()
                    for index in range(start, start + entries):
                        gateway.book(free_a[index], f"bare-{index}", people[index - 5],
                                     Urgency.STABLE)
                    bare_times.append(time.perf_counter() - began)
                    queue(repos, slot_ids[round_ * entries:], entries, round_ * entries)
                    began = time.perf_counter()
                    report = Replayer(repos, gateway).run()
                    replay_times.append(time.perf_counter() - began)
                    assert report.done == entries and report.stopped_by is None, report
                    assert repos.outbox.count_pending() == 0
                repos.close()
    bare, replay = statistics.median(bare_times), statistics.median(replay_times)
    return {
        "entries": entries, "rounds": rounds,
        "bare_s": round(bare, 3), "replay_s": round(replay, 3),
        "ratio": round(replay / bare, 3),
        "bare_rounds_s": [round(t, 3) for t in bare_times],
        "replay_rounds_s": [round(t, 3) for t in replay_times],
    }


def measure_export(count: int, runs: int = 3) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        repos = Repositories.open(Path(folder) / "recepcja.sqlite")
        first = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
        specs = [spec for _, spec in slots(first, count, "E")]
        repos.practice.save_provider(Provider("Bench"))
        place_id = repos.practice.add_place(Place("Poradnia", cer_id="MUS-1"))
        resource_id = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Bench"))
        schedule_id = repos.schedules.add(Schedule(resource_id, place_id, "kardiologia", "E"))
        repos.slots.add_many(schedule_id, specs)
        slot_ids = [s.id for s in repos.slots.free_from(schedule_id, specs[0].start, count)]
        queue(repos, slot_ids, count, 0)
        times = []
        for run in range(runs):
            began = time.perf_counter()
            written = export_queue(repos, Path(folder) / f"queue-{run}.xlsx")
            times.append(time.perf_counter() - began)
            assert written == count
        size = (Path(folder) / "queue-0.xlsx").stat().st_size
        repos.close()
    return {"entries": count, "runs": runs, "median_s": round(statistics.median(times), 3),
            "best_s": round(min(times), 3), "file_kb": size // 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000, help="entries to replay")
    parser.add_argument("--rounds", type=int, default=3, help="bare/replay rounds")
    parser.add_argument("--export", type=int, default=10000, help="entries to export")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = {
        "machine": machine(),
        "replay": measure_replay(args.entries, args.rounds),
        "export": measure_export(args.export),
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        r, e = report["replay"], report["export"]
        print(f"replay of {r['entries']}: {r['replay_s']} s, bare gateway: {r['bare_s']} s, "
              f"ratio {r['ratio']} (rounds: replay {r['replay_rounds_s']}, "
              f"bare {r['bare_rounds_s']})")
        print(f"export of {e['entries']}: median {e['median_s']} s (best {e['best_s']} s, "
              f"{e['file_kb']} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
