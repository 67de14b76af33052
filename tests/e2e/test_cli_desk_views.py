"""The administrator's CLI (issue 14), as a subprocess on a real data folder: `patients show`
(the patient card - a stable interface - audited as a read), `resources` (ids to use with
`absence --resource` and `slots --schedule`), `slots` with a header and Polish states."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3

import pytest

from recepcja.config.paths import AppPaths
from recepcja.domain.entities import Visit
from recepcja.domain.model import WARSAW, Urgency, VisitSource, VisitState
from recepcja.domain.slots import generate_slots
from recepcja.services.context import AppContext
from recepcja.services.practice_setup import apply_plan, plan_from_dict, rules_from_template
from recepcja.services.training import fallback_practice, training_patients
from recepcja.store.patient_card import CallOutcome, PatientCardRepo
from recepcja.store.repos import Repositories

PESEL = "61040212349"


def _working_days(first: dt.date, count: int) -> list[dt.date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@pytest.fixture
def practice(cli) -> dict:
    """The training practice with terms from two weeks ago to three weeks ahead; the patient
    Zofia Kowalczyk has a past visit, an upcoming one, a cancelled one, notes and a call."""
    today = dt.datetime.now(WARSAW).date()
    ctx = AppContext.load(AppPaths(cli.home))
    repos = Repositories.over(ctx.open_db())
    try:
        apply_plan(repos.db, plan_from_dict(fallback_practice()), "test")
        for schedule in repos.schedules.list():
            rules = rules_from_template(schedule.template)
            repos.slots.add_many(int(schedule.id or 0), generate_slots(
                rules, today - dt.timedelta(days=14), today + dt.timedelta(days=21)))
        repos.patients.add_many(training_patients(random.Random(3), 5), "test")
        from recepcja.services.patients import PatientInput, register_patient

        zofia = register_patient(repos.db, PatientInput("Zofia", "Kowalczyk", pesel=PESEL,
                                                        phone="601234567"), "test")
        nowak = repos.schedules.list()[0]
        past_day = _working_days(today - dt.timedelta(days=10), 1)[0]
        next_day = _working_days(today + dt.timedelta(days=2), 1)[0]
        past = repos.slots.for_day(int(nowak.id or 0), past_day)[0]
        ahead = repos.slots.for_day(int(nowak.id or 0), next_day)[1]
        gone = repos.slots.for_day(int(nowak.id or 0), next_day)[2]
        visits = [Visit("V-PAST", int(zofia.id or 0), past.id, Urgency.STABLE,
                        state=VisitState.CONFIRMED, cer_id="WIZ-P"),
                  Visit("V-AHEAD", int(zofia.id or 0), ahead.id, Urgency.URGENT,
                        state=VisitState.CONFIRMED, cer_id="WIZ-A", referral_id="1234"),
                  Visit("V-GONE", int(zofia.id or 0), gone.id, Urgency.STABLE,
                        state=VisitState.CONFIRMED, cer_id="WIZ-G")]
        repos.visits.import_many(visits, "test", source=VisitSource.INITIAL_LOAD)
        repos.visits.cancel(visits[2].id, "na prośbę pacjenta", "test")
        cards = PatientCardRepo(repos.db)
        cards.set_notes(int(zofia.id or 0), "niedosłyszy", "test")
        cards.add_call(int(zofia.id or 0), CallOutcome.REACHED, "anna", visit_id=visits[1].id,
                       note="wie o terminie")
        return {"patient": zofia, "visits": visits, "ahead": ahead, "next_day": next_day,
                "nowak": nowak}
    finally:
        repos.close()


def test_patients_show_is_the_card_as_json_and_text_and_audited(cli, practice):
    shown = cli("patients", "show", PESEL, "--json")
    assert shown.code == 0, shown.err
    card = shown.json()
    assert set(card) == {"patient", "upcoming", "past", "calls"}
    patient = card["patient"]
    assert patient["pesel"] == PESEL and patient["first_name"] == "Zofia"
    assert patient["phone"] == "+48601234567" and patient["notes"] == "niedosłyszy"
    past, ahead, gone = practice["visits"]
    assert [v["id"] for v in card["upcoming"]] == [ahead.id]
    upcoming = card["upcoming"][0]
    assert upcoming["cer_state"] == "in_cer" and upcoming["cer_id"] == "WIZ-A"
    assert upcoming["urgency"] == "urgent" and upcoming["term_kind"] == "default_procedure"
    assert upcoming["resource"] == "lek. Anna Nowak"
    assert upcoming["place"] == "Poradnia Kardiologiczna (szkolenie)"
    assert upcoming["slot_id"] == practice["ahead"].id
    assert upcoming["start"].startswith(practice["next_day"].isoformat())
    assert {v["id"]: v["cer_state"] for v in card["past"]} == {gone.id: "cancelled",
                                                               past.id: "in_cer"}
    assert [(c["outcome"], c["by"], c["note"]) for c in card["calls"]] == [
        ("reached", "anna", "wie o terminie")]

    text = cli("patients", "show", patient["local_id"])
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].startswith(patient["local_id"]) and "Kowalczyk Zofia" in lines[0]
    assert "Telefon: 601 234 567" in lines and "Uwagi:" in lines
    upcoming_line = lines[lines.index("Nadchodzące wizyty:") + 1]
    assert upcoming_line.startswith(f"  [{ahead.id}] {practice['next_day']:%d.%m.%Y}")
    assert "lek. Anna Nowak" in upcoming_line and "pierwszorazowa, pilny" in upcoming_line
    assert upcoming_line.endswith("w CeR")
    assert any("odwołana" in line for line in lines)
    assert any("zadzwoniono" in line and "anna" in line for line in lines)

    db = sqlite3.connect(cli.home / "recepcja.sqlite")
    try:
        audited = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'patient.show' "
                             "AND detail = 'cli' AND patient_id = ?", (patient["id"],)).fetchone()
    finally:
        db.close()
    assert audited == (2,)

    missing = cli("patients", "show", "L-999999")
    assert missing.code == 1 and missing.out == ""
    assert missing.err.startswith("recepcja: ") and len(missing.err.splitlines()) == 1


def test_resources_lists_ids_that_absence_and_slots_take(cli, practice):
    listed = cli("resources", "--json")
    assert listed.code == 0, listed.err
    resources = listed.json()
    nowak = next(r for r in resources if r["name"] == "lek. Anna Nowak")
    assert nowak["kind"] == "doctor" and nowak["active"] is True
    assert [s["id"] for s in nowak["schedules"]] == [practice["nowak"].id]
    text = cli("resources")
    assert text.out.splitlines()[0] == "ID\tRodzaj\tNazwa\tHarmonogramy (ID: nazwa, miejsce)"
    assert f"{nowak['id']}\tlekarz\tlek. Anna Nowak\t{practice['nowak'].id}: " in text.out

    day = practice["next_day"].isoformat()
    absence = cli("absence", "--resource", str(nowak["id"]), "--from", day, "--to", day,
                  "--json")
    assert absence.code == 0, absence.err
    assert absence.json()["resource"] == nowak["id"]

    slots = cli("slots", "--date", day, "--schedule", str(nowak["schedules"][0]["id"]))
    assert slots.code == 0, slots.err
    lines = slots.out.splitlines()
    assert lines[0] == "ID\tGodzina\tHarmonogram\tStan\tID w CeR"
    states = {line.split("\t")[3] for line in lines[1:]}
    assert states <= {"wolny", "zajęty", "zablokowany"} and "zablokowany" in states
    assert not states & {"free", "booked", "blocked"}


def test_calls_list_is_the_desk_worklist(cli, practice):
    """A visit CeR reminds by SMS (in CeR, a mobile number) is not on the list; without a
    phone the patient is, with the reason in Polish; reached, they leave it."""
    day = practice["next_day"].isoformat()
    listed = cli("calls", "list", "--day", day, "--json")
    assert listed.code == 0, listed.err
    assert all(item["patient_name"] != "Kowalczyk Zofia" for item in listed.json())
    db = sqlite3.connect(cli.home / "recepcja.sqlite")
    try:
        db.execute("UPDATE patients SET phone = NULL WHERE pesel = ?", (PESEL,))
        db.commit()
    finally:
        db.close()
    listed = cli("calls", "list", "--day", day, "--json")
    [item] = [i for i in listed.json() if i["patient_name"] == "Kowalczyk Zofia"]
    assert item["reason"] == "reminder" and item["last_mark"] is None and not item["done"]
    assert item["visit_id"] == practice["visits"][1].id
    text = cli("calls", "list", "--day", day)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[1] == "Pacjent\tTelefon\tPowód\tTermin\tPoprzedni termin\tGdzie\tOstatni telefon"
    row = next(line for line in lines if line.startswith("Kowalczyk Zofia"))
    assert "brak telefonu\tprzypomnienie o jutrzejszej wizycie" in row
    bad = cli("calls", "list", "--day", "jutro")
    assert bad.code == 2 and len(bad.err.splitlines()) == 1


def test_queue_list_shows_every_waiting_change_in_polish(cli, practice):
    ahead = practice["visits"][1]
    cancelled = cli("cancel", str(ahead.id), "--reason", "pacjent zrezygnował")
    assert cancelled.code in (0, 3), cancelled.err  # no CeR here: the cancellation waits
    listed = cli("queue", "list")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0] == "Wizyta\tID lokalny pacjenta\tPacjent\tTermin\tTryb\tZmiana\tStan\tUwagi"
    [row] = [line for line in lines[1:] if line.startswith(f"{ahead.id}\t")]
    cells = row.split("\t")
    assert cells[2] == "Kowalczyk Zofia" and cells[4] == "pilny" and cells[5] == "odwołanie"
    assert cells[6] in {"czeka na wysłanie", "ponowi próbę", "do sprawdzenia w CeR"}
    for english in ("stable", "urgent", "ambiguous", "queued", "failed", "cancel\t"):
        assert english not in listed.out
    data = cli("queue", "list", "--json").json()
    assert ("cancel", ahead.id) in [(e["op"], e["visit_id"]) for e in data]
    assert {e["op"] for e in data} == {"cancel"}  # the fixture's cancelled visit waits too
