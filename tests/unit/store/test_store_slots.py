"""Slots: duplicates skipped, overlaps refused by the database itself, Warsaw day queries."""

from __future__ import annotations

import datetime as dt

import pytest
from store_helpers import DAY, refused

from recepcja.domain.entities import ScheduleException, SlotSpec
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import WARSAW, SlotState, TermKind
from recepcja.store import Repositories
from recepcja.store.dialect import SLOT_OVERLAP, SLOT_START
from recepcja.store.records import Schedule
from support.practice import Practice, morning


def raw_slot(repos: Repositories, schedule_id: int, start: str, end: str) -> None:
    repos.db.conn.execute(
        "INSERT INTO slots (schedule_id, start_utc, end_utc, local_date, term_kind) "
        "VALUES (?, ?, ?, '2026-03-02', 'default_procedure')",
        (schedule_id, start, end),
    )


def test_add_many_skips_exact_duplicates(repos: Repositories, practice: Practice) -> None:
    assert len(practice.slot_ids) == 8
    assert repos.slots.add_many(practice.schedule_id, morning(DAY)) == 0
    assert repos.slots.add_many(practice.schedule_id, morning(DAY, count=10)) == 2
    assert repos.slots.count(practice.schedule_id) == 10


def test_duplicate_slot_rejected_by_the_database(repos: Repositories, practice: Practice) -> None:
    # 08:00 Warsaw in March (CET) is 07:00 UTC: exactly the first stored slot.
    with refused(repos.db, SLOT_START):
        raw_slot(repos, practice.schedule_id, "2026-03-02T07:00:00Z", "2026-03-02T07:15:00Z")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-02T07:05:00Z", "2026-03-02T07:20:00Z"),  # straddles two slots
        ("2026-03-02T07:00:00Z", "2026-03-02T07:30:00Z"),  # same start, longer
        ("2026-03-02T06:50:00Z", "2026-03-02T07:01:00Z"),  # ends inside the first
        ("2026-03-02T08:55:00Z", "2026-03-02T09:30:00Z"),  # starts inside the last
        ("2026-03-02T06:00:00Z", "2026-03-02T10:00:00Z"),  # covers them all
    ],
)
def test_overlapping_slot_rejected_by_the_database(
    repos: Repositories, practice: Practice, start: str, end: str
) -> None:
    with refused(repos.db, SLOT_OVERLAP, SLOT_START):
        raw_slot(repos, practice.schedule_id, start, end)


def test_adjacent_slots_and_other_schedules_are_fine(
    repos: Repositories, practice: Practice
) -> None:
    raw_slot(repos, practice.schedule_id, "2026-03-02T09:00:00Z", "2026-03-02T09:15:00Z")
    other = repos.schedules.add(Schedule(practice.resource_id, practice.place_id, "cardiology"))
    raw_slot(repos, other, "2026-03-02T07:05:00Z", "2026-03-02T07:20:00Z")


def test_overlapping_update_rejected_by_the_database(
    repos: Repositories, practice: Practice
) -> None:
    with refused(repos.db, SLOT_OVERLAP):
        repos.db.conn.execute(
            "UPDATE slots SET end_utc = '2026-03-02T07:20:00Z' WHERE id = ?",
            (practice.slot_ids[0],),
        )
    # Shortening does not clash with anything.
    repos.db.conn.execute(
        "UPDATE slots SET end_utc = '2026-03-02T07:10:00Z' WHERE id = ?", (practice.slot_ids[0],)
    )


def test_add_many_overlap_is_a_conflict_and_stores_nothing(
    repos: Repositories, practice: Practice
) -> None:
    later = morning(DAY, hour=12, count=3)
    clash = SlotSpec(
        dt.datetime(2026, 3, 2, 8, 5, tzinfo=WARSAW), dt.datetime(2026, 3, 2, 8, 25, tzinfo=WARSAW)
    )
    with pytest.raises(ConflictError) as caught:
        repos.slots.add_many(practice.schedule_id, [*later, clash])
    assert caught.value.params == {"start": "2026-03-02 08:05"}
    assert repos.slots.count(practice.schedule_id) == 8


def test_naive_datetimes_are_refused(repos: Repositories, practice: Practice) -> None:
    naive = dt.datetime(2026, 3, 2, 13, 0)
    with pytest.raises(ValueError, match="naive"):
        repos.slots.add_many(practice.schedule_id, [SlotSpec(naive, naive + dt.timedelta(hours=1))])


