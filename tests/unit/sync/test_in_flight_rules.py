"""The rules of several replay calls in flight (sync.in_flight): the AIMD limit and the order
rows are handed out in."""

from __future__ import annotations

import datetime as dt

from recepcja.cer.errors import CerRejected, CerTemporary
from recepcja.store.records import OutboxState
from recepcja.store.working_records import OutboxEntry
from recepcja.sync.in_flight import InFlightLimit, is_busy, order_keys, plan

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def entry(entry_id: int, op: str, visit_id: int | None, **payload) -> OutboxEntry:
    return OutboxEntry(entry_id, op, visit_id, payload, OutboxState.QUEUED, 0, None, None, None,
                       NOW, "ania", NOW, True, f"key-{entry_id}")


def test_the_limit_starts_at_half_grows_by_one_per_window_and_never_passes_the_maximum():
    limit = InFlightLimit(8)
    assert limit.limit == 4
    for _ in range(4):
        limit.answered(0.08)
    assert limit.limit == 5
    for _ in range(200):
        limit.answered(0.08)
    assert limit.limit == 8


def test_busy_halves_the_limit_once_per_window_down_to_one():
    limit = InFlightLimit(8)
    for _ in range(100):
        limit.answered(0.08)
    limit.busy()
    assert limit.limit == 4
    limit.busy()  # the calls in flight when CeR said it say the same: no second halving
    assert limit.limit == 4
    for _ in range(20):
        for _ in range(limit.limit):
            limit.busy()
    assert limit.limit == 1


def test_a_call_much_slower_than_usual_halves_the_limit():
    limit = InFlightLimit(8)
    for _ in range(100):
        limit.answered(0.08)
    limit.answered(2.0)
    assert limit.limit == 4 and limit.decreases == 1


def test_only_temporary_failures_count_as_busy():
    assert is_busy(CerTemporary("busy", status=503))
    assert not is_busy(CerRejected("taken", major="B", code="TerminZajety", description="-"))
    assert not is_busy(None)


def test_a_row_keeps_order_with_its_visit_and_every_term_it_names():
    change = entry(1, "change", 7, from_slot_id=10, to_slot_id=11)
    assert order_keys(change, 11) == {("visit", 7), ("slot", 10), ("slot", 11)}
    withdraw = entry(2, "withdraw_slots", None, slot_ids=[3, 4])
    assert order_keys(withdraw, None) == {("slot", 3), ("slot", 4)}
    assert order_keys(entry(3, "unknown", None), None) == frozenset()


def test_urgent_rows_go_first_but_a_booking_waits_for_the_cancellation_freeing_its_term():
    cancel = entry(1, "cancel", 1)  # visit 1 held term 50
    stable = entry(2, "book", 2, slot_id=60)
    urgent_on_freed_term = entry(3, "book", 3, slot_id=50)
    urgent = entry(4, "book", 4, slot_id=70)
    slots = {1: 50, 2: 60, 3: 50, 4: 70}
    ranks = {1: 1, 2: 1, 3: 0, 4: 0}
    planned = plan([urgent, stable, urgent_on_freed_term, cancel],
                   lambda row: ranks[row.visit_id], lambda row: slots[row.visit_id])
    assert [item.entry.id for item in planned] == [3, 4, 1, 2]
    after = {item.entry.id: item.after for item in planned}
    assert after == {3: {1}, 4: set(), 1: set(), 2: set()}


def test_a_row_naming_nothing_keeps_its_place_in_the_queue():
    rows = [entry(1, "book", 1, slot_id=5), entry(2, "other", None), entry(3, "book", 3)]
    planned = plan(rows, lambda row: 0, lambda row: None)
    after = {item.entry.id: item.after for item in planned}
    assert after == {1: set(), 2: {1}, 3: {2}}
