"""Outbox methods the emergency replay and the queue export use: pending rows per operation,
claiming and giving back in one transaction, outcomes, the emergency flag, the queue view."""

from __future__ import annotations

import datetime as dt

from store_helpers import make_patient

from recepcja.domain.entities import Visit
from recepcja.domain.model import Urgency
from recepcja.store.records import OutboxOp, OutboxState


def _book(repos, practice, patient_id, index, *, emergency=True):
    visit = Visit(f"uid-{index}", patient_id, None, Urgency.STABLE)
    repos.visits.book(visit, practice.slot_ids[index], "ania", emergency=emergency)
    return repos.outbox.by_key(f"book:uid-{index}")


def test_pending_ops_only_returns_the_operations_asked_for(repos, practice, patient_id):
    first = _book(repos, practice, patient_id, 0)
    other = repos.outbox.enqueue(OutboxOp.PUBLISH_SLOTS, {"schedule": 1}, user="ania")
    assert [e.id for e in repos.outbox.pending_ops([OutboxOp.BOOK])] == [first.id]
    assert [e.id for e in repos.outbox.pending_ops(["publish_slots"])] == [other]
    assert repos.outbox.pending_ops([]) == []
    # A cancel waits for the booking of the same visit.
    repos.visits.cancel(first.visit_id, "rezygnacja", "ania")
    assert [e.op for e in repos.outbox.pending_ops(["book", "cancel"])] == ["book"]


def test_claim_and_release(repos, practice, patient_id, clock):
    rows = [_book(repos, practice, patient_id, i) for i in range(3)]
    assert repos.outbox.claim([r.id for r in rows], "lease-1") == [r.id for r in rows]
    assert repos.outbox.claim([rows[0].id], "lease-1") == []  # already claimed
    assert all(repos.outbox.get(r.id).state == OutboxState.SENDING for r in rows)
    assert {repos.outbox.get(r.id).claimed_by for r in rows} == {"lease-1"}
    repos.outbox.mark_failed(rows[2].id, "down", clock.now + dt.timedelta(seconds=5))
    repos.outbox.claim([rows[2].id], "lease-1")  # not due? claim ignores due time
    assert repos.outbox.release([r.id for r in rows[1:]]) == 2
    assert repos.outbox.get(rows[1].id).state == OutboxState.QUEUED
    assert repos.outbox.get(rows[1].id).attempts == 0
    assert repos.outbox.get(rows[2].id).state == OutboxState.FAILED
    assert repos.outbox.get(rows[0].id).state == OutboxState.SENDING


def test_a_sender_gives_back_only_rows_still_claimed_under_its_lease(
        repos, practice, patient_id):
    """A sender whose lease lapsed (the practice's CeR client that lost its lock) finishes its
    pass late: the rows the next sender has taken over and claimed stay that sender's."""
    rows = [_book(repos, practice, patient_id, i) for i in range(2)]
    repos.outbox.claim([r.id for r in rows], "old-owner")
    assert repos.outbox.recover_interrupted("new-owner") == 2  # read back, then ...
    repos.outbox.requeue(rows[0].id)
    assert repos.outbox.claim([rows[0].id], "new-owner") == [rows[0].id]  # ... in flight
    assert repos.outbox.release([rows[0].id], "old-owner") == 0
    assert repos.outbox.get(rows[0].id).state == OutboxState.SENDING
    assert repos.outbox.get(rows[0].id).claimed_by == "new-owner"
    assert repos.outbox.release([rows[0].id], "new-owner") == 1


def test_outcomes_results_and_the_emergency_flag(repos, practice, patient_id):
    moved = _book(repos, practice, patient_id, 0, emergency=False)
    booked = _book(repos, practice, patient_id, 1)
    assert not moved.emergency and repos.outbox.set_emergency(moved.id)
    assert not repos.outbox.set_emergency(moved.id)  # already flagged
    repos.outbox.set_result(moved.id, {"original_slot_id": 5})
    assert repos.outbox.get(moved.id).result == {"original_slot_id": 5}
    assert repos.outbox.get(moved.id).state == OutboxState.QUEUED
    repos.outbox.mark_done(moved.id, {"outcome": "moved"})
    repos.outbox.mark_done(booked.id, {"outcome": "booked"})
    assert [e.id for e in repos.outbox.with_outcome("book", ["moved", "waiting_list"])] == [
        moved.id]


def test_queue_rows_join_everything_the_spreadsheet_shows(repos, practice, patient_id):
    _book(repos, practice, patient_id, 0)
    online = _book(repos, practice, patient_id, 1, emergency=False)  # waiting, not emergency
    other = repos.patients.add(make_patient("Nowak", "Anna", pesel=None), "ania")
    visit = Visit("uid-x", other, None, Urgency.URGENT, central_request_id="ZGL-9")
    repos.visits.book(visit, practice.slot_ids[2], "ola", emergency=True)
    rows = repos.outbox.queue_rows()
    assert [r["visit_uid"] for r in rows] == ["uid-0", "uid-1", "uid-x"]
    repos.outbox.mark_done(online.id, {"outcome": "booked"})  # CeR has it: not a queue entry
    rows = repos.outbox.queue_rows()
    assert [r["visit_uid"] for r in rows] == ["uid-0", "uid-x"]
    row = rows[1]
    assert row["pesel"] is None and row["document_number"] == "X1"
    assert row["resource_name"] == "dr Anna Nowak" and row["place_name"]
    assert row["central_request_id"] == "ZGL-9" and row["created_by"] == "ola"
    assert row["start_utc"] and row["slot_id"] == practice.slot_ids[2]
    repos.outbox.mark_done(rows[0]["entry_id"], {"outcome": "booked"})
    assert [r["visit_uid"] for r in repos.outbox.queue_rows(include_finished=False)] == ["uid-x"]


def test_has_queued_bookings_says_whether_the_open_queue_lists_anything(repos, practice,
                                                                        patient_id):
    assert not repos.outbox.has_queued_bookings()
    repos.outbox.enqueue(OutboxOp.PUBLISH_SLOTS, {"schedule": 1}, user="ania")
    assert not repos.outbox.has_queued_bookings()  # not a booking: not in the queue dock
    entry = _book(repos, practice, patient_id, 0)
    assert repos.outbox.has_queued_bookings()
    assert repos.outbox.has_queued_bookings() == bool(repos.outbox.queue_rows(False))
    repos.outbox.mark_done(entry.id, {"outcome": "booked"})
    assert not repos.outbox.has_queued_bookings()
    assert repos.outbox.has_queued_bookings() == bool(repos.outbox.queue_rows(False))
