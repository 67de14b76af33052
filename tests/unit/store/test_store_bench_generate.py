"""The bench generator still runs against the store's current API (so the harness cannot rot
unnoticed), writes what it claims, and is deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from stdnum.pl import pesel as stdnum_pesel

from recepcja.domain.model import SlotState, VisitState
from recepcja.store import Repositories
from recepcja.store.db import fetch_all

GENERATOR = Path(__file__).resolve().parents[3] / "bench" / "generate.py"


def generate(out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), str(out), "--small", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_small_bench_database(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    counts = generate(first)
    assert counts["schedules"] == 2
    assert counts["patients"] == 500
    assert counts["visits"] == 1000
    assert 3000 <= counts["slots"] <= 3600  # 2 schedules x one January of working days

    repos = Repositories.open(first)
    try:
        assert repos.slots.count() == counts["slots"]
        assert repos.patients.count() == 500
        assert repos.visits.count() == 1000
        live = repos.visits.count(VisitState.CONFIRMED) + repos.visits.count(VisitState.PENDING)
        assert repos.slots.count(state=SlotState.BOOKED) == live
        pesels = [r["pesel"] for r in fetch_all(repos.db, "SELECT pesel FROM patients")]
        assert all(stdnum_pesel.is_valid(p) for p in pesels if p is not None)
        assert sum(p is not None for p in pesels) >= 480
    finally:
        repos.close()

    generate(second)
    digest = "SELECT group_concat(pesel || last_name, ',') AS x FROM patients"
    uids = "SELECT group_concat(visit_uid || slot_id, ',') AS x FROM visits"
    a, b = Repositories.open(first), Repositories.open(second)
    try:
        for sql in (digest, uids):
            assert fetch_all(a.db, sql) == fetch_all(b.db, sql)
    finally:
        a.close()
        b.close()


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "x.sqlite"
    out.write_text("not a database")
    done = subprocess.run(
        [sys.executable, str(GENERATOR), str(out), "--small"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "exists" in done.stderr
    assert out.read_text() == "not a database"
