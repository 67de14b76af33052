"""Issue 16 end to end: the practice database (the test cluster's PostgreSQL) mirrors the
onboarded simulator; two desks take their copies, the server goes away, both book offline -
the same term too -, the server returns, each desk merges once, the practice's CeR sender
replays: every patient is in the practice database and in CeR exactly once, the loser on the
call list. And a desk killed -9 at each commit of the merge loses and duplicates nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from emergency_support import cer_visits, gateway, mirror_practice, pesels

from recepcja.crashpoints import CRASH_POINTS, ENV
from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.model import WARSAW, Urgency
from recepcja.domain.workstation import Workstation
from recepcja.services import booking
from recepcja.services.call_list import call_list
from recepcja.store import Repositories
from recepcja.store.local_copy import open_copy, refresh, unmerged
from recepcja.store.practice_merge import PracticeMerges
from recepcja.sync.engine import SyncEngine
from recepcja.sync.practice_merge import merge

MERGE_POINTS = ("practice_merge.after_practice_commit", "practice_merge.after_local_mark")

_CHILD = """
import sys
from recepcja.store.db import open_database
from recepcja.store.local_copy import open_copy
from recepcja.sync.practice_merge import merge
practice = open_database(sys.argv[1])
copy = open_copy(sys.argv[2])
merge(practice, copy, workstation=sys.argv[3], chunk=int(sys.argv[4]))
"""


@pytest.fixture
def practice(pg_database: str, onboarded_simulator):
    with Repositories.open(pg_database) as repos:
        local = mirror_practice(repos, onboarded_simulator.place)
        yield repos, local


def _desk(root: Path, name: str, practice_db) -> Repositories:
    copy = open_copy(root / name / "local-copy.sqlite")
    copy.workstation = Workstation.named(name)
    refresh(practice_db, copy, today=dt.datetime.now(WARSAW).date())
    return Repositories.over(copy)


def _terms(repos: Repositories, schedule_id: int, count: int) -> list[int]:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    return [slot.id for slot in repos.slots.free_from(schedule_id, start, count)]


def _offline_day(desks: dict[str, Repositories], terms: list[int], numbers: list[str]) -> dict:
    """Desk A books patient 0 on term 0; desk B books patient 1 on term 0 too (the clash),
    patient 2 on term 1, and patient 3 on term 2 whom it then moves to term 3."""
    a, b = desks["R1"], desks["R2"]
    people = {}

    def book(desk: Repositories, index: int, term: int) -> booking.BookingResult:
        patient = desk.patients.add(Patient(PatientIdentifier(pesel=numbers[index]), "Jan",
                                            f"Pacjent{index}", phone="+48601234567"), "ania")
        people[index] = desk.patients.get(patient).local_id
        return booking.book(desk, patient, terms[term], Urgency.STABLE, user="ania")

    book(a, 0, 0)
    book(b, 1, 0)
    book(b, 2, 1)
    moved = book(b, 3, 2)
    booking.reschedule(b, moved.visit.id, terms[3], user="ania")
    return people


def _check_exactly_once(pg: Repositories, sim, people: dict[int, str]) -> None:
    engine = SyncEngine(lambda: pg, lambda: gateway(sim.soap_url))
    engine.run_once(repos=pg, gateway=gateway(sim.soap_url))
    assert pg.outbox.count_pending() == 0
    live = {}
    for index, local_id in people.items():
        patient = pg.patients.holder_of_local_id(local_id)
        visits = [v for v in pg.visits.for_patient(patient.id)
                  if v.state in ("pending", "confirmed", "waiting_list")]
        assert len(visits) == 1, (index, visits)
        live[index] = visits[0]
    in_cer = Counter(v["visit_uid"] for v in cer_visits(sim) if v["state"] != "ANULOWANA")
    assert all(in_cer[visit.visit_uid] == 1 for visit in live.values()), in_cer
    assert all(visit.cer_id for visit in live.values())
    assert [item.patient_local_id for item in call_list(pg)] == [people[1]]
    assert pg.db.conn.execute("SELECT count(*) FROM outbox WHERE op = 'book'").fetchone()[0] == 4


def test_two_desks_book_offline_and_everyone_is_in_cer_exactly_once(
        practice, tmp_path: Path, onboarded_simulator):
    pg, local = practice
    desks = {name: _desk(tmp_path, name, pg.db) for name in ("R1", "R2")}
    terms = _terms(pg, local.schedule_ids[0], 4)
    people = _offline_day(desks, terms, pesels(4, start=100))

    reports = {name: merge(pg.db, desk.db, workstation=name) for name, desk in desks.items()}

    # Merged into the practice's CeR queue: if CeR were down too, they would wait there.
    assert pg.outbox.count_pending() >= 4
    assert reports["R1"].outcomes == {"booked": 1}
    assert reports["R2"].outcomes == {"moved": 1, "booked": 2, "changed": 1}
    _check_exactly_once(pg, onboarded_simulator, people)
    assert all(unmerged(desk.db) == 0 for desk in desks.values())


def test_every_merge_crash_point_has_a_case():
    assert set(MERGE_POINTS) == {p for p in CRASH_POINTS if p.startswith("practice_merge.")}


@pytest.mark.slow
@pytest.mark.parametrize("point", MERGE_POINTS)
def test_a_desk_killed_during_the_merge_loses_and_duplicates_nothing(
        practice, tmp_path: Path, onboarded_simulator, pg_database: str, point: str):
    pg, local = practice
    desks = {name: _desk(tmp_path, name, pg.db) for name in ("R1", "R2")}
    terms = _terms(pg, local.schedule_ids[0], 4)
    people = _offline_day(desks, terms, pesels(4, start=200))
    merge(pg.db, desks["R1"].db, workstation="R1")
    # Desk B merges in chunks of two and is killed right after the first commit of `point`.
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, pg_database, desks["R2"].db.where, "R2", "2"],
        env={**os.environ, ENV: point}, capture_output=True, text=True, timeout=120,
        check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr

    merged_before = PracticeMerges(pg.db).count()
    report = merge(pg.db, desks["R2"].db, workstation="R2")

    assert merged_before == 3  # R1's row and B's first chunk
    assert report.already_merged == (2 if point == MERGE_POINTS[0] else 0)
    _check_exactly_once(pg, onboarded_simulator, people)
