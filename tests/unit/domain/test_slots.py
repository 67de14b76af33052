"""Slot generation from weekly templates: Warsaw wall time across DST, holidays, exceptions."""

from __future__ import annotations

import datetime as dt

import pytest

from recepcja.domain import slots as slots_module
from recepcja.domain.entities import ScheduleException, WeeklyRule
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, TermKind
from recepcja.domain.slots import (
    ClosedDays,
    generate_slots,
    is_unambiguous_local,
    polish_holidays,
    validate_template,
)

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
T = dt.time


def rule(
    weekday: int,
    start: str,
    end: str,
    minutes: int = 20,
    kind: TermKind = TermKind.DEFAULT_PROCEDURE,
) -> WeeklyRule:
    return WeeklyRule(weekday, T.fromisoformat(start), T.fromisoformat(end), minutes, kind)


def every_weekday(start: str = "08:00", end: str = "12:00", minutes: int = 20) -> list[WeeklyRule]:
    return [rule(day, start, end, minutes) for day in range(7)]


def days_of(slots) -> list[dt.date]:
    return sorted({slot.start.date() for slot in slots})


def real_minutes(slot) -> float:
    return (slot.end.astimezone(dt.UTC) - slot.start.astimezone(dt.UTC)).total_seconds() / 60


# --- DST -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "offset_before", "offset_after"),
    [
        # last Sunday of March 2026 is the 29th: winter (+01:00) -> summer (+02:00)
        (dt.date(2026, 3, 23), dt.date(2026, 3, 30), 1, 2),
        # last Sunday of October 2026 is the 25th: summer (+02:00) -> winter (+01:00)
        (dt.date(2026, 10, 19), dt.date(2026, 10, 26), 2, 1),
    ],
)
def test_eight_oclock_stays_eight_oclock_across_dst(before, after, offset_before, offset_after):
    rules = [rule(MONDAY, "08:00", "12:00", 20)]
    slots = generate_slots(rules, before, after)
    assert days_of(slots) == [before, after]
    for day, offset in ((before, offset_before), (after, offset_after)):
        day_slots = [slot for slot in slots if slot.start.date() == day]
        assert len(day_slots) == 12
        first = day_slots[0]
        assert first.start.time() == T(8, 0)
        assert first.start.tzinfo is WARSAW
        assert first.start.utcoffset() == dt.timedelta(hours=offset)
        assert first.start.isoformat() == f"{day.isoformat()}T08:00:00+0{offset}:00"
        assert first.start.astimezone(dt.UTC).hour == 8 - offset
        assert day_slots[-1].end.time() == T(12, 0)
        for slot in day_slots:
            assert real_minutes(slot) == 20
            assert slot.end - slot.start == dt.timedelta(minutes=20)


@pytest.mark.parametrize("minutes", [5, 15, 20, 30, 45, 60, 240])
def test_every_slot_lasts_exactly_its_length_through_both_dst_weeks(minutes):
    rules = every_weekday("07:00", "19:00", minutes)
    for first, last in (
        (dt.date(2026, 3, 23), dt.date(2026, 4, 3)),
        (dt.date(2026, 10, 19), dt.date(2026, 10, 30)),
    ):
        slots = generate_slots(rules, first, last, holidays=set())
        assert slots
        assert all(real_minutes(slot) == minutes for slot in slots)
        assert all(slot.start.time() >= T(7, 0) and slot.end.time() <= T(19, 0) for slot in slots)


