"""Crash safety (issues 6 and 12): the desk and the sync side are killed with SIGKILL again and
again while they book, cancel, reschedule, replay, apply notifications and reconcile; after
each kill nothing is lost or duplicated and both databases are intact, and at the end nothing
is stuck and the store and CeR agree. The statistical run (>= 500 kills, random moments) is
``bench/crash_emergency.py`` (figures in docs/BENCHMARKS.md); the suite runs the deterministic
style: every kill is at a named crash point, so no timing decides where a process dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "crash_emergency.py"
WORKER = SCRIPT.with_name("crash_worker.py")


def _bench(*args: str, timeout: float) -> tuple[int, dict]:
    proc = subprocess.Popen([sys.executable, str(SCRIPT), *args, "--json"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert out.strip(), err[-3000:]
    return proc.returncode, json.loads(out)


def _workers_left(folder: str) -> list[str]:
    """Workers of the run that worked in ``folder`` still running."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(WORKER) in text and folder in text:
            found.append(text)
    return found


@pytest.mark.slow
def test_kills_at_crash_points_lose_duplicate_and_strand_nothing():
    code, report = _bench("--kills", "8", "--seed", "7", "--style", "points",
                          "--deadline", "240", timeout=300)
    assert code == 0 and report["ok"], report["problems"]
    assert report["kills"] >= 8 and len(report["kills_by_point"]) >= 3
    assert (report["lost"], report["duplicated"], report["stuck"], report["integrity"],
            report["drift"]) == (0, 0, 0, 0, 0)
    assert set(report["outbox"]) <= {"done", "rejected"}
    assert report["journaled"]["book"] and report["journaled"]["cancel"]
    assert report["journaled"]["reschedule"] and report["world"]["portal_bookings"]
    assert not _workers_left(report["folder"])


@pytest.mark.slow
def test_the_bench_reports_and_leaves_no_worker_when_its_deadline_passes():
    code, report = _bench("--kills", "500", "--seed", "1", "--style", "points",
                          "--deadline", "4", timeout=120)
    assert code == 1 and not report["ok"]
    assert report["deadline"] == 1 and any("deadline" in p for p in report["problems"])
    assert not _workers_left(report["folder"])
