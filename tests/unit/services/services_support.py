"""Helpers of the service tests (a unique module name so no other test folder shadows it): their
moment and their practice - ``support.practice``'s, published, from the day after NOW."""

from __future__ import annotations

import datetime as dt

from recepcja.domain.model import WARSAW
from recepcja.store import Repositories
from support import practice as practice_stack
from support.practice import Clock, Practice, add_patient, pesels

__all__ = ["NOW", "Clock", "Practice", "add_patient", "build_practice", "pesels"]

NOW = dt.datetime(2026, 9, 1, 6, 0, tzinfo=dt.UTC)  # Tuesday 08:00 in Warsaw


def build_practice(repos: Repositories, *, days: int = 5, per_day: int = 16) -> Practice:
    """``per_day`` 15-minute slots from 08:00 on ``days`` weekdays from the day after NOW,
    published with fake CeR ids."""
    first = NOW.astimezone(WARSAW).date() + dt.timedelta(days=1)
    return practice_stack.build_practice(repos, first, days=days, per_day=per_day, published=True)
