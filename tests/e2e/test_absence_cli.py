"""`recepcja absence` end to end against the simulator over loopback HTTP: a doctor falls ill;
her visits are moved - each patient to a term of their own, in one transaction - as
provider-side changes CeR records, her free terms leave CeR (queued, so an outage only delays
it), a portal booking that lands on her day anyway is flagged, and the desk gets the list of
patients to call."""

from __future__ import annotations

import datetime as dt
import sqlite3

from e2e_support import EXAMPLE

from recepcja.domain.pesel import make_pesel
from support.sim_control import control as sim_control


def _next_monday() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday() + 7)  # 8-14 days ahead


def _practice(cli, patients: int) -> tuple[int, str, list[dict]]:
    """The example practice onboarded (the ``onboarded`` fixture), ``patients`` patients;
    returns dr Nowak's resource id, her CeR schedule id and her free terms on the Monday."""
    for number in range(patients):
        pesel = make_pesel(dt.date(1950 + number, 3, 14), 1230 + 2 * number)
        added = cli("patients", "add", "--pesel", pesel, "--first-name", "Jan", "--last-name",
                    ("Nowicki", "Lis", "Wrona", "Sowa")[number], "--phone", f"60123456{number}")
        assert added.code == 0, added.err
    db = sqlite3.connect(cli.home / "recepcja.sqlite")
    try:
        nowak = db.execute("SELECT id FROM resources WHERE name = 'dr Anna Nowak'").fetchone()[0]
        schedule, cer_id = db.execute("SELECT id, cer_id FROM schedules WHERE resource_id = ?",
                                      (nowak,)).fetchone()
    finally:
        db.close()
    free = cli("slots", "--date", _next_monday().isoformat(), "--schedule", str(schedule),
               "--free", "--json").json()
    assert len(free) >= 4
    return nowak, cer_id, free


def _book(cli, number: int, slot: dict, urgency: str = "stable") -> dict:
    booked = cli("book", "--patient", f"L-{number + 1:06d}", "--slot", str(slot["id"]),
                 "--urgency", urgency, "--referral", f"SKIER-{number}", "--json")
    assert booked.code == 0, booked.err
    assert booked.json()["state"] == "confirmed"
    return booked.json()


def _cer_slots(sim: str, schedule: str) -> dict[str, dict]:
    slots = sim_control(sim, "GET", f"state?sections=slots&schedule={schedule}")["slots"]
    return {s["id"]: s for s in slots}


def _cer_visits(sim: str) -> dict[str, dict]:
    return {v["visit_uid"]: v for v in sim_control(sim, "GET", "state?sections=visits")["visits"]}


def test_resolve_gives_every_patient_a_term_of_their_own_in_one_go(cli, onboarded):
    """Four patients of the absent doctor, no substitute that morning (dr Kowalski works on
    Tuesdays and Thursdays): each gets a different nearest term, all four moves reach CeR,
    and her free terms are withdrawn there."""
    sim = onboarded
    nowak, schedule, free = _practice(cli, patients=4)
    booked = [_book(cli, n, free[n], "urgent" if n == 3 else "stable") for n in range(4)]
    left_free = {slot["cer_id"] for slot in free[4:]}
    monday = _next_monday().isoformat()

    result = cli("absence", "--resource", str(nowak), "--from", monday, "--to", monday,
                 "--reason", "choroba", "--resolve", "--json")
    assert result.code == 0, result.err
    report = result.json()
    targets = [row["moved_to"]["slot_id"] for row in report["visits"]]
    assert len(targets) == 4 and len(set(targets)) == 4  # no term given to two patients
    assert all(row["in_cer"] == "done" for row in report["visits"])
    assert report["complete"] and report["left_to_do"] == [] and report["cer_problem"] is None
    assert report["withdrawn_from_cer"] == len(left_free) + 4  # her free terms and the left ones
    # the urgent patient got the nearest of the four terms
    urgent = next(r for r in report["visits"] if r["local_id"] == booked[3]["patient_local_id"])
    assert urgent["moved_to"]["start"] == min(r["moved_to"]["start"] for r in report["visits"])

    in_cer = _cer_visits(sim)
    moved = [in_cer[b["visit_uid"]] for b in booked]
    assert all(v["state"] != "ODWOLANA" and not v["start"].startswith(monday) for v in moved)
    assert len({v["slot"] for v in moved}) == 4
    slots = _cer_slots(sim, schedule)
    assert all(slots[cer_id]["state"] == "deleted" for cer_id in left_free)
    assert all(slots[slot["cer_id"]]["state"] == "deleted" for slot in free[:4])
    assert cli("queue", "list", "--json").json() == []
    status = cli("status", "--json").json()["sync"]
    assert status["visits_on_absence"] == [] and status["stale_outbox"] == []

    again = cli("absence", "--resource", str(nowak), "--from", monday, "--to", monday)
    assert again.code == 0 and "zablokowano" in again.out.lower()


