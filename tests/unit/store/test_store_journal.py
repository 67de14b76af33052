"""The change journal (issue 15): on a practice database every booking, cancellation or
notification is journalled with its day and desk and announced by NOTIFY at COMMIT, so other
desks refresh; a rolled-back change announces nothing; on SQLite the journal stays empty."""

from __future__ import annotations

import pytest
from store_helpers import DAY

from recepcja.domain.entities import Visit
from recepcja.domain.model import Urgency
from recepcja.domain.workstation import Workstation
from recepcja.store import Repositories, journal
from recepcja.store.db import atomic
from support.practice import Clock, Practice


def _book(repos: Repositories, patient_id: int, slot_id: int, uid: str) -> int:
    return repos.visits.book(Visit(uid, patient_id, None, Urgency.STABLE), slot_id, "ania")


def test_a_booking_is_journalled_with_its_day_and_desk(
    repos: Repositories, practice: Practice, patient_id: int, engine: str
) -> None:
    repos.db.identify(Workstation.named("recepcja-parter", "R1"))
    start = journal.last_id(repos.db)
    _book(repos, patient_id, practice.slot_ids[0], "REC-R1-1")
    repos.audit.record("ania", "visit.viewed", patient_id=patient_id)
    assert repos.audit.for_patient(patient_id)[0].workstation == "recepcja-parter"
    entries = journal.since(repos.db, start)
    if engine == "sqlite":
        assert entries == []  # one desk: nobody to tell
        return
    assert {(e.entity, e.local_date, e.workstation) for e in entries} >= {
        ("visit", DAY, "recepcja-parter"), ("slot", DAY, "recepcja-parter")}
    assert journal.prune(repos.db, entries[-1].at) == 0  # nothing old yet


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_another_desk_hears_a_commit_and_not_a_rollback(
    repos: Repositories, practice: Practice, patient_id: int, db_target: str, clock: Clock
) -> None:
    with Repositories.open(db_target, clock) as other:
        listener = journal.ChangeListener(other.db)
        assert not listener.wait(0.05)
        with pytest.raises(RuntimeError), atomic(repos.db):
            _book(repos, patient_id, practice.slot_ids[1], "REC-R1-2")
            raise RuntimeError("the desk changed its mind")
        assert not listener.wait(0.2)
        before = journal.last_id(other.db)
        _book(repos, patient_id, practice.slot_ids[1], "REC-R1-3")
        assert listener.wait(5.0)
        days = {e.local_date for e in journal.since(other.db, before)}
        assert days == {DAY}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_only_a_practice_database_has_desks_to_listen_to(repos: Repositories) -> None:
    with pytest.raises(TypeError):
        journal.ChangeListener(repos.db)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_notification_from_cer_is_journalled_too(repos: Repositories) -> None:
    start = journal.last_id(repos.db)
    assert repos.notifications.store("N-7", "portal_booking", "<n/>")
    [entry] = journal.since(repos.db, start)
    assert (entry.entity, entry.local_date) == ("notification", None)
