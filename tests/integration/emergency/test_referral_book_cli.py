"""``recepcja book --referral`` as a real process against the simulator (CeR and P1's e-referral
service over loopback HTTP): a referral P1 says is unusable is refused in one Polish line, exit
1, nothing stored; a usable one is booked and taken into realisation at once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import crash_scenarios as scenarios
import requests
from emergency_support import pesels

from recepcja.simulator.server import SimulatorServer


def _book(root: Path, sim: SimulatorServer, term: int,
          key: str | None) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != "RECEPCJA_CRASH_AT"}
    env.update(RECEPCJA_HOME=str(root / "home"), RECEPCJA_CER_URL=sim.url + "/cer",
               RECEPCJA_REFERRAL_URL=sim.url + "/p1/skierowania", RECEPCJA_LANG="pl")
    referral = ["--referral", key] if key is not None else []
    return subprocess.run(
        [sys.executable, "-m", "recepcja", "book", "--patient", pesels(1, start=100)[0],
         "--slot", str(term), "--urgency", "stable", *referral, "--json"],
        check=False, capture_output=True, text=True, env=env, timeout=120,
        stdin=subprocess.DEVNULL)


def _visits(root: Path) -> int:
    conn = sqlite3.connect(root / "home" / "recepcja.sqlite")
    try:
        return int(conn.execute("SELECT count(*) FROM visits").fetchone()[0])
    finally:
        conn.close()


def test_book_with_a_referral_refused_by_p1_and_then_one_that_is_taken(tmp_path: Path):
    scenarios.build(tmp_path, scenarios.referral_desk)
    key = json.loads((tmp_path / "extra.json").read_text())["referral"]
    terms = json.loads((tmp_path / "terms.json").read_text())
    with SimulatorServer(tmp_path / "sim", validate_responses=True) as sim:
        cancelled = requests.post(f"{sim.url}/_control/referrals", timeout=15,
                                  json={"pesel": pesels(1, start=100)[0]}).json()["key"]
        requests.post(f"{sim.url}/_control/referral-change", timeout=15,
                      json={"key": cancelled, "status": "ANULOWANE"}).raise_for_status()
        refused = _book(tmp_path, sim, terms[0][0], cancelled)
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr.strip().splitlines() == [
            "recepcja: To e-skierowanie zostało anulowane przez lekarza, który je wystawił."]
        assert _visits(tmp_path) == 0  # nothing stored
        booked = _book(tmp_path, sim, terms[0][0], key)
        assert booked.returncode == 0, booked.stderr
        assert json.loads(booked.stdout)["state"] == "confirmed"
        state = requests.get(f"{sim.url}/_control/state?sections=referrals",
                             timeout=15).json()["referrals"]
    assert _visits(tmp_path) == 1
    status = {referral["key"]: referral["status"] for referral in state}
    assert status == {key: "U_REALIZATORA", cancelled: "ANULOWANE"}


def test_book_of_a_first_visit_without_a_referral_is_one_line_and_stores_nothing(
        tmp_path: Path):
    """The booking service's own first-visit rule, as the CLI shows it; a paper referral's
    number books, and CeR (the simulator, which refuses a first visit without one) takes it."""
    scenarios.build(tmp_path, scenarios.referral_desk, scope="cardiology")
    terms = json.loads((tmp_path / "terms.json").read_text())
    with SimulatorServer(tmp_path / "sim", validate_responses=True) as sim:
        refused = _book(tmp_path, sim, terms[0][0], None)
        assert refused.returncode == 1 and refused.stdout == ""
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith("recepcja: Termin ") and line.endswith(
            " to pierwsza wizyta (kardiologia) i wymaga skierowania: podaj klucz lub kod "
            "dostępu e-skierowania albo numer skierowania papierowego, albo wybierz termin na "
            "kontynuację leczenia."), line
        assert _visits(tmp_path) == 0
        booked = _book(tmp_path, sim, terms[0][0], "SK-12.2026")
        assert booked.returncode == 0, booked.stderr
        assert json.loads(booked.stdout)["state"] == "confirmed", booked.stdout
    assert _visits(tmp_path) == 1