@pytest.mark.parametrize("day", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_night_slots_touching_the_dst_change_are_left_out(day):
    slots = generate_slots([rule(SUNDAY, "00:00", "06:00", 60)], day, day, holidays=set())
    assert [slot.start.hour for slot in slots] == [0, 3, 4, 5]
    assert all(real_minutes(slot) == 60 for slot in slots)


@pytest.mark.parametrize("hours", [("00:00", "23:55"), ("01:50", "03:10"), ("02:00", "03:00"),
                                   ("02:30", "03:30"), ("03:00", "05:00"), ("08:00", "18:00")])
@pytest.mark.parametrize("minutes", [5, 20, 60])
def test_days_without_a_clock_change_skip_the_per_slot_checks_with_the_same_result(hours, minutes):
    """The generator checks for a DST change once per rule and day; the slots must be those of
    checking every slot, on the days of both changes and around them."""
    template = [rule(day, *hours, minutes) for day in range(7)]
    length = dt.timedelta(minutes=minutes)
    for change in (dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2027, 3, 28)):
        first, last = change - dt.timedelta(days=1), change + dt.timedelta(days=1)
        expected = []
        day = first
        while day <= last:
            start = dt.datetime.combine(day, T.fromisoformat(hours[0]), tzinfo=WARSAW)
            stop = dt.datetime.combine(day, T.fromisoformat(hours[1]), tzinfo=WARSAW)
            while start + length <= stop:
                end = start + length
                if (is_unambiguous_local(start) and is_unambiguous_local(end)
                        and end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == length):
                    expected.append((start, end))
                start = end
            day += dt.timedelta(days=1)
        slots = generate_slots(template, first, last, holidays=set())
        assert [(slot.start, slot.end) for slot in slots] == expected
        assert [slot.start.utcoffset() for slot in slots] == [s.utcoffset() for s, _e in expected]


def test_ambiguity_detection():
    assert is_unambiguous_local(dt.datetime(2026, 3, 29, 1, 59, tzinfo=WARSAW))
    assert not is_unambiguous_local(dt.datetime(2026, 3, 29, 2, 30, tzinfo=WARSAW))  # skipped
    assert not is_unambiguous_local(dt.datetime(2026, 10, 25, 2, 30, tzinfo=WARSAW))  # repeated
    assert is_unambiguous_local(dt.datetime(2026, 10, 25, 3, 0, tzinfo=WARSAW))


# --- holidays ------------------------------------------------------------------------------------


def test_christmas_eve_is_a_holiday_from_2025():
    found = polish_holidays([2024, 2025, 2026])
    assert dt.date(2024, 12, 24) not in found
    assert dt.date(2025, 12, 24) in found
    assert dt.date(2026, 12, 24) in found


@pytest.mark.parametrize(("year", "open_on_24th"), [(2024, True), (2025, False), (2026, False)])
def test_slots_on_24_december(year, open_on_24th):
    slots = generate_slots(every_weekday(), dt.date(year, 12, 23), dt.date(year, 12, 27))
    days = days_of(slots)
    assert (dt.date(year, 12, 24) in days) is open_on_24th
    assert dt.date(year, 12, 23) in days
    assert dt.date(year, 12, 25) not in days
    assert dt.date(year, 12, 26) not in days
    assert dt.date(year, 12, 27) in days


def test_christmas_eve_holds_even_with_an_old_holidays_package(monkeypatch):
    def without_christmas_eve(country, years):
        return {dt.date(y, 12, 25): "Christmas Day" for y in years}

    monkeypatch.setattr(slots_module.holidays_lib, "country_holidays", without_christmas_eve)
    assert polish_holidays([2024, 2026]) == {
        dt.date(2024, 12, 25),
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 24),
    }


@pytest.mark.parametrize(
    "holiday",
    [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 6),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 4),
        dt.date(2026, 8, 15),
        dt.date(2026, 11, 11),
    ],
)
def test_public_holidays_are_skipped(holiday):
    before, after = holiday - dt.timedelta(days=1), holiday + dt.timedelta(days=1)
    slots = generate_slots(every_weekday(), before, after)
    assert holiday not in days_of(slots)
    # Easter Monday follows Easter Sunday, itself a holiday
    assert days_of(slots) == [d for d in (before, after) if d not in polish_holidays([2026])]
    assert days_of(slots)


def test_holidays_of_every_year_in_the_range_are_used():
    slots = generate_slots(every_weekday(), dt.date(2025, 12, 30), dt.date(2026, 1, 2))
    assert days_of(slots) == [dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 2)]


