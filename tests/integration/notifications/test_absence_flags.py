"""A portal booking that lands on an absent doctor's day - CeR still offered the term because
the absence's withdrawal had not reached it yet - is flagged to the desk: by the notification
applier at once, by reconciliation when the notification was missed, and in the sync health
(``status``) until the desk moves the visit. Against the simulator over loopback HTTP."""

from __future__ import annotations

import datetime as dt

import soap_raw

from recepcja.domain.model import WARSAW, SlotState
from recepcja.services import absence
from recepcja.services.absence_report import absence_progress
from recepcja.store.records import OutboxState
from recepcja.sync.health import sync_health
from recepcja.sync.notifications import NotificationApplier, Outcome
from recepcja.sync.pull import pull_notifications
from recepcja.sync.reconcile import Drift, Resolution, reconcile
from recepcja.sync.replay import Replayer


def _absent_day(practice, index: int):
    """Record the absence of the first schedule's doctor on the day of its ``index``-th term
    (no visits there); its withdrawal from CeR stays queued. Returns (applied, day's terms)."""
    repos = practice.repos
    slot = repos.slots.by_cer_id(practice.sim.place.slot_ids()[index])
    day = slot.start.astimezone(WARSAW).date()
    schedule = repos.schedules.get(slot.schedule_id)
    now = dt.datetime.now(WARSAW)
    affected = absence.affected_visits(repos, schedule.resource_id, day, day, now=now)
    plan = absence.plan_absence(schedule.resource_id, day, day, "choroba", affected, move=True)
    applied = absence.apply_absence(repos, plan, user="ania", now=now)
    assert applied.withdrawal_ids and applied.blocked
    return applied, repos.slots.for_day(slot.schedule_id, day)


def test_a_portal_booking_on_an_absent_day_is_flagged_when_its_notification_arrives(practice):
    sim, repos = practice.sim, practice.repos
    applied, terms = _absent_day(practice, 40)
    target = terms[2]
    assert target.state == SlotState.BLOCKED
    sim.control("POST", "portal-booking", {"slot": target.cer_id, "pesel": soap_raw.PESEL_A})

    pull_notifications(practice.gateway, repos)
    (change,) = NotificationApplier(repos, practice.gateway).apply_pending()
    assert change.outcome == Outcome.ON_ABSENCE and change.needs_the_desk
    assert "nieobecny" in change.message() and change.detail == "choroba"
    health = sync_health(repos)
    assert [v["start"][:16] for v in health["visits_on_absence"]] == [
        target.start.astimezone(WARSAW).isoformat(timespec="minutes")[:16]]
    assert "visits_on_absence" in health["alarms"]
    assert soap_raw.PESEL_A not in str(health)  # masked

    # the withdrawal goes out now and leaves the patient's term alone
    Replayer(repos, practice.gateway).run()
    progress = absence_progress(repos, applied)
    assert progress.withdrawal_waiting == 0 and progress.withdrawn == len(applied.blocked) - 1
    state = {s["id"]: s["state"] for s in sim.state(sections="slots")["slots"]}
    assert state[target.cer_id] == "booked"
    assert all(state[t.cer_id] == "deleted" for t in terms if t.id != target.id)
    report = reconcile(repos, practice.gateway)
    assert [(i.drift, i.resolution) for i in report.items] == [
        (Drift.VISIT_ON_ABSENCE, Resolution.HUMAN)]


def test_a_missed_notification_is_found_by_reconciliation_and_flagged(practice):
    sim, repos = practice.sim, practice.repos
    applied, terms = _absent_day(practice, 60)
    target = terms[1]
    booked = sim.control("POST", "portal-booking", {"slot": target.cer_id,
                                                    "pesel": soap_raw.PESEL_A})["visit"]
    # the notification never arrives; the withdrawal is sent and CeR refuses the booked term
    Replayer(repos, practice.gateway).run()
    (entry,) = [repos.outbox.get(i) for i in applied.withdrawal_ids]
    assert entry.state == OutboxState.DONE
    assert [r["slot_id"] for r in entry.result["refused"]] == [target.id]
    progress = absence_progress(repos, applied)
    assert progress.withdrawal_refused and not progress.complete
    assert any("pacjent" in line for line in progress.left_to_do())
    assert sync_health(repos)["terms_to_withdraw"] == 1  # said, and publish retries it

    report = reconcile(repos, practice.gateway)
    kinds = [(i.drift, i.resolution, i.visit_cer_id) for i in report.items]
    assert kinds == [(Drift.VISIT_MISSING_LOCALLY, Resolution.REPAIRED, booked["id"]),
                     (Drift.VISIT_ON_ABSENCE, Resolution.HUMAN, booked["id"])]
    assert not report.in_agreement
    health = sync_health(repos)
    assert [v["visit_cer_id"] for v in health["visits_on_absence"]] == [booked["id"]]
    assert health["terms_to_withdraw"] == 0  # the patient's term is booked here now
