"""Overlapping slots of one schedule and overbooked slots, with concrete examples."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from recepcja.domain.entities import Slot, SlotSpec, WeeklyRule
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW
from recepcja.domain.overlaps import Overbooked, find_overbooked, find_slot_overlaps
from recepcja.domain.slots import generate_slots


def at(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=WARSAW)


def slot(schedule: int, start: dt.datetime, minutes: int = 20, slot_id: int | None = None) -> Slot:
    return Slot(
        schedule_id=schedule, start=start, end=start + dt.timedelta(minutes=minutes), id=slot_id
    )


def brute_force(items):
    pairs = set()
    for i, (key_a, start_a, end_a) in enumerate(items):
        for j, (key_b, start_b, end_b) in enumerate(items):
            if (
                i < j
                and key_a == key_b
                and end_a > start_a
                and end_b > start_b
                and start_a < end_b
                and start_b < end_a
            ):
                pairs.add(frozenset((i, j)))
    return pairs


def test_back_to_back_slots_do_not_overlap():
    slots = [slot(1, at(8)), slot(1, at(8, 20)), slot(1, at(8, 40))]
    assert find_slot_overlaps(slots) == []


def test_duplicate_slots_are_reported():
    first, second = slot(1, at(8), slot_id=10), slot(1, at(8), slot_id=11)
    [overlap] = find_slot_overlaps([first, slot(1, at(9)), second])
    assert overlap.schedule == 1
    assert (overlap.first.id, overlap.second.id) == (10, 11)
    assert overlap.duplicate
    assert (overlap.start, overlap.end) == (at(8), at(8, 20))


def test_partial_overlap_reports_the_shared_time():
    a, b = slot(1, at(8), 30), slot(1, at(8, 20), 30)
    [overlap] = find_slot_overlaps([b, a])
    assert (overlap.first, overlap.second) == (a, b)
    assert not overlap.duplicate
    assert (overlap.start, overlap.end) == (at(8, 20), at(8, 30))


def test_a_long_slot_overlapping_several():
    long = slot(1, at(8), 120)
    short = [slot(1, at(8, 30)), slot(1, at(9)), slot(1, at(11))]
    overlaps = find_slot_overlaps([*short, long])
    assert [(o.first, o.second) for o in overlaps] == [(long, short[0]), (long, short[1])]


def test_other_schedules_do_not_clash():
    assert find_slot_overlaps([slot(1, at(8)), slot(2, at(8)), slot(3, at(8, 10))]) == []


def test_a_doctor_across_schedules_via_the_accessor():
    doctor_of = {1: "dr A", 2: "dr A", 3: "dr B"}
    slots = [slot(1, at(8)), slot(2, at(8, 10)), slot(3, at(8))]
    overlaps = find_slot_overlaps(slots, schedule_of=lambda s: doctor_of[s.schedule_id])
    assert [(o.schedule, o.first.schedule_id, o.second.schedule_id) for o in overlaps] == [
        ("dr A", 1, 2)
    ]


def test_tuples_and_slot_specs_are_accepted():
    tuples = [("S1", at(8), at(9)), ("S1", at(8, 30), at(9, 30)), ("S2", at(8), at(9))]
    [overlap] = find_slot_overlaps(tuples)
    assert overlap.schedule == "S1"
    specs = [SlotSpec(at(8), at(9)), SlotSpec(at(8, 59), at(10))]
    [overlap] = find_slot_overlaps(specs)
    assert overlap.schedule is None
    assert overlap.first is specs[0]


def test_generated_slots_of_a_valid_template_never_overlap():
    rules = [WeeklyRule(d, dt.time(8), dt.time(16), 15) for d in range(5)]
    slots = generate_slots(rules, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert find_slot_overlaps(slots) == []
    # the same slots published twice: every one is a duplicate
    doubled = find_slot_overlaps([*slots, *slots])
    assert len(doubled) == len(slots)
    assert all(o.duplicate for o in doubled)


def test_empty_and_reversed_intervals_are_ignored():
    assert find_slot_overlaps([]) == []
    reversed_and_empty = [("S", at(9), at(8)), ("S", at(8), at(10)), ("S", at(8), at(8))]
    assert find_slot_overlaps(reversed_and_empty) == []


def test_sweep_matches_brute_force_on_random_data():
    generator = random.Random(2026)
    for _ in range(100):
        items = []
        for index in range(generator.randint(0, 40)):
            start = at(8) + dt.timedelta(minutes=5 * generator.randint(0, 40))
            length = dt.timedelta(minutes=5 * generator.randint(0, 8))
            items.append((index, generator.choice("AB"), start, start + length))
        found = find_slot_overlaps(
            items, schedule_of=lambda item: item[1], interval_of=lambda item: item[2:]
        )
        pairs = [frozenset((o.first[0], o.second[0])) for o in found]
        assert len(pairs) == len(set(pairs))  # each pair once
        assert set(pairs) == brute_force([item[1:] for item in items])
        assert all(o.first[2] <= o.second[2] and o.start < o.end for o in found)


def test_many_slots_are_checked_quickly():
    # 200k slots: a practice's year; a quadratic check would not finish in time
    start = at(0, day=1)
    items = [
        (
            n % 10,
            start + dt.timedelta(minutes=15 * (n // 10)),
            start + dt.timedelta(minutes=15 * (n // 10) + 15),
        )
        for n in range(200_000)
    ]
    items.append((3, items[500][1], items[500][2]))
    overlaps = find_slot_overlaps(items)
    assert len(overlaps) == 1
    assert overlaps[0].schedule == 3


# --- overbooking ---------------------------------------------------------------------------------


def test_two_visits_in_one_slot_are_named():
    pairs = [(101, "V-1"), (102, "V-2"), (101, "V-3"), (103, "V-4"), (101, "V-5")]
    assert find_overbooked(pairs) == [
        Overbooked(slot=101, visits=("V-1", "V-3", "V-5"), capacity=1)
    ]
    assert find_overbooked(pairs)[0].excess == 2


def test_mapping_input_and_capacity():
    visits = {"slot-a": ["V1", "V2"], "slot-b": ["V3"], "slot-c": ["V4", "V5", "V6"]}
    assert [o.slot for o in find_overbooked(visits)] == ["slot-a", "slot-c"]
    assert [o.slot for o in find_overbooked(visits, capacity=2)] == ["slot-c"]
    assert find_overbooked(visits, capacity=3) == []


def test_the_same_visit_listed_twice_is_one_visit():
    assert find_overbooked([(1, "V-1"), (1, "V-1")]) == []
    assert find_overbooked({1: ["V-1", "V-1", "V-2"]})[0].visits == ("V-1", "V-2")


def test_nothing_booked():
    assert find_overbooked([]) == []
    assert find_overbooked({}) == []


@pytest.mark.parametrize("capacity", [0, -1, True, 1.5])
def test_capacity_must_be_positive(capacity):
    with pytest.raises(ValidationError, match="at least one visit"):
        find_overbooked([(1, "V")], capacity=capacity)  # type: ignore[arg-type]