def test_plain_absence_withdraws_the_free_terms_from_cer(cli, onboarded):
    """Without --resolve the visits stay for a phone call, but CeR stops offering the absent
    doctor's free terms at once: portal patients cannot book her any more."""
    sim = onboarded
    nowak, schedule, free = _practice(cli, patients=1)
    booked = _book(cli, 0, free[0])
    monday = _next_monday().isoformat()
    result = cli("absence", "--resource", str(nowak), "--from", monday, "--to", monday, "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["withdrawn_from_cer"] == len(free) - 1 and report["terms_still_in_cer"] == 0
    assert report["visits"][0]["moved_to"] is None and report["visits"][0]["options"]
    slots = _cer_slots(sim, schedule)
    assert all(slots[slot["cer_id"]]["state"] == "deleted" for slot in free[1:])
    sim_control(sim, "POST", "portal-booking", {  # withdrawn: CeR no longer knows the term
        "slot": free[1]["cer_id"], "pesel": make_pesel(dt.date(1980, 1, 2), 4321)}, expect=404)
    # the visit left on her day is the desk's work until it is moved
    status = cli("status", "--json").json()["sync"]
    assert [v["visit_id"] for v in status["visits_on_absence"]] == [booked["visit_id"]]
    text = cli("status")
    assert "ALARM" in text.out and "nieobecn" in text.out.lower()


def test_absence_during_an_outage_is_queued_then_sent_and_a_portal_booking_is_flagged(
        cli, onboarded):
    sim = onboarded
    nowak, schedule, free = _practice(cli, patients=2)
    booked = _book(cli, 0, free[0])
    monday = _next_monday().isoformat()
    sim_control(sim, "POST", "faults", {"operation": "*", "kind": "down"})
    result = cli("absence", "--resource", str(nowak), "--from", monday, "--to", monday,
                 "--resolve", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert not report["complete"] and report["cer_problem"]
    assert report["visits"][0]["in_cer"] == "waiting"
    assert report["terms_still_in_cer"] == len(free)  # said plainly, and queued
    assert any("CeR" in line for line in report["left_to_do"])

    # while the withdrawal waits, a portal patient books one of her terms CeR still offers
    portal = sim_control(sim, "POST", "portal-booking", {
        "slot": free[2]["cer_id"], "pesel": make_pesel(dt.date(1980, 1, 2), 4321)})
    sim_control(sim, "DELETE", "faults")
    pulled = cli("notifications", "pull")
    assert pulled.code == 0, pulled.err
    assert "nieobecn" in pulled.out.lower()  # flagged at once

    sent = cli("sync", "--once", "--json")
    assert sent.code == 0, sent.err
    moved = _cer_visits(sim)[booked["visit_uid"]]
    assert not moved["start"].startswith(monday)
    slots = _cer_slots(sim, schedule)
    assert slots[free[2]["cer_id"]]["state"] == "booked"  # the portal patient's: not withdrawn
    assert all(slots[s["cer_id"]]["state"] == "deleted" for s in free if s is not free[2])
    status = cli("status", "--json").json()["sync"]
    assert [v["visit_cer_id"] for v in status["visits_on_absence"]] == [portal["visit"]["id"]]
    assert status["stale_outbox"] == []
    reconciled = cli("reconcile", "--json")
    assert reconciled.code == 1  # for a person: the portal patient sits on an absent day
    drift = [i for i in reconciled.json()["items"] if i["drift"] == "visit_on_absence"]
    assert [i["visit_cer_id"] for i in drift] == [portal["visit"]["id"]]


def test_absence_bad_input_writes_nothing(cli):
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    result = cli("absence", "--resource", "1", "--from", "2026-12-10", "--to", "2026-12-01")
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1
    unknown = cli("absence", "--resource", "99", "--from", "2026-12-01", "--to", "2026-12-02")
    assert unknown.code == 1 and "99" in unknown.err
