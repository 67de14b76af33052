"""The desk's copy brought up to date with what changed (rows the copy's last snapshot did not
see, and what is gone from the days the change journal names) ends exactly where a whole copy
taken at the same moment would: terms added and deleted, visits booked, moved to the waiting
list and cancelled, a new and a renamed patient, notes written without a time, a new doctor -
on the test cluster's PostgreSQL. And a whole copy is taken when only that will do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.model import WARSAW, Urgency
from recepcja.store import Repositories
from recepcja.store.local_copy import info, open_copy, refresh
from recepcja.store.local_copy_delta import FULL_EVERY, refresh_changes
from recepcja.store.records import Resource, ResourceKind
from support.practice import build_practice, morning, pesels

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.astimezone(WARSAW).date()
TABLES = ("provider", "places", "resources", "schedules", "patients", "patient_aliases",
          "slots", "visits", "notifications")


def rows(db, table: str) -> list[tuple]:
    return [tuple(row) for row in db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]


def test_what_changed_leaves_the_copy_as_a_whole_copy_would(tmp_path: Path, pg_database: str):
    with Repositories.open(pg_database) as practice:
        plan = build_practice(practice, TODAY, days=3)
        ids = [practice.patients.add(Patient(PatientIdentifier(pesel=p), "Jan", f"Pacjent{i}"),
                                     "test") for i, p in enumerate(pesels(4))]
        booked = [practice.visits.book(Visit(f"V-{i}", ids[i], None, Urgency.STABLE),
                                       plan.slot_ids[i], "ania").visit_id for i in range(3)]
        copy = open_copy(tmp_path / "copy.sqlite")
        refresh(practice.db, copy, today=TODAY, now=NOW)

        # Other desks work: a new term, a new patient booked, one visit to the waiting list,
        # one cancelled, a patient renamed, a new doctor.
        last_day = TODAY + dt.timedelta(days=5)
        practice.slots.add_many(plan.schedule_id, morning(last_day, 2, hour=14))
        new = practice.patients.add(Patient(PatientIdentifier(pesel=pesels(1, 50)[0]), "Ewa",
                                            "Nowa"), "test")
        practice.visits.book(Visit("V-new", new, None, Urgency.STABLE), plan.slot_ids[5], "ola")
        practice.visits.to_waiting_list(booked[0], "ola")
        practice.visits.cancel(booked[1], "patient", "ola")
        renamed = practice.patients.get(ids[3])
        practice.patients.update(Patient(renamed.identifier, "Janina", "Zmieniona",
                                         id=ids[3]), "ola")
        practice.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Nowy"))
        # A write that names no time (a duplicate's notes merged in) and a term deleted.
        practice.db.conn.execute("UPDATE patients SET notes = 'z duplikatu' WHERE id = ?",
                                 (ids[2],))
        practice.db.conn.execute("DELETE FROM slots WHERE id = ?", (plan.slot_ids[7],))

        later = NOW + dt.timedelta(seconds=30)
        report = refresh_changes(practice.db, copy, today=TODAY, now=later)
        assert report is not None and report.info.refreshed_at == later
        assert report.rows["slots"] < len(plan.slot_ids)  # only the touched days
        whole = open_copy(tmp_path / "whole.sqlite")
        refresh(practice.db, whole, today=TODAY, now=later)
        for table in TABLES:
            assert rows(copy, table) == rows(whole, table), table

        # Nothing changed: nothing but the set-up and the log read again.
        again = refresh_changes(practice.db, copy, today=TODAY, now=later)
        assert again is not None and again.rows["slots"] == 0 and again.rows["visits"] == 0
        # A whole copy when only that will do: too long since the last, or a new day.
        assert refresh_changes(practice.db, copy, today=TODAY, now=NOW + FULL_EVERY) is None
        assert refresh_changes(practice.db, copy, today=TODAY + dt.timedelta(days=1),
                               now=later) is None
        assert info(copy).refreshed_at == later
        copy.close()
        whole.close()


def test_a_copy_of_a_single_desk_file_is_always_taken_whole(tmp_path: Path):
    with Repositories.open(tmp_path / "desk.sqlite") as practice:
        build_practice(practice, TODAY)
        copy = open_copy(tmp_path / "copy.sqlite")
        refresh(practice.db, copy, today=TODAY, now=NOW)
        assert refresh_changes(practice.db, copy, today=TODAY, now=NOW) is None
        copy.close()




def test_reads_on_the_copy_reach_the_practice_audit_log_once(tmp_path: Path, pg_database: str):
    from recepcja.domain.workstation import Workstation
    from recepcja.store.copy_reads import carry_reads

    with Repositories.open(pg_database) as practice:
        build_practice(practice, TODAY)
        patient = practice.patients.add(Patient(PatientIdentifier(pesel=pesels(1)[0]), "Jan",
                                                "Czytany"), "test")
        copy = open_copy(tmp_path / "copy.sqlite")
        refresh(practice.db, copy, today=TODAY, now=NOW)
        copy.workstation = Workstation("Rejestracja 2", "R2")
        Repositories.over(copy).audit.record("ania", "patient.show", patient_id=patient,
                                             detail="window")
        assert carry_reads(copy, practice.db) == 1
        assert carry_reads(copy, practice.db) == 0  # a desk killed before its refresh
        [read] = [entry for entry in practice.audit.for_patient(patient)
                  if entry.action == "patient.show"]
        assert read.user == "ania"
        copy.close()
