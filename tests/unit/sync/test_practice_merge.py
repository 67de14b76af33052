"""The desk's local copy and the merge of its offline queue into the practice database, on the
test cluster's PostgreSQL and real SQLite copies: two desks book the same term while the server
is away; one merge puts every patient there exactly once, the loser moved and on the call list;
a second merge and a desk restored from an old backup change nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from absence_helpers import DAY, TODAY, FixedClock, desk_copy, patient, set_up_practice

from recepcja.domain.entities import SlotSpec
from recepcja.domain.model import WARSAW, TermKind
from recepcja.services import booking
from recepcja.services.call_list import call_list
from recepcja.store import Repositories
from recepcja.store.local_copy import CopyNotReplaced, info, open_copy, refresh, unmerged
from recepcja.store.practice_merge import PracticeMerges
from recepcja.sync.practice_merge import ForeignQueue, merge


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def practice(pg_database: str, clock: FixedClock):
    with Repositories.open(pg_database, clock) as repos:
        yield repos


def test_the_copy_holds_what_the_desk_needs_and_its_age(practice: Repositories, clock, tmp_path):
    schedule_id, slots = set_up_practice(practice)
    known = practice.patients.add(patient(1), "ania")
    booking.book(practice, known, slots[0], "stable", user="ania", now=clock(), referral_id="SK-1")
    desk = desk_copy(tmp_path, "R1", practice.db, clock)

    assert [s.id for s in desk.slots.for_day(schedule_id, TODAY.replace(day=2))] == slots
    assert desk.visits.live_for_slot(slots[0]).patient_id == known
    assert desk.patients.search("Kowalski")[0].id == known
    meta = info(desk.db)
    assert meta.refreshed_at == clock() and meta.covers(TODAY) and not meta.covers(
        TODAY.replace(month=6))


def test_two_desks_book_the_same_term_offline_and_merge_once(
        practice: Repositories, clock, tmp_path: Path):
    schedule_id, slots = set_up_practice(practice)
    known = practice.patients.add(patient(9, "Znany"), "ania")
    desk_a = desk_copy(tmp_path, "R1", practice.db, clock)
    desk_b = desk_copy(tmp_path, "R2", practice.db, clock)

    # The server is away: each desk works on its own copy.
    new_a = desk_a.patients.add(patient(1, "Pierwsza"), "ania")
    booking.book(desk_a, new_a, slots[0], "stable", user="ania", emergency=True, now=clock(),
                 referral_id="SK-1")
    new_b = desk_b.patients.add(patient(2, "Druga"), "basia")
    lost = booking.book(desk_b, new_b, slots[0], "stable", user="basia", emergency=True,
                        now=clock(), referral_id="SK-1")
    gone = booking.book(desk_b, desk_b.patients.add(patient(3, "Odwolana"), "basia"), slots[5],
                        "stable", user="basia", emergency=True, now=clock(), referral_id="SK-1")
    booking.cancel(desk_b, gone.visit.id, "pacjent dzwonil", user="basia")
    moved = booking.book(desk_b, known, slots[6], "urgent", user="basia", emergency=True,
                         now=clock(), referral_id="SK-1")
    booking.reschedule(desk_b, moved.visit.id, slots[7], user="basia", now=clock())
    assert desk_a.patients.get(new_a).local_id.startswith("L-")
    assert desk_a.patients.get(new_a).local_id != desk_b.patients.get(new_b).local_id
    old_backup = tmp_path / "R2-backup.sqlite"
    with sqlite3.connect(old_backup) as target:  # the online backup API: WAL included
        desk_b.db.conn.backup(target)
    with pytest.raises(CopyNotReplaced):
        refresh(practice.db, desk_b.db, today=TODAY, now=clock())

    first = merge(practice.db, desk_a.db, workstation="R1", clock=clock)
    second = merge(practice.db, desk_b.db, workstation="R2", clock=clock)

    assert first.outcomes == {"booked": 1}
    # The booking cancelled on the desk before the merge never reaches the practice database.
    assert second.outcomes == {"moved": 1, "booked": 1, "skipped": 2, "changed": 1}
    assert practice.visits.by_uid(gone.visit.visit_uid) is None
    assert unmerged(desk_a.db) == unmerged(desk_b.db) == 0
    live = {row.visit.patient_id for row in practice.visits.live_in_schedule(
        schedule_id, TODAY, TODAY.replace(day=3))}
    names = {practice.patients.get(pid).last_name for pid in live}
    assert names == {"Pierwsza", "Druga", "Znany"}
    assert practice.visits.live_for_slot(slots[0]).visit_uid == desk_a.visits.get(
        desk_a.visits.live_for_slot(slots[0]).id).visit_uid
    assert practice.visits.live_for_slot(slots[7]).patient_id == known
    # The loser is on the call list, with the term it lost.
    calls = call_list(practice)
    assert [(c.last_name, c.lost_term) for c in calls] == [
        ("Druga", practice.slots.get(slots[0]).start)]
    assert calls[0].visit_uid == lost.visit.visit_uid
    # Every visit went into the practice's CeR queue once.
    keys = [row[0] for row in practice.db.conn.execute(
        "SELECT idempotency_key FROM outbox WHERE op = 'book'")]
    assert len(keys) == len(set(keys)) == 3

    # Again, and a desk restored from a backup taken before the merge: nothing twice.
    assert merge(practice.db, desk_b.db, workstation="R2", clock=clock).merged == 0
    restored = open_copy(old_backup)
    try:
        again = merge(practice.db, restored, workstation="R2", clock=clock)
    finally:
        restored.close()
    assert again.merged == 0 and again.already_merged == 5
    assert practice.db.conn.execute("SELECT count(*) FROM outbox WHERE op = 'book'").fetchone(
        )[0] == 3
    assert PracticeMerges(practice.db).count() == 6


def test_no_term_left_means_the_waiting_list(practice: Repositories, clock, tmp_path: Path):
    _, slots = set_up_practice(practice, slots=1)
    desk_a = desk_copy(tmp_path, "R1", practice.db, clock)
    desk_b = desk_copy(tmp_path, "R2", practice.db, clock)
    for desk, serial in ((desk_a, 1), (desk_b, 2)):
        booking.book(desk, desk.patients.add(patient(serial), "ania"), slots[0], "stable",
                     user="ania", emergency=True, now=clock(), referral_id="SK-1")

    merge(practice.db, desk_a.db, workstation="R1", clock=clock)
    report = merge(practice.db, desk_b.db, workstation="R2", clock=clock)

    assert report.outcomes == {"waiting_list": 1}
    assert [c.on_waiting_list for c in call_list(practice)] == [True]
    # After the merge the copy may be replaced again, and holds no link to what is gone.
    refresh(practice.db, desk_b.db, today=TODAY, now=clock())
    assert desk_b.visits.count() == 2
    assert desk_b.db.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_queue_never_goes_to_another_practices_database(
        practice: Repositories, clock, tmp_path: Path, pg_own_database: str):
    _, slots = set_up_practice(practice)
    desk = desk_copy(tmp_path, "R1", practice.db, clock)
    booking.book(desk, desk.patients.add(patient(1), "ania"), slots[0], "stable", user="ania",
                 now=clock(), referral_id="SK-1")
    with Repositories.open(pg_own_database, clock) as other:
        with pytest.raises(ForeignQueue):
            merge(other.db, desk.db, workstation="R1", clock=clock)
        assert PracticeMerges(other.db).count() == 0
    assert unmerged(desk.db) == 1


def test_a_lost_continuation_merges_onto_a_continuation_not_a_first_visit(
        practice: Repositories, clock, tmp_path: Path):
    """The merge books the loser on the nearest term CeR would take: a visit without a referral
    never on a first visit of cardiology (CeR refuses it), the next continuation instead."""
    schedule_id, _first_visits = set_up_practice(practice)  # 08:00-09:20, first visits
    continuations = []
    for hour in (7, 12):
        start = dt.datetime.combine(DAY, dt.time(hour, 0), tzinfo=WARSAW)
        practice.slots.add_many(schedule_id, [SlotSpec(
            start, start + dt.timedelta(minutes=10), TermKind.CONTINUING_TREATMENT)])
        continuations.append(practice.slots.at(schedule_id, start).id)
    desks = [desk_copy(tmp_path, name, practice.db, clock) for name in ("R1", "R2")]
    for serial, desk in enumerate(desks, start=1):
        booking.book(desk, desk.patients.add(patient(serial, f"Kontynuacja{serial}"), "ania"),
                     continuations[0], "stable", user="ania", emergency=True, now=clock())
    merge(practice.db, desks[0].db, workstation="R1", clock=clock)
    second = merge(practice.db, desks[1].db, workstation="R2", clock=clock)
    assert second.outcomes == {"moved": 1}
    assert practice.visits.live_for_slot(continuations[1]).patient_id is not None
