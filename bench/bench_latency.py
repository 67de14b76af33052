"""Publishing, reconciliation and onboarding at internet latency (issue 18).

    python bench/bench_latency.py [--runs N] [--delay MS] [--json]

Each run starts the CeR simulator in its own process (``recepcja sim``: CeR is another
machine's work) and, with the simulator's ``delay`` fault at 0 ms and at ``--delay`` ms per
call, each with publishing's calls one at a time (``max_in_flight`` 1: the code before issue
18) and with ``--max-in-flight`` network threads (interleaved, in the same run):

- **publish**: a practice database with one place and 10 doctors' schedules (Mon-Fri
  08:00-18:00, 20-minute slots; ``bench_publish.practice``) registered in CeR (onboarding steps
  1-4, not timed), then ``services.publishing.publish_all`` (3 months + 14 days: ~21,600 terms);
- **reconcile**: right after, ``sync.reconcile.reconcile`` over every schedule and the whole
  published horizon, as ``recepcja reconcile`` calls it;
- **onboarding**: the example practice (``resources/practice.example.toml``: two places, a
  mobile point, three schedules) set up in a fresh database, then ``run_onboarding`` through
  every step (register, mobile points, schedules, initial load, publish, activate).

The delay applies to SOAP calls only (the fault is set after the simulator is up and cleared
before the next variant). Medians of ``--runs``.
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
from collections.abc import Callable
from pathlib import Path

from bench_gateway import machine
from bench_in_flight import set_delay
from bench_publish import STEPS, ProcessSimulator, gateway, practice
from recepcja.resources import resource
from recepcja.services.onboarding import run_onboarding
from recepcja.services.practice_plan import load_plan
from recepcja.services.practice_setup import apply_plan, plan_from_dict
from recepcja.services.publishing import publish_all
from recepcja.store.repos import Repositories
from recepcja.sync.in_flight import DEFAULT_MAX_IN_FLIGHT
from recepcja.sync.reconcile import reconcile


def timed(action: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def publish_and_reconcile(folder: Path, now: dt.datetime, delay: float, most: int
                          ) -> tuple[float, float, int]:
    sim = ProcessSimulator(folder / "sim")
    url = sim.start()
    repos = Repositories.open(folder / "practice.sqlite")
    try:
        apply_plan(repos.db, plan_from_dict(practice()), "bench")
        with gateway(url) as gw:
            assert run_onboarding(repos, gw, now=now, steps=STEPS[:4]).ok
            set_delay(url, delay)
            publish_s, result = timed(lambda: publish_all(repos, gw, now=now,
                                                          max_in_flight=most))
            assert result.rejected == 0, result
            reconcile_s, report = timed(lambda: reconcile(
                repos, gw, horizon_days=3 * 31 + 14, make_gateway=lambda: gateway(url)))
            assert not report.open_items, report.open_items[:3]
            return publish_s, reconcile_s, result.published
    finally:
        repos.close()
        sim.stop()


def onboarding(folder: Path, now: dt.datetime, delay: float, most: int) -> float:
    sim = ProcessSimulator(folder / "sim")
    url = sim.start()
    repos = Repositories.open(folder / "example.sqlite")
    try:
        apply_plan(repos.db, load_plan(resource("practice.example.toml")), "bench")
        with gateway(url) as gw:
            gw.status()  # the client built before the clock starts, as in the window
            set_delay(url, delay)
            seconds, result = timed(lambda: run_onboarding(repos, gw, now=now,
                                                           max_in_flight=most))
            assert result.ok, [(s.step, s.status, s.error) for s in result.steps]
            return seconds
    finally:
        repos.close()
        sim.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=80.0, help="simulated latency, ms")
    parser.add_argument("--max-in-flight", type=int, default=DEFAULT_MAX_IN_FLIGHT,
                        help="network threads of publishing (compared with 1: the old way)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    now = dt.datetime.now(dt.UTC)
    variants = [(delay, most) for delay in (0.0, args.delay / 1000)
                for most in (1, args.max_in_flight)]
    figures: dict[str, dict[tuple[float, int], list[float]]] = {
        name: {variant: [] for variant in variants}
        for name in ("publish", "reconcile", "onboarding")}
    terms = 0
    for run in range(args.runs):
        for delay, most in variants if run % 2 == 0 else variants[::-1]:
            with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
                publish_s, reconcile_s, terms = publish_and_reconcile(Path(tmp), now, delay,
                                                                      most)
                onboarding_s = onboarding(Path(tmp), now, delay, most)
            figures["publish"][(delay, most)].append(publish_s)
            figures["reconcile"][(delay, most)].append(reconcile_s)
            figures["onboarding"][(delay, most)].append(onboarding_s)
            if not args.json:
                print(f"run {run + 1}, {delay * 1000:.0f} ms, {most} in flight: publish "
                      f"{publish_s:.2f} s ({terms} terms), reconcile {reconcile_s:.2f} s, "
                      f"onboarding {onboarding_s:.2f} s", flush=True)
    report = {"machine": machine(), "terms": terms, "runs": args.runs, "results": {
        name: {f"{delay * 1000:.0f}ms/{most}": {"median_s": round(statistics.median(times), 2),
                                                "runs_s": [round(t, 2) for t in times]}
               for (delay, most), times in by_variant.items()}
        for name, by_variant in figures.items()}}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, by_variant in report["results"].items():
            print(f"{name}: " + ", ".join(f"{key} median {value['median_s']} s"
                                          for key, value in by_variant.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
