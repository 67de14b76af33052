"""``recepcja sync --once`` as a real process against the simulator (loopback HTTP): the terms
CeR gave to portal patients during the outage are taken in the desk's schedule as soon as the
replay knows CeR's answer - ``recepcja slots`` shows them "booked", not free, before any
reconciliation or notification brings the portal visits (issue 14)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import crash_scenarios as scenarios
from crash_scenarios import Built

from recepcja.domain.model import WARSAW
from recepcja.simulator.server import SimulatorServer
from recepcja.store import Repositories


def lost_two_terms(built: Built) -> None:
    """B (term 1) and C (term 3) lost their terms to portal patients; term 2 is free in both;
    A keeps term 0."""
    built.only_these_terms_are_free()
    a, b, c = scenarios.patients(built, 3)
    built.book(a, 0)
    built.book(b, 1)
    built.book(c, 3)
    built.portal(1, 0)
    built.portal(3, 1)


def _recepcja(home: Path, sim: SimulatorServer, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "RECEPCJA_CRASH_AT"}
    env.update(RECEPCJA_HOME=str(home), RECEPCJA_CER_URL=sim.url + "/cer", RECEPCJA_LANG="pl")
    return subprocess.run([sys.executable, "-m", "recepcja", *args], check=False,
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def _states(home: Path) -> dict[int, str]:
    conn = sqlite3.connect(home / "recepcja.sqlite")
    try:
        return dict(conn.execute("SELECT id, state FROM slots").fetchall())
    finally:
        conn.close()


def test_sync_once_marks_the_terms_cer_gave_away_as_taken(tmp_path: Path):
    scenarios.build(tmp_path, lost_two_terms)
    terms = [local for local, _cer in json.loads((tmp_path / "terms.json").read_text())]
    home = tmp_path / "home"
    with SimulatorServer(tmp_path / "sim", validate_responses=True) as sim:
        synced = _recepcja(home, sim, "sync", "--once", "--json")
        assert synced.returncode == 0, synced.stderr
        report = json.loads(synced.stdout)
        assert report["moved"] == 2 and report["pending"] == 0
        states = _states(home)
        assert states[terms[1]] == "booked" and states[terms[3]] == "booked"  # CeR's
        conn = sqlite3.connect(home / "recepcja.sqlite")
        try:
            holders = dict(conn.execute(
                "SELECT slot_id, count(*) FROM visits WHERE state NOT IN ('cancelled') "
                "AND slot_id IS NOT NULL GROUP BY slot_id").fetchall())
        finally:
            conn.close()
        with Repositories.open(home / "recepcja.sqlite") as repos:
            day = repos.slots.get(terms[1]).start.astimezone(WARSAW).date().isoformat()
        assert terms[1] not in holders and terms[3] not in holders  # no visit of ours there
        shown = _recepcja(home, sim, "slots", "--date", day, "--json")
        assert shown.returncode == 0, shown.stderr
        by_id = {slot["id"]: slot["state"] for slot in json.loads(shown.stdout)}
    assert by_id[terms[1]] == "booked"
    free = [slot for slot, state in by_id.items() if state == "free"]
    assert terms[1] not in free and terms[3] not in free
