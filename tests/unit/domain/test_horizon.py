"""Publication horizon: free terms at least 3 calendar months ahead, per schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from recepcja.domain.errors import ValidationError
from recepcja.domain.horizon import (
    add_months,
    check_configured_months,
    check_horizon,
    check_horizons,
    horizon_deadline,
    published_until,
)
from recepcja.domain.model import WARSAW

D = dt.date


@pytest.mark.parametrize(
    ("today", "deadline"),
    [
        (D(2026, 1, 31), D(2026, 4, 30)),  # April has no 31st
        (D(2026, 11, 30), D(2027, 2, 28)),  # across the year, February
        (D(2027, 11, 30), D(2028, 2, 29)),  # leap year
        (D(2026, 11, 29), D(2027, 2, 28)),
        (D(2026, 3, 15), D(2026, 6, 15)),
        (D(2026, 10, 31), D(2027, 1, 31)),
        (D(2026, 12, 31), D(2027, 3, 31)),
        (D(2026, 2, 28), D(2026, 5, 28)),
    ],
)
def test_deadline_is_three_calendar_months_clamped(today, deadline):
    assert horizon_deadline(today) == deadline


def test_other_horizons():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert horizon_deadline(D(2026, 8, 31), months=6) == D(2027, 2, 28)
    assert horizon_deadline(D(2026, 5, 31), months=12) == D(2027, 5, 31)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)


def test_the_legal_three_months_are_the_floor_of_every_horizon_check():
    """A configuration of one month must not make a schedule CeR refuses look fine."""
    today = D(2026, 1, 31)
    assert horizon_deadline(today, months=1) == horizon_deadline(today) == D(2026, 4, 30)
    status = check_horizon(today, D(2026, 3, 15), months=1)  # 1.5 months published
    assert not status.ok and status.months == 3 and status.deadline == D(2026, 4, 30)
    assert not check_horizons(today, {"s": [dt.datetime(2026, 3, 15, 8, tzinfo=WARSAW)]},
                              months=2)["s"].ok


@pytest.mark.parametrize("months", [1, 2, 0, 25, True, 2.5, "3"])
def test_a_configured_horizon_below_the_law_is_refused(months):
    with pytest.raises(ValidationError, match="from 3 to 24 months"):
        check_configured_months(months, "publishing.horizon_months")
    assert check_configured_months(3, "x") == 3 and check_configured_months(24, "x") == 24


@pytest.mark.parametrize("months", [0, -3, 25, True, 2.5])
def test_horizon_months_are_checked(months):
    with pytest.raises(ValidationError, match="1 to 24 months"):
        horizon_deadline(D(2026, 1, 1), months=months)  # type: ignore[arg-type]


def test_published_until_is_the_latest_local_date():
    starts = [
        dt.datetime(2026, 3, 2, 8, tzinfo=WARSAW),
        dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC),  # 00:30 on 1 May in Warsaw
        dt.datetime(2026, 4, 1, 8, tzinfo=WARSAW),
    ]
    assert published_until(starts) == D(2026, 5, 1)
    assert published_until(iter(starts)) == D(2026, 5, 1)
    assert published_until([]) is None


def test_published_until_refuses_naive_times():
    with pytest.raises(ValueError, match="no time zone"):
        published_until([dt.datetime(2026, 3, 2, 8)])


def test_horizon_met_exactly_on_the_deadline():
    status = check_horizon(D(2026, 1, 31), D(2026, 4, 30))
    assert status.ok
    assert status.short_by_days == 0
    assert status.deadline == D(2026, 4, 30)
    assert status.problem() is None


def test_horizon_beyond_the_deadline():
    status = check_horizon(D(2026, 1, 31), D(2026, 12, 31))
    assert status.ok and status.short_by_days == 0


def test_horizon_short_by_days():
    status = check_horizon(D(2026, 1, 31), D(2026, 4, 20))
    assert not status.ok
    assert status.short_by_days == 10
    problem = status.problem()
    assert problem is not None
    assert problem.params == {
        "published_until": D(2026, 4, 20),
        "months": 3,
        "deadline": D(2026, 4, 30),
        "days": 10,
    }
    assert "10 days missing" in str(problem)


def test_one_day_short():
    status = check_horizon(D(2026, 1, 31), D(2026, 4, 29))
    assert (status.ok, status.short_by_days) == (False, 1)


def test_nothing_published_counts_from_today():
    status = check_horizon(D(2026, 1, 31), None)
    assert not status.ok
    assert status.short_by_days == (D(2026, 4, 30) - D(2026, 1, 31)).days + 1
    assert "No free terms" in str(status.problem())


def test_terms_only_in_the_past():
    status = check_horizon(D(2026, 3, 1), D(2026, 2, 1))
    assert status.short_by_days == (D(2026, 6, 1) - D(2026, 2, 1)).days


def test_grace_days_tolerate_what_the_template_explains():
    # a Monday-only schedule on a Thursday deadline: its last term is 3 days earlier
    status = check_horizon(D(2026, 1, 30), D(2026, 4, 27), grace_days=6)
    assert status.ok and status.short_by_days == 3
    assert not check_horizon(D(2026, 1, 30), D(2026, 4, 20), grace_days=6).ok
    with pytest.raises(ValidationError, match="tolerance"):
        check_horizon(D(2026, 1, 30), None, grace_days=-1)


def test_per_schedule():
    def starts(*days):
        return [dt.datetime(d.year, d.month, d.day, 8, tzinfo=WARSAW) for d in days]

    today = D(2026, 5, 31)  # deadline 31 August
    statuses = check_horizons(
        today,
        {
            "cardiology-A": starts(D(2026, 6, 1), D(2026, 8, 31)),
            "cardiology-B": starts(D(2026, 6, 1), D(2026, 8, 14)),
            "mammography-bus": [],
        },
        grace_days={"cardiology-B": 20},
    )
    assert {key: (s.ok, s.short_by_days) for key, s in statuses.items()} == {
        "cardiology-A": (True, 0),
        "cardiology-B": (True, 17),
        "mammography-bus": (False, 93),  # 31 May (today) to 31 August
    }
    strict = check_horizons(today, {"cardiology-B": starts(D(2026, 8, 14))})
    assert not strict["cardiology-B"].ok