def test_custom_or_no_holidays():
    day = dt.date(2026, 11, 11)
    assert days_of(generate_slots(every_weekday(), day, day, holidays=set())) == [day]
    assert (
        generate_slots(
            every_weekday(),
            day + dt.timedelta(days=1),
            day + dt.timedelta(days=1),
            holidays={day + dt.timedelta(days=1)},
        )
        == []
    )


def test_polish_holidays_of_no_years():
    assert polish_holidays([]) == set()


# --- exceptions ----------------------------------------------------------------------------------


def test_exceptions_are_inclusive_date_ranges():
    absence = ScheduleException(dt.date(2026, 3, 10), dt.date(2026, 3, 12), "sick leave")
    slots = generate_slots(
        every_weekday(), dt.date(2026, 3, 9), dt.date(2026, 3, 13), exceptions=[absence]
    )
    assert days_of(slots) == [dt.date(2026, 3, 9), dt.date(2026, 3, 13)]


def test_one_day_exception():
    day_off = ScheduleException(dt.date(2026, 3, 11), dt.date(2026, 3, 11))
    slots = generate_slots(
        every_weekday(), dt.date(2026, 3, 10), dt.date(2026, 3, 12), exceptions=[day_off]
    )
    assert days_of(slots) == [dt.date(2026, 3, 10), dt.date(2026, 3, 12)]


def test_closed_days_merge_overlapping_and_adjacent_ranges():
    closed = ClosedDays(
        [
            ScheduleException(dt.date(2026, 5, 10), dt.date(2026, 5, 20)),
            ScheduleException(dt.date(2026, 5, 1), dt.date(2026, 5, 5)),
            ScheduleException(dt.date(2026, 5, 6), dt.date(2026, 5, 7)),
            ScheduleException(dt.date(2026, 5, 12), dt.date(2026, 5, 14)),
        ]
    )
    inside = {dt.date(2026, 5, d) for d in [*range(1, 8), *range(10, 21)]}
    for day in (dt.date(2026, 4, 30) + dt.timedelta(days=n) for n in range(25)):
        assert (day in closed) is (day in inside), day
    assert "2026-05-01" not in closed


def test_reversed_exception_is_rejected():
    with pytest.raises(ValidationError, match="before it starts"):
        generate_slots(
            every_weekday(),
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 2),
            exceptions=[ScheduleException(dt.date(2026, 3, 5), dt.date(2026, 3, 4))],
        )


# --- generation details --------------------------------------------------------------------------


def test_slots_fit_entirely_before_the_rule_end():
    slots = generate_slots(
        [rule(MONDAY, "08:00", "09:50", 20)], dt.date(2026, 3, 2), dt.date(2026, 3, 2)
    )
    assert [slot.start.strftime("%H:%M") for slot in slots] == [
        "08:00",
        "08:20",
        "08:40",
        "09:00",
        "09:20",
    ]
    assert slots[-1].end.time() == T(9, 40)


