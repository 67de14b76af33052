"""`recepcja status` as an administrator reads it: a change that has not reached CeR within
``[sync] outbox_alarm_minutes`` is an ALARM, with who queued it and what it is - in the text
and in ``--json`` - and an unknown threshold is refused with one line."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"
PESEL = "44051401359"


def test_a_booking_stuck_on_its_way_to_cer_is_an_alarm(cli):
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    (cli.home / "settings.toml").write_text(
        '[desk]\nuser = "ania"\n\n[sync]\noutbox_alarm_minutes = 15\n', encoding="utf-8")
    assert cli("patients", "add", "--pesel", PESEL, "--first-name", "Jan",
               "--last-name", "Kowalski").code == 0
    day = dt.date.today() + dt.timedelta(days=1)
    db = sqlite3.connect(cli.home / "recepcja.sqlite")
    try:  # a term of dr Nowak (no CeR here: setup alone generates none)
        schedule = db.execute("SELECT id FROM schedules ORDER BY id").fetchone()[0]
        start = dt.datetime.combine(day, dt.time(9), dt.UTC)
        db.execute("INSERT INTO slots (schedule_id, start_utc, end_utc, local_date, term_kind, "
                   "state) VALUES (?, ?, ?, ?, 'default_procedure', 'free')",
                   (schedule, start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    (start + dt.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    day.isoformat()))
        db.commit()
        slot = db.execute("SELECT MAX(id) FROM slots").fetchone()[0]
    finally:
        db.close()
    booked = cli("book", "--patient", PESEL, "--slot", str(slot), "--referral", "SKIER-1",
                 "--urgency", "stable", "--json")
    assert booked.code == 0, booked.err
    assert booked.json()["state"] == "queued"  # CeR is not configured here

    fresh = cli("status", "--json").json()["sync"]
    assert fresh["stale_outbox"] == [] and fresh["outbox_alarm_minutes"] == 15
    assert "ALARM" not in cli("status").out

    db = sqlite3.connect(cli.home / "recepcja.sqlite")
    try:  # the booking has been waiting for 40 minutes
        old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%S")
        db.execute("UPDATE outbox SET created_at = ?", (old + "Z",))
        db.commit()
    finally:
        db.close()
    status = cli("status", "--json").json()["sync"]
    (row,) = status["stale_outbox"]
    local_id = booked.json()["patient_local_id"]
    assert (row["op"], row["created_by"], row["patient"]) == ("book", "ania",
                                                             f"{local_id}, 440514*****")
    assert row["term"].startswith(day.isoformat()) and row["age_minutes"] >= 40
    assert status["alarms"] == ["stale_outbox"]
    text = cli("status")
    assert text.code == 0
    alarm = [line for line in text.out.splitlines() if "ALARM" in line]
    assert alarm and "15 min" in alarm[0]
    detail = text.out[text.out.index(alarm[0]):]
    assert "rezerwacja" in detail and "ania" in detail and "440514*****" in detail
    assert PESEL not in text.out

    (cli.home / "settings.toml").write_text("[sync]\noutbox_alarm_minutes = 0\n",
                                            encoding="utf-8")
    refused = cli("status")
    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
