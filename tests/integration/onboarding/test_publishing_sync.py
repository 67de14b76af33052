"""Publishing against the real simulator: changed templates, exceptions and blocked slots are
withdrawn, per-item rejections are recorded and reported, re-runs are no-ops in CeR."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from recepcja.domain.entities import ScheduleException, SlotSpec
from recepcja.domain.errors import DomainError
from recepcja.domain.model import WARSAW, SlotState
from recepcja.i18n import translate_error
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import CerNotConfigured, gateway_from_context
from recepcja.services.onboarding import STEPS, Step, StepStatus, run_onboarding
from recepcja.services.practice_setup import apply_plan, plan_from_dict
from recepcja.services.publishing import publish_all, slot_local_id
from recepcja.store.repos import Repositories

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "practice.example.toml"


@pytest.fixture
def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def practice(simulator, monkeypatch, example):
    monkeypatch.setenv("RECEPCJA_CER_URL", simulator.soap_url)
    ctx = AppContext.load()
    repos = Repositories.over(ctx.open_db())
    apply_plan(repos.db, plan_from_dict(example), "admin")
    gateway = gateway_from_context(ctx)
    yield repos, gateway
    gateway.close()
    repos.close()


def _live_slots(simulator) -> dict[str, list[tuple[str, str]]]:
    by_schedule: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for slot in simulator.state(sections="slots")["slots"]:
        if not slot["deleted"]:
            by_schedule[slot["schedule"]].append((slot["start"], slot["end"]))
    return by_schedule


def _no_overlaps(by_schedule: dict[str, list[tuple[str, str]]]) -> None:
    for slots in by_schedule.values():
        ordered = sorted(slots)
        for (_s1, end), (start, _e2) in zip(ordered, ordered[1:], strict=False):
            assert end <= start


def test_gateway_factory_needs_an_address(monkeypatch):
    monkeypatch.delenv("RECEPCJA_CER_URL", raising=False)
    with pytest.raises(CerNotConfigured) as info:
        gateway_from_context(AppContext.load())
    assert isinstance(info.value, DomainError)


def test_tls_verification_can_be_switched_off_only_for_a_local_simulator(monkeypatch):
    from recepcja.services.gateway_factory import TlsVerificationRequired

    ctx = AppContext.load()
    ctx.settings.cer.verify_tls = False
    monkeypatch.setenv("RECEPCJA_CER_URL", "https://cer.example.gov.pl/cer")
    with pytest.raises(TlsVerificationRequired) as info:
        gateway_from_context(ctx)
    assert "ca_bundle" in translate_error(info.value)
    for local in ("https://127.0.0.1:8443/cer", "https://localhost:8443/cer",
                  "https://[::1]:8443/cer"):
        monkeypatch.setenv("RECEPCJA_CER_URL", local)
        gateway = gateway_from_context(ctx)
        assert gateway.config.verify is False
        gateway.close()
    ctx.settings.cer.verify_tls = True
    ctx.settings.provider.oid_extension = "000000012345"  # a real CeR needs the provider's id
    monkeypatch.setenv("RECEPCJA_CER_URL", "https://cer.example.gov.pl/cer")
    gateway = gateway_from_context(ctx)
    assert gateway.config.verify is True
    gateway.close()


def test_a_desk_command_with_tls_switched_off_keeps_its_booking_queued(monkeypatch):
    """``book`` commits first, then tries CeR: a refused configuration must not turn that into
    an error (a script would retry and book twice); the reason comes back in Polish."""
    from recepcja.config.settings import save_settings
    from recepcja.services.sync_service import sync_entry_now

    ctx = AppContext.load()
    ctx.settings.cer.verify_tls = False
    save_settings(ctx.paths.settings, ctx.settings)
    monkeypatch.setenv("RECEPCJA_CER_URL", "https://cer.example.gov.pl/cer")
    repos = Repositories.over(ctx.open_db())
    try:
        report = sync_entry_now(AppContext.load(), repos, 12345)
    finally:
        repos.close()
    assert "verify_tls" in report.stopped_by and "symulatora" in report.stopped_by


def test_changed_template_and_new_exception_are_withdrawn_and_republished(
    practice, simulator, example
):
    repos, gateway = practice
    progress: list[tuple[str, int, int]] = []
    result = run_onboarding(repos, gateway, progress=lambda *a: progress.append(a))
    assert result.ok and progress
    before = _live_slots(simulator)
    nowak = repos.schedules.list()[0]
    assert nowak.cer_id is not None

    # Monday 20-minute slots become 30-minute ones; a week off is added.
    example["schedules"][0]["rules"][0]["slot_minutes"] = 30
    apply_plan(repos.db, plan_from_dict(example), "admin")
    today = dt.datetime.now(WARSAW).date()
    week_off = today + dt.timedelta(days=21)
    repos.schedules.add_exception(
        nowak.id, ScheduleException(week_off, week_off + dt.timedelta(days=6), "urlop"), "admin")

    outcome = publish_all(repos, gateway)
    nowak_outcome = outcome.schedules[0]
    assert nowak_outcome.withdrawn > 0 and nowak_outcome.generated > 0
    assert nowak_outcome.published == nowak_outcome.generated
    assert not nowak_outcome.rejected and nowak_outcome.horizon_ok
    assert [s.published for s in outcome.schedules[1:]] == [0, 0]

    after = _live_slots(simulator)
    _no_overlaps(after)
    assert after[nowak.cer_id] != before[nowak.cer_id]
    for start, end in after[nowak.cer_id]:
        day = dt.datetime.fromisoformat(start).astimezone(WARSAW)
        assert not week_off <= day.date() <= week_off + dt.timedelta(days=6)
        if day.weekday() == 0:
            minutes = (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start))
            assert minutes == dt.timedelta(minutes=30)
    # Locally: every live CeR slot is a published local slot, and vice versa.
    local = {(s.start, s.end) for s in repos.slots.for_days(nowak.id, today, today.replace(
        year=today.year + 1)) if s.cer_id and s.state == SlotState.FREE}
    assert len(local) == len(after[nowak.cer_id])

    again = publish_all(repos, gateway)
    assert (again.published, again.withdrawn, again.rejected) == (0, 0, 0)
    assert _live_slots(simulator) == after


def test_blocked_slot_is_withdrawn(practice, simulator):
    repos, gateway = practice
    assert run_onboarding(repos, gateway).ok
    schedule = repos.schedules.list()[1]
    slot = repos.slots.free_from(schedule.id, dt.datetime.now(dt.UTC) + dt.timedelta(days=7))[0]
    repos.slots.set_state(slot.id, SlotState.BLOCKED)
    outcome = publish_all(repos, gateway)
    assert outcome.withdrawn == 1 and outcome.rejected == 0
    state = {s["id"]: s for s in simulator.state(sections="slots")["slots"]}
    assert state[slot.cer_id]["deleted"] is True
    assert publish_all(repos, gateway).withdrawn == 0


def test_per_item_rejections_are_recorded_and_reported(practice, simulator):
    """A term CeR already holds under another local id (published by another system) is
    refused per item; the rest is published; the refused slot stays unpublished."""
    repos, gateway = practice
    first = run_onboarding(repos, gateway, steps=STEPS[:4])
    assert first.ok
    schedule = repos.schedules.list()[0]
    # Generate the slots locally without publishing, then let "someone else" take one.
    publish_all(repos, gateway, place_id=999)  # no schedules: nothing happens
    from recepcja.services.publishing import extend_schedule

    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(WARSAW).date()
    extend_schedule(repos, schedule, now=now, until=today + dt.timedelta(days=120))
    victim = repos.slots.free_from(schedule.id, now + dt.timedelta(days=3))[0]
    (foreign,) = gateway.save_slots(schedule.cer_id,
                                    [("foreign-1", SlotSpec(victim.start, victim.end))])
    assert foreign.accepted

    outcome = publish_all(repos, gateway)
    rejected = outcome.schedules[0].rejected
    assert [r.local_id for r in rejected] == [slot_local_id(victim.id)]
    assert rejected[0].code == "DuplikatSlotu"
    assert outcome.schedules[0].published > 100
    assert repos.slots.get(victim.id).cer_id is None
    from recepcja.services.compliance import compliance_report

    last = compliance_report(repos)["last_publish"]
    assert last["rejected"] == 1 and last["rejections"][0]["code"] == "DuplikatSlotu"
    steps = run_onboarding(repos, gateway, steps=(Step.PUBLISH,)).steps
    assert steps[0].status == StepStatus.DONE and steps[0].rejected == 1
    assert steps[0].rejections[0].code == "DuplikatSlotu"


@pytest.mark.parametrize("kind", ["http500", "drop_response"])
def test_publishing_interrupted_mid_way_resumes_without_duplicates(practice, simulator, kind):
    """One batch fails (nothing done, or done but unanswered); the next run completes the
    horizon and CeR holds every slot once, each recorded locally with its CeR id."""
    from recepcja.cer.errors import CerError

    repos, gateway = practice
    assert run_onboarding(repos, gateway, steps=STEPS[:4]).ok
    simulator.control("POST", "faults", {"operation": "zapiszSloty", "kind": kind, "count": 1})
    with pytest.raises(CerError):
        publish_all(repos, gateway, batch=200)
    resumed = publish_all(repos, gateway, batch=200)
    assert resumed.rejected == 0 and all(s.horizon_ok for s in resumed.schedules)
    live = _live_slots(simulator)
    _no_overlaps(live)
    for schedule in repos.schedules.list():
        slots = simulator.state(sections="slots", schedule=schedule.cer_id)["slots"]
        local_ids = [s["local_id"] for s in slots if not s["deleted"]]
        assert len(local_ids) == len(set(local_ids)) == len(live[schedule.cer_id])
        published = {s.cer_id for s in repos.slots.for_days(
            schedule.id, dt.date.today(), dt.date.today().replace(year=dt.date.today().year + 1))
            if s.cer_id}
        assert published == {s["id"] for s in slots if not s["deleted"]}
    assert publish_all(repos, gateway).published == 0


def test_changed_kind_of_term_is_republished(practice, simulator, example):
    repos, gateway = practice
    assert run_onboarding(repos, gateway).ok
    kowalski = repos.schedules.list()[1]
    example["schedules"][1]["rules"][1]["term_kind"] = "specific_procedure"  # Thursdays
    apply_plan(repos.db, plan_from_dict(example), "admin")
    outcome = publish_all(repos, gateway).schedules[1]
    assert outcome.withdrawn == outcome.generated == outcome.published > 0
    kinds = defaultdict(set)
    for slot in simulator.state(sections="slots", schedule=kowalski.cer_id)["slots"]:
        if not slot["deleted"]:
            kinds[dt.datetime.fromisoformat(slot["start"]).astimezone(WARSAW).weekday()].add(
                slot["kind"])
    assert kinds == {1: {"PROCEDURA_DOMYSLNA"}, 3: {"PROCEDURA_KONKRETNA"}}
    assert publish_all(repos, gateway).published == 0


def test_a_failed_read_back_of_initial_load_terms_does_not_fail_the_step(practice, simulator,
                                                                          tmp_path):
    """Reading back the terms CeR gave the initial-load visits is a convenience: when that
    read fails, the step is still done (reconciliation adopts the terms later)."""
    from recepcja.services.initial_load import import_initial_load
    from recepcja.services.onboarding import Step, StepStatus, run_onboarding

    repos, gateway = practice
    today = dt.date.today()
    monday = today + dt.timedelta(days=14 - today.weekday())
    visits = tmp_path / "wizyty.csv"
    visits.write_text(
        "visit_id;schedule;date;time;minutes;pesel;first_name;last_name;phone;urgency;referral_id\n"
        f"R1;Kardiologia - dr Nowak;{monday};08:00;;44051401359;Jan;Kowalski;;stabilny;SK-1\n",
        encoding="utf-8")
    assert import_initial_load(repos, visits, "admin").imported == 1
    simulator.control("POST", "faults", {"operation": "pobierzSloty", "kind": "http500",
                                         "count": 1})
    result = run_onboarding(repos, gateway, steps=(Step.REGISTER, Step.MOBILE_POINTS,
                                                   Step.SCHEDULES, Step.INITIAL_LOAD))
    loads = [s for s in result.steps if s.step == Step.INITIAL_LOAD]
    assert loads and all(s.status in (StepStatus.DONE, StepStatus.SKIPPED) for s in loads), loads
    assert sum(s.accepted for s in loads) == 1
    assert simulator.control("GET", "faults")["faults"] == []  # the read-back really failed
