"""Crash safety (issue 6): the desk process is killed with SIGKILL at random points during
emergency booking and during the replay; after each kill nothing is lost or duplicated and the
database is intact. The full run (>= 100 kills) is ``bench/crash_emergency.py``; the suite runs
the same script with fewer kills."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "crash_emergency.py"


@pytest.mark.slow
def test_kill_9_during_booking_and_replay_loses_and_duplicates_nothing():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--kills", "10", "--seed", "7",
                           "--json"], check=False, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    report = json.loads(proc.stdout)
    assert report["ok"] and not report["problems"]
    assert report["kills"] >= 10
    assert report["kills_booking"] >= 1 and report["kills_replay"] >= 1
    assert report["outbox"] == {"done": report["visits"]}
    assert report["journaled"] <= report["visits"]