def test_several_rules_kinds_and_order():
    rules = [
        rule(TUESDAY, "14:00", "15:00", 30, TermKind.CONTINUING_TREATMENT),
        rule(MONDAY, "12:00", "13:00", 30, TermKind.SPECIFIC_PROCEDURE),
        rule(MONDAY, "08:00", "09:00", 30),
    ]
    slots = generate_slots(rules, dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert [(s.start.strftime("%a %H:%M"), s.term_kind) for s in slots] == [
        ("Mon 08:00", TermKind.DEFAULT_PROCEDURE),
        ("Mon 08:30", TermKind.DEFAULT_PROCEDURE),
        ("Mon 12:00", TermKind.SPECIFIC_PROCEDURE),
        ("Mon 12:30", TermKind.SPECIFIC_PROCEDURE),
        ("Tue 14:00", TermKind.CONTINUING_TREATMENT),
        ("Tue 14:30", TermKind.CONTINUING_TREATMENT),
    ]
    assert slots == sorted(slots, key=lambda slot: slot.start)


def test_a_year_of_a_full_time_schedule():
    rules = [rule(day, "08:00", "16:00", 15) for day in range(MONDAY, SATURDAY)]
    slots = generate_slots(rules, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    working_days = [
        d
        for d in (dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(365))
        if d.weekday() < SATURDAY and d not in polish_holidays([2026])
    ]
    assert len(slots) == len(working_days) * 32
    assert len({slot.start for slot in slots}) == len(slots)


def test_single_day_and_reversed_range():
    day = dt.date(2026, 3, 2)
    assert len(generate_slots([rule(MONDAY, "08:00", "09:00", 30)], day, day)) == 2
    with pytest.raises(ValidationError, match="after the last day"):
        generate_slots([rule(MONDAY, "08:00", "09:00", 30)], day, day - dt.timedelta(days=1))


def test_empty_template_gives_no_slots():
    assert generate_slots([], dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == []


# --- template validation -------------------------------------------------------------------------


def test_overlapping_rules_on_one_weekday_are_rejected():
    rules = [rule(MONDAY, "08:00", "12:00"), rule(MONDAY, "11:00", "13:00")]
    with pytest.raises(ValidationError, match="overlap") as caught:
        validate_template(rules)
    assert caught.value.params == {
        "weekday": "Monday",
        "first": "08:00-12:00",
        "second": "11:00-13:00",
    }
    with pytest.raises(ValidationError, match="overlap"):
        generate_slots(rules, dt.date(2026, 3, 2), dt.date(2026, 3, 2))


@pytest.mark.parametrize(
    "second",
    [
        rule(MONDAY, "08:00", "12:00"),
        rule(MONDAY, "09:00", "10:00"),
        rule(MONDAY, "07:00", "16:00"),
        rule(MONDAY, "07:00", "08:20"),
    ],
)
def test_every_kind_of_overlap_is_found(second):
    with pytest.raises(ValidationError, match="overlap"):
        validate_template([rule(MONDAY, "08:00", "12:00"), second])


def test_touching_rules_and_other_weekdays_are_fine():
    validate_template(
        [
            rule(MONDAY, "08:00", "12:00"),
            rule(MONDAY, "12:00", "16:00", 30),
            rule(TUESDAY, "08:00", "12:00"),
            rule(WEDNESDAY, "08:00", "12:00"),
        ]
    )


@pytest.mark.parametrize("minutes", [0, 4, 241, -20, True, 20.0])
def test_slot_length_out_of_range(minutes):
    with pytest.raises(ValidationError, match="from 5 to 240 minutes"):
        validate_template([WeeklyRule(MONDAY, T(8), T(16), minutes)])  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [5, 240])
def test_slot_length_limits_are_accepted(minutes):
    validate_template([WeeklyRule(MONDAY, T(8), T(16), minutes)])


@pytest.mark.parametrize(("start", "end"), [(T(12), T(8)), (T(8), T(8))])
def test_start_must_be_before_end(start, end):
    with pytest.raises(ValidationError, match="start before it ends"):
        validate_template([WeeklyRule(MONDAY, start, end, 20)])


@pytest.mark.parametrize("weekday", [-1, 7, True, "1"])
def test_weekday_out_of_range(weekday):
    with pytest.raises(ValidationError, match=r"0 \(Monday\) to 6 \(Sunday\)"):
        validate_template([WeeklyRule(weekday, T(8), T(12), 20)])  # type: ignore[arg-type]


def test_slot_longer_than_the_rule_is_rejected():
    with pytest.raises(ValidationError, match="does not fit"):
        validate_template([rule(FRIDAY, "08:00", "08:30", 45)])


def test_times_with_a_zone_are_rejected():
    with pytest.raises(ValidationError, match="without a time zone"):
        validate_template([WeeklyRule(MONDAY, T(8, tzinfo=dt.UTC), T(12), 20)])


def test_unknown_term_kind_is_rejected():
    with pytest.raises(ValidationError, match="Unknown kind of term"):
        validate_template([WeeklyRule(THURSDAY, T(8), T(12), 20, "walk_in")])  # type: ignore[arg-type]
