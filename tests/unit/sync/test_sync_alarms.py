"""The sync health's alarms on a real SQLite store: a change that has waited for CeR longer
than the threshold is listed with who queued it and what it is (patient masked as the logs
mask him), in any unfinished state; a younger one is not; the threshold is a setting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from recepcja.config.settings import settings_from_dict
from recepcja.domain.entities import Patient, PatientIdentifier, ScheduleException, SlotSpec, Visit
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, Urgency
from recepcja.store import Repositories
from recepcja.store.db import atomic
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from recepcja.sync.health import DEFAULT_OUTBOX_ALARM_MINUTES, sync_health
from recepcja.sync.withdrawals import queue_withdrawal

QUEUED_AT = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 9)


@pytest.fixture
def repos(tmp_path: Path):
    store = Repositories.open(tmp_path / "recepcja.sqlite", lambda: QUEUED_AT)
    store.practice.save_provider(Provider("Przychodnia Serce", nip="5260250995"))
    place = store.practice.add_place(Place("Poradnia", {"I": "000000012345"}, scopes=["c"]))
    doctor = store.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Anna Nowak"))
    schedule = store.schedules.add(Schedule(doctor, place, "cardiology", "Kardiologia - Nowak"))
    start = dt.datetime.combine(DAY, dt.time(8), WARSAW)
    store.slots.add_many(schedule, [SlotSpec(start + i * dt.timedelta(minutes=20),
                                             start + (i + 1) * dt.timedelta(minutes=20))
                                    for i in range(4)])
    yield store
    store.close()


def _book(repos: Repositories, pesel: str = "44051401359") -> tuple[int, int]:
    patient = Patient(PatientIdentifier(pesel=pesel), "Jan", "Kowalski")
    patient_id = repos.patients.add(patient, "ania")
    slot = repos.slots.for_day(1, DAY)[0]
    visit = Visit("REC-1", patient_id, None, Urgency.STABLE)
    repos.visits.book(visit, int(slot.id or 0), "ania")
    return visit.id or 0, int(slot.id or 0)


def test_a_change_waiting_longer_than_the_threshold_is_an_alarm_with_who_and_what(repos):
    visit_id, _slot_id = _book(repos)
    (entry,) = repos.outbox.for_visit(visit_id)
    repos.outbox.mark_sending(entry.id)
    with atomic(repos.db):  # left 'sent' by an older version: still an alarm
        repos.db.conn.execute("UPDATE outbox SET state = 'sent' WHERE id = ?", (entry.id,))
    minutes = DEFAULT_OUTBOX_ALARM_MINUTES
    young = sync_health(repos, now=QUEUED_AT + dt.timedelta(minutes=minutes - 1))
    assert young["stale_outbox"] == [] and young["alarms"] == []

    health = sync_health(repos, now=QUEUED_AT + dt.timedelta(minutes=minutes + 5))
    (row,) = health["stale_outbox"]
    assert row["op"] == "book" and row["state"] == "sent" and row["created_by"] == "ania"
    assert row["patient"] == "L-000001, 440514*****"  # masked as the logs mask it
    assert row["term"] == "2026-03-09T08:00+01:00" and row["schedule"] == "Kardiologia - Nowak"
    assert row["age_minutes"] == minutes + 5
    assert health["alarms"] == ["stale_outbox"]
    assert "44051401359" not in str(health)


def test_a_waiting_withdrawal_and_the_threshold_setting(repos):
    slots = repos.slots.for_day(1, DAY)
    repos.slots.mark_published([(int(s.id or 0), f"SLT-{s.id}") for s in slots])
    entry_id = queue_withdrawal(repos, repos.slots.for_day(1, DAY), user="rejestracja-2")
    assert entry_id is not None
    health = sync_health(repos, now=QUEUED_AT + dt.timedelta(minutes=11), alarm_minutes=10)
    (row,) = health["stale_outbox"]
    assert (row["op"], row["terms"], row["patient"]) == ("withdraw_slots", 4, None)
    assert row["created_by"] == "rejestracja-2" and row["term"] == "2026-03-09T08:00+01:00"
    assert health["outbox_alarm_minutes"] == 10
    assert settings_from_dict({"sync": {"outbox_alarm_minutes": 10}}).sync.outbox_alarm_minutes \
        == 10
    with pytest.raises(ValidationError):
        settings_from_dict({"sync": {"outbox_alarm_minutes": 0}})


def test_a_visit_on_an_absent_day_is_an_alarm_until_it_is_moved(repos):
    visit_id, _slot_id = _book(repos)
    repos.schedules.add_exception(1, ScheduleException(DAY, DAY, "choroba"), "ania")
    now = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(12), WARSAW)
    (item,) = sync_health(repos, now=now)["visits_on_absence"]
    assert (item["visit_id"], item["reason"]) == (visit_id, "choroba")
    assert item["patient"] == "L-000001, 440514*****"
    free = repos.slots.for_day(1, DAY)[1]
    repos.schedules.add_exception(1, ScheduleException(DAY + dt.timedelta(days=7),
                                                       DAY + dt.timedelta(days=7), "urlop"), "x")
    repos.visits.move(visit_id, int(free.id or 0), "ania")
    assert sync_health(repos, now=now)["visits_on_absence"] != []  # still that day
    repos.visits.cancel(visit_id, "lekarz chory", "ania")
    assert sync_health(repos, now=now)["visits_on_absence"] == []
