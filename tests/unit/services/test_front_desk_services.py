"""The front desk's Qt-free services: the day view's rows and training mode's isolation."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from recepcja.config.paths import AppPaths
from recepcja.domain.entities import Visit
from recepcja.domain.model import WARSAW, Urgency, VisitSource, VisitState
from recepcja.domain.pesel import is_valid_pesel
from recepcja.domain.slots import generate_slots
from recepcja.services import day_view
from recepcja.services.context import AppContext
from recepcja.services.day_view import TermStatus
from recepcja.services.practice_setup import apply_plan, plan_from_dict, rules_from_template
from recepcja.services.training import (
    TrainingRefused,
    fallback_practice,
    require_loopback,
    require_training_context,
    start_training,
    training_patients,
)
from recepcja.store.repos import Repositories

MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def repos(tmp_path: Path):
    repos = Repositories.open(tmp_path / "desk.sqlite")
    apply_plan(repos.db, plan_from_dict(fallback_practice()), "test")
    for schedule in repos.schedules.list():
        repos.slots.add_many(int(schedule.id or 0), generate_slots(
            rules_from_template(schedule.template), MONDAY, MONDAY + dt.timedelta(days=6)))
    patients = training_patients(random.Random(1), 5)  # test data
    repos.patients.add_many(patients, "test")
    first = repos.schedules.list()[0]
    slot = repos.slots.for_day(int(first.id or 0), MONDAY)[0]  # 08:00
    repos.visits.import_many([Visit("V-1", int(patients[0].id or 0), slot.id, Urgency.STABLE,
                                    state=VisitState.CONFIRMED)], "test",
                             source=VisitSource.INITIAL_LOAD)
    yield repos
    repos.close()


def test_day_rows_status_and_order(repos):
    schedules = day_view.schedule_infos(repos)
    now = dt.datetime.combine(MONDAY, dt.time(9, 0), WARSAW)
    rows = day_view.day_rows(repos, schedules, MONDAY, now)
    assert [r.start for r in rows] == sorted(r.start for r in rows)
    by_time = {(r.entry.schedule_id, r.start.strftime("%H:%M")): r for r in rows}
    first = schedules[0].id
    assert by_time[(first, "08:00")].status == TermStatus.BOOKED
    assert by_time[(first, "08:00")].is_past
    assert by_time[(first, "08:20")].status == TermStatus.PAST
    assert by_time[(first, "09:20")].status == TermStatus.FREE
    assert len(day_view.booked_rows(rows)) == 1
    week = day_view.schedule_week(repos, schedules[0], MONDAY, now)  # one schedule, one query
    assert sorted(week) == [MONDAY + dt.timedelta(days=i) for i in range(7)]
    assert [r.entry.slot_id for r in week[MONDAY]] == [
        r.entry.slot_id for r in rows if r.entry.schedule_id == first]


def test_filters_next_free_and_status_numbers(repos):
    choices = day_view.filter_choices(repos)
    assert choices.scopes == ("cardiology",)
    assert len(choices.resources) == 2
    only = day_view.schedule_infos(repos, resource_id=choices.resources[0][0])
    assert len(only) == 1
    now = dt.datetime.combine(MONDAY, dt.time(7, 0), WARSAW)
    found = day_view.next_free(repos, day_view.schedule_infos(repos), now)
    assert found is not None and found[1].strftime("%H:%M") == "08:20"
    numbers = day_view.status_numbers(repos)
    assert numbers.pending_changes == 0 and numbers.last_exchange is None


def test_filters_offer_only_what_an_active_schedule_uses(repos):
    """The filters come from one read of what active schedules use (``ScheduleRepo.in_use``,
    no records made): a place no schedule uses, a doctor whose only schedule was switched off
    and a scope nobody offers are not offered; switched on again, the doctor comes back."""
    from recepcja.domain.model import ResourceKind
    from recepcja.store.records import Place, Resource

    repos.practice.add_place(Place(name="Filia bez harmonogramu", scopes=["mammography"]))
    repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "Dr Bez Harmonogramu"))
    before = day_view.filter_choices(repos)
    first = repos.schedules.list()[0]
    repos.schedules.set_active(int(first.id or 0), False)
    after = day_view.filter_choices(repos)

    schedules = repos.schedules.list()
    names = {r.id: r.name for r in repos.practice.resources()}
    assert after.scopes == ("cardiology",)
    assert after.places == tuple((int(p.id or 0), p.name) for p in repos.practice.places()
                                 if p.id in {s.place_id for s in schedules})
    assert after.resources == tuple(sorted(
        ((rid, names[rid]) for rid in {s.resource_id for s in schedules}),
        key=lambda pair: (pair[1], pair[0])))
    assert (first.resource_id, names[first.resource_id]) in before.resources
    assert (first.resource_id, names[first.resource_id]) not in after.resources
    assert "Dr Bez Harmonogramu" not in {name for _id, name in before.resources}
    assert "Filia bez harmonogramu" not in {name for _id, name in before.places}
    repos.schedules.set_active(int(first.id or 0), True)
    assert day_view.filter_choices(repos) == before


def test_training_patients_have_valid_pesels():
    patients = training_patients(random.Random(3), 60)  # test data
    pesels = [p.identifier.pesel for p in patients if p.identifier.pesel]
    assert len(pesels) > 50 and all(is_valid_pesel(p) for p in pesels)
    assert any(p.identifier.document_number for p in patients)  # some without a PESEL


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/cer", "http://localhost/cer",
                                 "http://[::1]:9/cer", "http://127.5.0.1/cer"])
def test_loopback_addresses_are_accepted(url):
    assert require_loopback(url) == url


@pytest.mark.parametrize("url", ["https://cer.ezdrowie.gov.pl/cer", "http://10.0.0.5/cer",
                                 "http://192.168.1.1/cer", "http://127.0.0.1.evil.example/cer",
                                 "", "file:///etc/passwd"])
def test_anything_else_is_refused(url):
    with pytest.raises(TrainingRefused):
        require_loopback(url)


def test_training_refuses_the_practice_folder(tmp_path: Path):
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    with pytest.raises(TrainingRefused):
        require_training_context(ctx)
    with pytest.raises(TrainingRefused):
        start_training(ctx)
