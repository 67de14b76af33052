"""`recepcja absence` end to end: a doctor falls ill; her visit is moved (a provider-side change
CeR records), her free terms that day leave CeR, and the desk gets the list of patients to call."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import requests

from recepcja.simulator.server import SimulatorServer

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"


@pytest.fixture
def sim(tmp_path: Path):
    server = SimulatorServer(tmp_path / "sim")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def _next_monday() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday() + 7)  # 8-14 days ahead


def test_absence_moves_visits_withdraws_terms_and_lists_patients(cli, sim):
    cli.extra_env["RECEPCJA_CER_URL"] = sim + "/cer"
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    assert cli("onboard").code == 0
    assert cli("patients", "add", "--pesel", "44051401359", "--first-name", "Jan",
               "--last-name", "Kowalski", "--phone", "601234567").code == 0
    monday = _next_monday()
    db = sqlite3.connect(cli.home / "recepcja.sqlite")
    try:
        nowak = db.execute("SELECT id FROM resources WHERE name = 'dr Anna Nowak'").fetchone()[0]
        schedule = db.execute("SELECT id FROM schedules WHERE resource_id = ?",
                              (nowak,)).fetchone()[0]
    finally:
        db.close()
    free = cli("slots", "--date", monday.isoformat(), "--schedule", str(schedule), "--free",
               "--json").json()
    booked = cli("book", "--patient", "44051401359", "--slot", str(free[0]["id"]),
                 "--urgency", "stable", "--request", "ZGL-1", "--referral", "SKIER-1", "--json")
    assert booked.code == 0, booked.err
    visit_uid = booked.json()["visit_uid"]
    assert booked.json()["state"] == "confirmed"

    result = cli("absence", "--resource", str(nowak), "--from", monday.isoformat(),
                 "--to", monday.isoformat(), "--reason", "choroba", "--resolve", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["cer_problem"] is None
    assert [v["local_id"] for v in report["visits"]] == [booked.json()["patient_local_id"]]
    moved = report["visits"][0]["moved_to"]
    assert moved is not None
    assert moved["resource"] != "dr Anna Nowak" or moved["start"][:10] != monday.isoformat()
    assert report["withdrawn_from_cer"] >= len(free) - 1

    state = requests.get(f"{sim}/_control/state?sections=visits,slots", timeout=30).json()
    visits = [v for v in state["visits"] if v["visit_uid"] == visit_uid]
    assert len(visits) == 1 and visits[0]["state"] != "cancelled"
    assert visits[0]["start"] != free[0]["start"]  # CeR moved it, the patient is notified
    nowak_free_that_day = [
        s for s in state["slots"]
        if not s["deleted"] and s["start"][:10] == monday.isoformat()
        and s.get("cer_id") in {f["cer_id"] for f in free}
    ]
    assert nowak_free_that_day == []
    assert cli("queue", "list", "--json").json() == []

    text = cli("absence", "--resource", str(nowak), "--from", monday.isoformat(),
               "--to", monday.isoformat())
    assert text.code == 0 and "zablokowano" in text.out.lower()


def test_absence_bad_input_writes_nothing(cli):
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    result = cli("absence", "--resource", "1", "--from", "2026-12-10", "--to", "2026-12-01")
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1
    unknown = cli("absence", "--resource", "99", "--from", "2026-12-01", "--to", "2026-12-02")
    assert unknown.code == 1 and "99" in unknown.err
