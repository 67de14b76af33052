"""The practice's CeR client lost by a pulled cable (issue 15): how long until the next desk holds
the practice's lock, beside a kill -9 failover measured in the same run.

    .venv/bin/python bench/bench_pulled_cable.py [--runs 5] [--json]

Starts its own durable PostgreSQL cluster (``tools/pg_cluster.py --durable``) on 127.0.0.1.
The owner (``sync.practice_owner.PracticeOwnership``, in this process) reaches it through a
loopback TCP proxy (``tests/tcp_proxy.py``); the "cable" is pulled by making the proxy forward
nothing while every socket stays open - no FIN, no RST, as behind a switch or VPN that swallows
the packets. For each run:

- **owner stops**: from the pull to the owner no longer holding its lease (``held`` false, its
  keeper has cut the lock connection: no CeR write can start);
- **lock free**: from the pull to the server having ended the silent lock session (polled every
  50 ms in ``pg_locks``);
- **next desk holds it**: from the pull to the successor holding the lock, trying at the sync
  engine's cadence (``ensure()`` every ``idle_interval`` = 2 s, from a random phase) - the
  failover figure;
- the baseline: a kill -9 of an owner process to the successor holding the lock
  (``bench_desks.failover``), same cadence, same run.

Every run also checks the order the fencing rests on: the old owner stops before the lock is
free.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bench_desks import ENGINE_IDLE_INTERVAL, failover
from bench_store import environment
from recepcja.store.db import open_database
from recepcja.store.sender_lock import lock_owner
from recepcja.sync.practice_owner import LEASE_S, SERVER_SILENCE_S, PracticeOwnership

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import pg_cluster

from tcp_proxy import TcpProxy


def pulled_cable(url: str, runs: int) -> list[dict[str, float]]:
    params = conninfo_to_dict(url)
    rng = random.Random(5)
    results = []
    watch = open_database(url)
    try:
        for _ in range(runs):
            proxy = TcpProxy(str(params["host"]), int(params["port"]))
            through = proxy.url(url)
            owner = PracticeOwnership(lambda through=through: open_database(through))
            successor = PracticeOwnership(lambda: open_database(url))
            try:
                assert owner.ensure() and not successor.ensure()
                time.sleep(rng.uniform(0, 1.0))  # anywhere in the owner's heartbeat
                next_try = time.monotonic() + rng.uniform(0, ENGINE_IDLE_INTERVAL)
                pulled = time.monotonic()
                proxy.hold()
                stopped = free = taken = None
                while taken is None:
                    now = time.monotonic()
                    if stopped is None and not owner.held:
                        stopped = now - pulled
                    if free is None and lock_owner(watch) is None:
                        free = now - pulled
                    if now >= next_try:
                        next_try = now + ENGINE_IDLE_INTERVAL
                        if successor.ensure():
                            taken = time.monotonic() - pulled
                            free = taken if free is None else free
                    time.sleep(0.05)
                stopped = taken if stopped is None else stopped
                results.append({"owner_stops": stopped, "lock_free": free, "taken": taken,
                                "stopped_first": float(stopped < free)})
            finally:
                proxy.close()
                owner.release()
                successor.release()
    finally:
        watch.close()
    return results


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def _practice(cluster: pg_cluster.Cluster) -> str:
    """The migrated practice database of the bench's own cluster."""
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE practice")
    open_database(cluster.url("practice")).close()
    return cluster.url("practice")


def run(runs: int) -> dict[str, object]:
    cluster = pg_cluster.start(durable=True)
    try:
        url = _practice(cluster)
        cable, killed = pulled_cable(url, runs), failover(url, runs)
    finally:
        pg_cluster.stop(cluster.folder)
    column = {key: [row[key] for row in cable] for key in cable[0]}
    return {
        "environment": {**environment(), "psycopg": psycopg.__version__,
                        "load": os.getloadavg()},
        "settings": {"lease_s": LEASE_S, "server_silence_s": SERVER_SILENCE_S,
                     "engine_idle_interval_s": ENGINE_IDLE_INTERVAL},
        "runs": runs,
        "pulled_cable_s": {key: {"median": _median(values), "max": round(max(values), 2)}
                           for key, values in column.items() if key != "stopped_first"},
        "owner_stopped_before_lock_free": f"{int(sum(column['stopped_first']))}/{runs}",
        "kill9_s": {"median": _median(killed), "max": round(max(killed), 2)},
        "raw": cable,
    }


def markdown(report: dict[str, object]) -> str:
    cable = report["pulled_cable_s"]
    killed = report["kill9_s"]
    lines = ["| benchmark | median | max | target |", "|---|---:|---:|---:|"]
    for key, name in (("owner_stops", "pulled cable: the owner stops acting as owner"),
                      ("lock_free", "pulled cable: the server frees the lock"),
                      ("taken", "pulled cable: the next desk holds the lock")):
        row = cable[key]  # type: ignore[index]
        target = "≤ 10 s" if key == "taken" else "—"
        lines.append(f"| {name} | {row['median']} s | {row['max']} s | {target} |")
    lines.append(f"| kill -9: the next desk holds the lock | {killed['median']} s | "  # type: ignore[index]
                 f"{killed['max']} s | ≤ 10 s |")  # type: ignore[index]
    lines.append(f"\nowner stopped before the lock was free: "
                 f"{report['owner_stopped_before_lock_free']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="pulls (and kill -9 failovers)")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args(argv)
    report = run(options.runs)
    print(json.dumps(report, indent=2) if options.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
