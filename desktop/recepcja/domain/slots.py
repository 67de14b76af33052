"""Slots from a weekly template: the terms a schedule publishes to CeR.

A schedule's template says "Mondays 08:00-12:00, 20-minute slots". That is wall-clock time in
Warsaw: a patient booked for 08:00 comes at 08:00 whether it is winter (UTC+01:00) or summer
(UTC+02:00). So slots are built from local dates and times with the Europe/Warsaw zone attached
(``datetime.combine(day, time, tzinfo=WARSAW)``), never by adding 24-hour steps to an instant: that
would move every slot by an hour on the last Sundays of March and October.

Days without slots: the schedule's exceptions (days off, absences; inclusive date ranges) and the
Polish public holidays (the ``holidays`` package; 24 December is a public holiday from 2025 on).

Everything is computed from parameters: no clock, no files, no database.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Container, Iterable, Iterator, Sequence

import holidays as holidays_lib

from recepcja.domain.entities import ScheduleException, SlotSpec, WeeklyRule
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import WARSAW, TermKind

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240

# The year from which 24 December is a public holiday in Poland (Dz.U. 2024 poz. 1965). The
# ``holidays`` package knows it from its early-2025 releases; it is added here as well so that an
# older installed package cannot put patients on a closed day.
CHRISTMAS_EVE_HOLIDAY_FROM = 2025

# For messages: template rules are shown as "Monday 08:00-12:00". Translated at the boundary.
WEEKDAY_NAMES: tuple[str, ...] = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)

_ONE_DAY = dt.timedelta(days=1)


def polish_holidays(years: Iterable[int]) -> set[dt.date]:
    """Polish public holidays (statutory days off) in ``years``."""
    wanted = sorted(set(years))
    if not wanted:
        return set()
    found: set[dt.date] = set(holidays_lib.country_holidays("PL", years=wanted))
    found.update(dt.date(year, 12, 24) for year in wanted if year >= CHRISTMAS_EVE_HOLIDAY_FROM)
    return found


def validate_template(rules: Sequence[WeeklyRule]) -> None:
    """Raise ``ValidationError`` for the first problem in a weekly template.

    Checked: the weekday (0 = Monday ... 6 = Sunday), local times without a zone, start before
    end, the slot length (5 to 240 minutes) and that at least one slot fits, and that no two rules
    of one weekday overlap (they would publish two terms for the same time: the "two patients on
    the same hour" problem CeR's support keeps seeing).
    """
    by_weekday: dict[int, list[WeeklyRule]] = {}
    for rule in rules:
        _check_rule(rule)
        by_weekday.setdefault(rule.weekday, []).append(rule)
    for weekday, day_rules in by_weekday.items():
        ordered = sorted(day_rules, key=lambda rule: (rule.start, rule.end))
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if later.start < earlier.end:
                raise ValidationError(
                    N_("Two rules of the template overlap ({weekday}: {first} and {second}). "
                       "One schedule cannot offer two terms at the same time."),
                    weekday=WEEKDAY_NAMES[weekday],
                    first=_hours(earlier),
                    second=_hours(later),
                )


def generate_slots(
    rules: Sequence[WeeklyRule],
    first_day: dt.date,
    last_day: dt.date,
    exceptions: Sequence[ScheduleException] = (),
    holidays: Container[dt.date] | None = None,
) -> list[SlotSpec]:
    """Slots of one schedule from ``first_day`` to ``last_day`` (local dates, inclusive), in order.

    ``holidays=None`` means the Polish public holidays of the years covered; pass a set of dates
    to use others, or an empty set to work on holidays too. A slot must end by its rule's end;
    time left over at the end of a rule stays unused. A slot whose local times fall into a DST
    change (only possible between 02:00 and 03:00 at night) is left out, because its local time
    would be ambiguous or its real length wrong.
    """
    validate_template(rules)
    if first_day > last_day:
        raise ValidationError(
            N_("The first day ({first_day}) is after the last day ({last_day})."),
            first_day=first_day,
            last_day=last_day,
        )
    return [slot for _day, day_slots in _working_days(rules, first_day, last_day, exceptions,
                                                      holidays) for slot in day_slots]


def first_working_day(
    rules: Sequence[WeeklyRule],
    first_day: dt.date,
    last_day: dt.date,
    exceptions: Sequence[ScheduleException] = (),
    holidays: Container[dt.date] | None = None,
) -> dt.date | None:
    """The first day from ``first_day`` to ``last_day`` on which the template gives at least
    one slot (days off and holidays as in ``generate_slots``), or None."""
    validate_template(rules)
    for day, _slots in _working_days(rules, first_day, last_day, exceptions, holidays):
        return day
    return None


def _working_days(
    rules: Sequence[WeeklyRule], first_day: dt.date, last_day: dt.date,
    exceptions: Sequence[ScheduleException], holidays: Container[dt.date] | None,
) -> Iterator[tuple[dt.date, list[SlotSpec]]]:
    """(day, its slots) for every day with slots, in order."""
    closed = ClosedDays(exceptions)
    if holidays is None:
        holidays = polish_holidays(range(first_day.year, last_day.year + 1))
    by_weekday: dict[int, list[WeeklyRule]] = {}
    for rule in sorted(rules, key=lambda rule: rule.start):
        by_weekday.setdefault(rule.weekday, []).append(rule)
    day = first_day
    while day <= last_day:
        if day not in holidays and day not in closed:
            slots = [slot for rule in by_weekday.get(day.weekday(), ())
                     for slot in _day_slots(day, rule)]
            if slots:
                yield day, slots
        day += _ONE_DAY


class ClosedDays:
    """Days covered by a schedule's exceptions; ``day in closed`` in O(log n).

    Overlapping or adjacent exceptions are merged, so a long list of absences costs no more
    per day than a short one.
    """

    __slots__ = ("_firsts", "_lasts")

    def __init__(self, exceptions: Iterable[ScheduleException]) -> None:
        merged: list[list[dt.date]] = []
        for exception in sorted(exceptions, key=lambda item: item.first_day):
            if exception.first_day > exception.last_day:
                raise ValidationError(
                    N_("The exception \"{reason}\" ends ({last_day}) before it starts "
                       "({first_day})."),
                    reason=exception.reason,
                    first_day=exception.first_day,
                    last_day=exception.last_day,
                )
            if merged and exception.first_day <= merged[-1][1] + _ONE_DAY:
                merged[-1][1] = max(merged[-1][1], exception.last_day)
            else:
                merged.append([exception.first_day, exception.last_day])
        self._firsts = tuple(first for first, _ in merged)
        self._lasts = tuple(last for _, last in merged)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        index = bisect.bisect_right(self._firsts, day) - 1
        return index >= 0 and day <= self._lasts[index]


def shared_hours(
    first: Sequence[WeeklyRule], second: Sequence[WeeklyRule]
) -> tuple[int, dt.time, dt.time] | None:
    """The first (weekday, start, end) both templates work, or None: for one resource in two
    schedules, which must never offer it twice at the same time."""
    for one in sorted(first, key=lambda rule: (rule.weekday, rule.start)):
        for other in second:
            if one.weekday == other.weekday and one.start < other.end and other.start < one.end:
                return one.weekday, max(one.start, other.start), min(one.end, other.end)
    return None


def template_rule_at(rules: Sequence[WeeklyRule], start: dt.datetime) -> WeeklyRule | None:
    """The rule whose grid has a term starting at ``start`` (local wall-clock time): same
    weekday, ``rule.start + k * slot_minutes``, ending by the rule's end. None: off the grid."""
    local = start.replace(tzinfo=None)
    minute = local.hour * 60 + local.minute
    if local.second or local.microsecond:
        return None
    for rule in rules:
        first = rule.start.hour * 60 + rule.start.minute
        last = rule.end.hour * 60 + rule.end.minute - rule.slot_minutes
        if (rule.weekday == local.weekday() and first <= minute <= last
                and (minute - first) % rule.slot_minutes == 0):
            return rule
    return None


def is_unambiguous_local(moment: dt.datetime) -> bool:
    """False for a local time that a DST change skips (spring) or repeats (autumn)."""
    return moment.replace(fold=0).utcoffset() == moment.replace(fold=1).utcoffset()


def _day_slots(day: dt.date, rule: WeeklyRule) -> Iterator[SlotSpec]:
    length = dt.timedelta(minutes=rule.slot_minutes)
    term_kind = TermKind(rule.term_kind)
    start_time = rule.start.replace(fold=0)
    start = dt.datetime.combine(day, start_time, tzinfo=WARSAW)
    stop = dt.datetime.combine(day, rule.end.replace(fold=0), tzinfo=WARSAW)
    # Nearly every rule's hours hold no DST change (one offset at both ends, neither end in a
    # skipped or repeated hour): then no slot can fall into one - Warsaw changes its clock at
    # most once a day - and the per-slot checks below (most of the generator's time) are
    # skipped. Only a rule spanning a night's clock change takes the careful path.
    steady = (
        is_unambiguous_local(start)
        and is_unambiguous_local(stop)
        and start.utcoffset() == stop.utcoffset()
    )
    # Arithmetic between datetimes of the same zone is wall-clock arithmetic in Python: each
    # slot starts ``length`` after the previous one on the clock on the wall.
    while start + length <= stop:
        end = start + length
        if steady or (
            is_unambiguous_local(start)
            and is_unambiguous_local(end)
            and end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == length
        ):
            yield SlotSpec(start=start, end=end, term_kind=term_kind)
        start = end


def _check_rule(rule: WeeklyRule) -> None:
    weekday = rule.weekday
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValidationError(
            N_("The weekday of a template rule must be a number from 0 (Monday) to 6 (Sunday) "
               "(found: {weekday})."),
            weekday=weekday,
        )
    for moment in (rule.start, rule.end):
        if not isinstance(moment, dt.time) or moment.tzinfo is not None:
            raise ValidationError(
                N_("The hours of a template rule must be local times without a time zone "
                   "(found: {value})."),
                value=moment,
            )
    if rule.start >= rule.end:
        raise ValidationError(
            N_("A template rule must start before it ends ({weekday}: {hours})."),
            weekday=WEEKDAY_NAMES[weekday],
            hours=_hours(rule),
        )
    minutes = rule.slot_minutes
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not MIN_SLOT_MINUTES <= minutes <= MAX_SLOT_MINUTES
    ):
        raise ValidationError(
            N_("A slot lasts from {min} to {max} minutes (found: {minutes})."),
            min=MIN_SLOT_MINUTES,
            max=MAX_SLOT_MINUTES,
            minutes=minutes,
        )
    span = dt.datetime.combine(dt.date.min, rule.end) - dt.datetime.combine(dt.date.min, rule.start)
    if span < dt.timedelta(minutes=minutes):
        raise ValidationError(
            N_("A slot of {minutes} minutes does not fit into the hours of a template rule "
               "({weekday}: {hours})."),
            minutes=minutes,
            weekday=WEEKDAY_NAMES[weekday],
            hours=_hours(rule),
        )
    try:
        TermKind(rule.term_kind)
    except ValueError:
        raise ValidationError(
            N_("Unknown kind of term \"{kind}\". Known kinds: {known}."),
            kind=rule.term_kind,
            known=", ".join(kind.value for kind in TermKind),
        ) from None


def _hours(rule: WeeklyRule) -> str:
    return f"{rule.start:%H:%M}-{rule.end:%H:%M}"
