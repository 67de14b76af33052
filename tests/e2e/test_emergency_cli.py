"""The emergency path through the real ``recepcja`` command (subprocesses) against a simulator
over HTTP: the example practice set up and onboarded, CeR goes down, ``book`` still succeeds
(queued), the queue is listed and exported, CeR returns, ``sync --once`` sends everything;
then online ``book`` / ``reschedule`` / ``cancel`` are confirmed at once. The same run on the
embedded SQLite file and on a PostgreSQL practice database (``RECEPCJA_DATABASE_URL``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from support.sim_control import control as sim_control

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"
PESELS = ("44051401359", "02070803628")


def _free_slots(cli, day: dt.date) -> list[dict]:
    for offset in range(14):
        result = cli("slots", "--date", str(day + dt.timedelta(days=offset)), "--free", "--json")
        assert result.code == 0, result.err
        found = [s for s in result.json() if s["cer_id"]]
        if len(found) >= 4:
            return found
    raise AssertionError("no published free terms in two weeks")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, cli) -> str:
    if request.param == "postgresql":
        cli.extra_env["RECEPCJA_DATABASE_URL"] = request.getfixturevalue("pg_database")
    return request.param


def test_booking_during_an_outage_and_the_replay(cli, sim, tmp_path, engine):
    cli.extra_env["RECEPCJA_CER_URL"] = sim + "/cer"
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    onboard = cli("onboard", "--json", timeout=180)
    assert onboard.code == 0, onboard.err
    for pesel, (first, last) in zip(PESELS, (("Jan", "Kowalski"), ("Anna", "Nowak")),
                                    strict=True):
        assert cli("patients", "add", "--pesel", pesel, "--first-name", first,
                   "--last-name", last).code == 0
    slots = _free_slots(cli, dt.date.today() + dt.timedelta(days=2))

    sim_control(sim, "POST", "faults", {"operation": "*", "kind": "down"})
    first = cli("book", "--patient", PESELS[0], "--slot", str(slots[0]["id"]),
                "--referral", "SKIER-1", "--urgency", "urgent", "--json")
    assert first.code == 0, first.err
    answer = first.json()
    assert answer["state"] == "queued" and answer["emergency"] and answer["reason"]
    assert " the " not in f" {answer['reason'].lower()} ", answer["reason"]  # Polish for the desk
    second = cli("book", "--patient", "L-000002", "--slot", str(slots[1]["id"]),
                 "--referral", "SKIER-1", "--urgency", "stable", "--json")
    assert second.code == 0 and second.json()["state"] == "queued"
    taken = cli("book", "--patient", PESELS[1], "--slot", str(slots[0]["id"]),
                "--referral", "SKIER-1", "--urgency", "stable")
    assert taken.code == 1 and taken.err.count("\n") == 1  # one line, the term is held locally
    assert all(s["scope"] in ("cardiology", "mammography") for s in slots)  # slots name it

    listed = cli("queue", "list", "--json")
    assert [e["visit_id"] for e in listed.json()] == [answer["visit_id"],
                                                      second.json()["visit_id"]]
    # The subprocess has no keyring: whether exports must be encrypted is unknown, so the
    # export is refused unless written without a password knowingly.
    refused = cli("queue", "export", str(tmp_path / "kolejka.xlsx"))
    assert refused.code == 1 and not (tmp_path / "kolejka.xlsx").exists()
    export = cli("queue", "export", str(tmp_path / "kolejka.xlsx"), "--unencrypted")
    assert export.code == 0, export.err
    sheet = load_workbook(tmp_path / "kolejka.xlsx").active
    assert sheet.max_row == 3 and sheet["C2"].value == PESELS[0]
    assert sheet["G2"].value in ("kardiologia", "mammografia")  # the scope's name, not its code

    again = cli("queue", "import", str(tmp_path / "kolejka.xlsx"), "--json")
    assert again.code == 0, again.err
    assert again.json() == {"imported": 0, "already_present": 2, "problems": []}

    offline = cli("sync", "--once", "--json")
    assert offline.code == 3 and offline.json()["pending"] == 2

    sim_control(sim, "DELETE", "faults")
    online = cli("sync", "--once", "--json")
    assert online.code == 0, online.err
    assert online.json()["pending"] == 0 and online.json()["done"] == 2
    state = sim_control(sim, "GET", "state?sections=visits")
    uids = Counter(v["visit_uid"] for v in state["visits"])
    assert all(count == 1 for count in uids.values())

    third = cli("book", "--patient", PESELS[1], "--slot", str(slots[2]["id"]),
                "--referral", "SKIER-1", "--urgency", "stable", "--json")
    assert third.code == 0 and third.json()["state"] == "confirmed" and third.json()["cer_id"]
    moved = cli("reschedule", str(third.json()["visit_id"]), "--slot", str(slots[3]["id"]),
                "--json")
    assert moved.code == 0 and moved.json()["state"] == "confirmed", moved.out
    cancelled = cli("cancel", str(third.json()["visit_id"]), "--reason", "pacjent rezygnuje",
                    "--json")
    assert cancelled.code == 0 and cancelled.json()["state"] == "cancelled", cancelled.out
    cer = {v["id"]: v for v in sim_control(sim, "GET", "state?sections=visits")["visits"]}
    assert cer[third.json()["cer_id"]]["state"] == "ANULOWANA"
    assert cli("outages", "export", str(tmp_path / "przerwy.xlsx")).code == 0
    assert cli("queue", "list", "--json").json() == []
    status = cli("status", "--json").json()
    assert status["database_engine"] == engine
    # A practice database leaves no SQLite schedule behind on the desk.
    assert (cli.home / "recepcja.sqlite").exists() == (engine == "sqlite")
