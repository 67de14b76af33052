"""The legal 3 months are the floor of publishing, and publishing always reaches past the
deadline: with ``margin_days = 0`` and a schedule that does not work on the deadline's day,
activation still succeeds on the first run (before, "publish, then onboard again" looped)."""

from __future__ import annotations

import datetime as dt

import pytest

from recepcja.domain.horizon import horizon_deadline
from recepcja.domain.model import WARSAW
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import gateway_from_context
from recepcja.services.onboarding import run_onboarding
from recepcja.services.practice_setup import apply_plan, plan_from_dict
from recepcja.services.publishing import publish_all
from recepcja.store.repos import Repositories

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _practice(weekday: str) -> dict:
    """One cardiology place, one doctor working one hour on one weekday."""
    return {
        "provider": {"name": "Przychodnia Jeden Dzień"},
        "places": [{"key": "k", "name": "Poradnia kardiologiczna", "scopes": ["cardiology"],
                    "rpwdl": {"part_i": "000000012345", "part_v": "01", "part_vii": "001"},
                    "address": {"street": "ul. Krótka 1", "postal_code": "00-950",
                                "city": "Warszawa"}}],
        "resources": [{"key": "d", "kind": "doctor", "name": "dr Ewa Raz",
                       "licence_number": "1234567"}],
        "schedules": [{"name": "Kardiologia - dr Raz", "place": "k", "resource": "d",
                       "scope": "cardiology",
                       "rules": [{"weekday": weekday, "start": "08:00", "end": "09:00",
                                  "slot_minutes": 20}]}],
    }


@pytest.fixture
def desk(simulator, monkeypatch):
    monkeypatch.setenv("RECEPCJA_CER_URL", simulator.soap_url)
    ctx = AppContext.load()
    repos = Repositories.over(ctx.open_db())
    gateway = gateway_from_context(ctx)
    yield repos, gateway
    gateway.close()
    repos.close()


def test_margin_zero_still_reaches_past_the_deadline_and_activates(desk, simulator):
    repos, gateway = desk
    now = dt.datetime.now(dt.UTC)
    deadline = horizon_deadline(now.astimezone(WARSAW).date())
    # The doctor works the day AFTER the deadline's weekday: publishing exactly to the deadline
    # leaves the last free term six days short of it.
    apply_plan(repos.db, plan_from_dict(_practice(WEEKDAYS[(deadline.weekday() + 1) % 7])),
               "admin")

    result = run_onboarding(repos, gateway, now=now, months=3, margin_days=0)
    assert result.ok, [(s.step, s.status, s.error) for s in result.steps]
    assert [p["state"] for p in simulator.state(sections="places")["places"]] == ["AKTYWNE"]
    [schedule] = publish_all(repos, gateway, now=now, months=3, margin_days=0).schedules
    assert schedule.horizon_ok and schedule.published_until > deadline


def test_publish_never_aims_below_the_legal_horizon(desk, simulator):
    repos, gateway = desk
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(WARSAW).date()
    apply_plan(repos.db, plan_from_dict(_practice("mon")), "admin")
    assert run_onboarding(repos, gateway, now=now, margin_days=0).ok
    published = publish_all(repos, gateway, now=now, months=1, margin_days=0)
    assert published.deadline == horizon_deadline(today, 3)
    assert published.until > published.deadline
    assert all(s.horizon_ok for s in published.schedules)
