"""Every CHECK of the schema, on both engines: raw SQL that breaks one is refused by the
database itself, whatever the code above it would have done."""

from __future__ import annotations

import pytest
from store_helpers import refused

from recepcja.domain.entities import Visit
from recepcja.domain.model import Urgency
from recepcja.store import Repositories
from recepcja.store.records import MobilePoint
from support.practice import Practice

# (what it breaks, one UPDATE that breaks it); each runs against a practice with one booking,
# one mobile point, one exception, one notification, one outage and one outbox row.
BREAKS = [
    ("one provider per database", "UPDATE provider SET id = 2"),
    ("mobile point active flag", "UPDATE mobile_points SET active = 2"),
    ("resource kind", "UPDATE resources SET kind = 'robot'"),
    ("resource active flag", "UPDATE resources SET active = 2"),
    ("schedule active flag", "UPDATE schedules SET active = 2"),
    ("exception days in order", "UPDATE schedule_exceptions SET last_day = '2026-01-01'"),
    ("slot state", "UPDATE slots SET state = 'gone'"),
    ("slot ends after it starts", "UPDATE slots SET end_utc = start_utc"),
    ("patient sex", "UPDATE patients SET sex = 'X'"),
    ("PESEL of 11 digits", "UPDATE patients SET pesel = '4405140135X'"),
    ("exactly one identifier", "UPDATE patients SET document_type = 'passport', "
                               "document_number = 'X1'"),
    ("visit urgency", "UPDATE visits SET urgency = 'whenever'"),
    ("visit state", "UPDATE visits SET state = 'lost'"),
    ("visit attendance", "UPDATE visits SET attendance = 'maybe'"),
    ("visit source", "UPDATE visits SET source = 'fax'"),
    ("a waiting-list visit holds no term", "UPDATE visits SET state = 'waiting_list'"),
    ("outbox state", "UPDATE outbox SET state = 'lost'"),
    ("outbox emergency flag", "UPDATE outbox SET emergency = 2"),
    ("notification channel", "UPDATE notifications SET channel = 'fax'"),
    ("outage ends after it starts", "UPDATE outage_log SET ended_at = '2000-01-01T00:00:00Z'"),
    ("place RPWDL codes are JSON", "UPDATE places SET rpwdl_codes = 'not json'"),
    ("place scopes are JSON", "UPDATE places SET scopes = 'not json'"),
    ("schedule template is JSON", "UPDATE schedules SET template = 'not json'"),
    ("outbox payload is JSON", "UPDATE outbox SET payload = 'not json'"),
    ("outbox result is JSON", "UPDATE outbox SET result = 'not json'"),
    ("outage detail is JSON", "UPDATE outage_log SET detail = 'not json'"),
]


@pytest.fixture
def full_practice(repos: Repositories, practice: Practice, patient_id: int) -> Repositories:
    from store_helpers import DAY

    from recepcja.domain.entities import ScheduleException

    repos.visits.book(Visit("V-1", patient_id, None, Urgency.STABLE), practice.slot_ids[0], "ania")
    repos.practice.add_mobile_point(MobilePoint(practice.place_id, "Mammobus", "MB1"))
    repos.schedules.add_exception(practice.schedule_id, ScheduleException(DAY, DAY, "urlop"),
                                  "ania")
    repos.notifications.store("N-1", "visit", "<x/>")
    outage = repos.outages.open("offline", "timeout", {"calls": 1})
    repos.outages.close(outage)
    return repos


@pytest.mark.parametrize(("rule", "sql"), BREAKS, ids=[rule for rule, _ in BREAKS])
def test_the_database_refuses_to_break(full_practice: Repositories, rule: str, sql: str) -> None:
    # SQLite names a CHECK (or the JSON it checks); PostgreSQL a check constraint or the type.
    with refused(full_practice.db, match="check|json"):
        full_practice.db.conn.execute(sql)
