"""The publication horizon: free terms published at least 3 months ahead, per schedule.

CeR requires each schedule to publish its free terms at least three months ahead (``zapiszSloty``
in the CeR guide) and ``aktywujMus`` confirms that they are complete. A schedule whose horizon
silently shrinks (nobody generated the next month) breaks the obligation without anybody noticing,
so the horizon is checked per schedule and reported with how many days are missing.

"Three months" are calendar months from today, clamped to the end of a shorter month:
31 January + 3 months = 30 April (30 April has no 31st). Dates are local (Europe/Warsaw) dates.
``today`` is always a parameter; nothing here reads the clock.

Three months is the law's minimum (``LEGAL_MINIMUM_MONTHS``) and so the floor of every horizon
computed here: a practice may publish further ahead, never less far than CeR checks. A
configuration below it is refused where it is read (``check_configured_months``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import WARSAW

LEGAL_MINIMUM_MONTHS = 3  # CeR's zapiszSloty / aktywujMus: free terms at least 3 months ahead
DEFAULT_MONTHS = LEGAL_MINIMUM_MONTHS
MAX_MONTHS = 24

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class HorizonStatus:
    """How far one schedule's free terms reach, against the required horizon.

    ``short_by_days`` counts the days after ``published_until`` up to and including ``deadline``
    (with nothing published, from ``today`` on). ``grace_days`` tolerates a shortfall the template
    explains, e.g. a schedule that works only on Mondays cannot have a free term on the deadline
    if that is a Thursday.
    """

    today: dt.date
    deadline: dt.date
    published_until: dt.date | None
    months: int
    short_by_days: int
    grace_days: int = 0

    @property
    def ok(self) -> bool:
        return self.short_by_days <= self.grace_days

    def problem(self) -> DomainError | None:
        """None when the horizon is met, else an error whose message the desk can read."""
        if self.ok:
            return None
        if self.published_until is None:
            return ValidationError(
                N_("No free terms are published. CeR requires free terms at least {months} "
                   "months ahead, until {deadline}."),
                months=self.months,
                deadline=self.deadline,
            )
        return ValidationError(
            N_("Free terms are published only until {published_until}. CeR requires them at "
               "least {months} months ahead, until {deadline} ({days} days missing)."),
            published_until=self.published_until,
            months=self.months,
            deadline=self.deadline,
            days=self.short_by_days,
        )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    import calendar  # (and locale, which it imports) only when a horizon is computed

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def horizon_deadline(today: dt.date, months: int = DEFAULT_MONTHS) -> dt.date:
    """The last day free terms must reach: ``today`` plus ``months`` calendar months, never
    less than the legal minimum."""
    return add_months(today, required_months(months))


def required_months(months: int) -> int:
    """The horizon to check and publish for a configured ``months``: at least the law's."""
    _check_months(months)
    return max(months, LEGAL_MINIMUM_MONTHS)


def check_configured_months(months: object, what: str) -> int:
    """A horizon someone configured (``settings.toml``, ``publish --months``): refused below
    the legal minimum with a line naming ``what``, instead of being quietly raised."""
    if isinstance(months, bool) or not isinstance(months, int) or not (
            LEGAL_MINIMUM_MONTHS <= months <= MAX_MONTHS):
        raise ValidationError(
            N_("{what} must be from {minimum} to {maximum} months: CeR requires free terms at "
               "least {minimum} months ahead by law (found: {months})."),
            what=what, minimum=LEGAL_MINIMUM_MONTHS, maximum=MAX_MONTHS, months=months,
        )
    return months


def published_until(free_slot_starts: Iterable[dt.datetime]) -> dt.date | None:
    """The local date of the latest free slot, or None when there is none.

    Starts must be timezone-aware; they are read as Warsaw dates (a slot at 00:30 local on
    1 May is on 1 May, although it is still 30 April in UTC).
    """
    latest: dt.datetime | None = None
    for start in free_slot_starts:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"slot start {start.isoformat()} has no time zone")
        if latest is None or start > latest:
            latest = start
    return None if latest is None else latest.astimezone(WARSAW).date()


def check_horizon(
    today: dt.date,
    published_until: dt.date | None,
    months: int = DEFAULT_MONTHS,
    *,
    grace_days: int = 0,
) -> HorizonStatus:
    """Whether free terms published until ``published_until`` meet the horizon on ``today``
    (``months`` below the legal minimum count as the minimum)."""
    months = required_months(months)
    deadline = horizon_deadline(today, months)
    if isinstance(grace_days, bool) or not isinstance(grace_days, int) or grace_days < 0:
        raise ValidationError(
            N_("The tolerance of the horizon is a whole number of days, 0 or more "
               "(found: {value})."),
            value=grace_days,
        )
    covered = published_until if published_until is not None else today - dt.timedelta(days=1)
    short = max(0, (deadline - covered).days)
    return HorizonStatus(
        today=today,
        deadline=deadline,
        published_until=published_until,
        months=months,
        short_by_days=short,
        grace_days=grace_days,
    )


def check_horizons(
    today: dt.date,
    free_slot_starts_by_schedule: Mapping[K, Iterable[dt.datetime]],
    months: int = DEFAULT_MONTHS,
    *,
    grace_days: int | Mapping[K, int] = 0,
) -> dict[K, HorizonStatus]:
    """``check_horizon`` for each schedule, from the starts of its free slots.

    ``grace_days`` is one tolerance for all schedules or one per schedule (missing: 0).
    """
    statuses: dict[K, HorizonStatus] = {}
    for schedule, starts in free_slot_starts_by_schedule.items():
        grace = grace_days.get(schedule, 0) if isinstance(grace_days, Mapping) else grace_days
        statuses[schedule] = check_horizon(
            today, published_until(starts), months, grace_days=grace
        )
    return statuses


def _check_months(months: int) -> None:
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError(
            N_("The publication horizon is from 1 to 24 months (found: {months})."),
            months=months,
        )