def test_day_query_uses_the_warsaw_calendar_across_dst(
    repos: Repositories, practice: Practice
) -> None:
    """Last Sunday of March 2026 (29th): 08:00 local is 06:00 UTC after, 07:00 UTC before; a
    00:30 local slot belongs to the local day, although in UTC it is the day before."""
    before, after = dt.date(2026, 3, 27), dt.date(2026, 3, 30)
    repos.slots.add_many(practice.schedule_id, morning(before, count=2) + morning(after, count=2))
    night = dt.datetime(2026, 3, 31, 0, 30, tzinfo=WARSAW)
    repos.slots.add_many(practice.schedule_id, [SlotSpec(night, night + dt.timedelta(minutes=20))])

    (first_before, _) = repos.slots.for_day(practice.schedule_id, before)
    (first_after, _) = repos.slots.for_day(practice.schedule_id, after)
    assert first_before.start.hour == first_after.start.hour == 8
    assert first_before.start.astimezone(dt.UTC).hour == 7
    assert first_after.start.astimezone(dt.UTC).hour == 6
    assert [s.start for s in repos.slots.for_day(practice.schedule_id, dt.date(2026, 3, 31))] == [
        night
    ]
    assert len(repos.slots.for_days(practice.schedule_id, before, after)) == 4


def test_slot_round_trip(repos: Repositories, practice: Practice) -> None:
    start = dt.datetime(2026, 3, 3, 10, 0, tzinfo=WARSAW)
    spec = SlotSpec(start, start + dt.timedelta(minutes=30), TermKind.CONTINUING_TREATMENT)
    repos.slots.add_many(practice.schedule_id, [spec])
    stored = repos.slots.at(practice.schedule_id, start)
    assert stored is not None
    assert (stored.start, stored.end, stored.term_kind) == (spec.start, spec.end, spec.term_kind)
    assert stored.state == SlotState.FREE
    assert stored.start.tzinfo == WARSAW
    assert repos.slots.get(stored.id or 0) == stored


def test_free_from_and_for_scope(repos: Repositories, practice: Practice) -> None:
    repos.slots.set_state(practice.slot_ids[1], SlotState.BLOCKED)
    after = dt.datetime(2026, 3, 2, 8, 0, tzinfo=WARSAW)
    free = repos.slots.free_from(practice.schedule_id, after, limit=3)
    assert [slot.id for slot in free] == [practice.slot_ids[i] for i in (0, 2, 3)]
    scoped = repos.slots.free_for_scope("cardiology", after + dt.timedelta(minutes=1), limit=2)
    assert [slot.id for slot in scoped] == [practice.slot_ids[2], practice.slot_ids[3]]
    assert repos.slots.free_for_scope("mammography", after) == []


def test_publication_bookkeeping(repos: Repositories, practice: Practice) -> None:
    assert len(repos.slots.unpublished(practice.schedule_id)) == 8
    first, second = practice.slot_ids[:2]
    assert repos.slots.mark_published([(first, "CER-S-1"), (second, None)]) == 2
    assert repos.slots.by_cer_id("CER-S-1").id == first  # type: ignore[union-attr]
    assert len(repos.slots.unpublished(practice.schedule_id)) == 6
    assert repos.slots.last_published_start(practice.schedule_id) == repos.slots.get(second).start  # type: ignore[union-attr]
    repos.slots.mark_withdrawn([second])
    assert repos.slots.get(second).state == SlotState.BLOCKED  # type: ignore[union-attr]


def test_schedules_and_exceptions(repos: Repositories, practice: Practice) -> None:
    repos.schedules.mark_created_in_cer(practice.schedule_id, "CER-H-7")
    assert repos.schedules.by_cer_id("CER-H-7").id == practice.schedule_id  # type: ignore[union-attr]
    repos.schedules.add_exception(
        practice.schedule_id, ScheduleException(DAY, DAY + dt.timedelta(days=4), "urlop"), "ania"
    )
    (exception,) = repos.schedules.exceptions(practice.schedule_id)
    assert (exception.first_day, exception.reason, exception.created_by) == (DAY, "urlop", "ania")
    repos.schedules.set_active(practice.schedule_id, False)
    assert repos.schedules.list() == []
    assert len(repos.schedules.list(active_only=False, scope_code="cardiology")) == 1
