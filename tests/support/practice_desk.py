"""A desk on a practice database (PostgreSQL) for the window's tests of a server that goes
away: the GUI tests' practice (the training practice's schedules, a week of terms from
``monday``, five patients, one visit) written through the repositories, the desk's server
watch made with a quick probe, and its copy taken once."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.domain.entities import Visit
from recepcja.domain.model import Urgency, VisitSource, VisitState
from recepcja.domain.slots import generate_slots
from recepcja.services.context import AppContext
from recepcja.services.practice_setup import apply_plan, plan_from_dict, rules_from_template
from recepcja.services.server_absence import ServerAbsence
from recepcja.services.training import fallback_practice, training_patients
from recepcja.store import Repositories


def practice_desk(home: Path, url: str, monday: dt.date, monkeypatch: pytest.MonkeyPatch, *,
                  take_copy: bool = True) -> AppContext:
    """The desk at ``home`` on the practice database ``url`` (set up here)."""
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    ctx = AppContext.load(AppPaths(home))
    with Repositories.over(ctx.open_db()) as repos:
        apply_plan(repos.db, plan_from_dict(fallback_practice()), "test")
        for schedule in repos.schedules.list():
            repos.slots.add_many(int(schedule.id or 0), generate_slots(
                rules_from_template(schedule.template), monday, monday + dt.timedelta(days=6)))
        patients = training_patients(random.Random(7), 5)  # test data
        repos.patients.add_many(patients, "test")
        first = repos.schedules.list()[0]
        slot = repos.slots.for_day(int(first.id or 0), monday)[0]
        repos.visits.import_many([Visit("T-1", int(patients[0].id or 0), slot.id,
                                        Urgency.STABLE, state=VisitState.CONFIRMED)], "test",
                                 source=VisitSource.INITIAL_LOAD)
    ctx.server_absence = ServerAbsence.for_context(ctx, probe_interval=0.2)
    if take_copy:
        ctx.server_absence.step()  # connected: the copy is taken
    return ctx
