"""Applying notifications: all four kinds, duplicates, out-of-order versions, unknown terms."""

from __future__ import annotations

import datetime as dt

import pytest
from push_bodies import START, push_body

from recepcja.cer.push import parse_push_notification
from recepcja.domain.model import SlotState, TermKind, VisitSource, VisitState
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from recepcja.sync.notifications import (
    NotificationApplier,
    Outcome,
    change_log,
    notification_from_payload,
    notification_to_payload,
    store_notification,
)


@pytest.fixture
def repos(tmp_path):
    repos = Repositories.open(tmp_path / "recepcja.sqlite")
    repos.practice.save_provider(Provider(name="Poradnia"))
    place_id = repos.practice.add_place(Place(name="MUŚ", cer_id="MUS-1"))
    resource_id = repos.practice.add_resource(Resource(kind=ResourceKind.DOCTOR, name="dr A"))
    schedule_id = repos.schedules.add(
        Schedule(resource_id=resource_id, place_id=place_id, scope_code="kardiologia",
                 cer_id="HRM-1")
    )
    for index in range(4):
        start = START + dt.timedelta(minutes=30 * index)
        repos.slots.adopt_from_cer(schedule_id, start, start + dt.timedelta(minutes=30),
                                   term_kind=TermKind.DEFAULT_PROCEDURE, cer_id=f"SLT-{index + 1}")
    yield repos
    repos.close()


def receive(repos, *bodies, channel="push"):
    return [store_notification(repos, parse_push_notification(b), channel) for b in bodies]


def apply(repos, listener=None):
    applier = NotificationApplier(repos, listeners=[listener] if listener else [])
    return applier.apply_pending()


def test_payload_round_trip():
    notification = parse_push_notification(push_body(kind="other_provider_booking", version=3))
    assert notification_from_payload(notification_to_payload(notification)) == notification


def test_portal_booking_is_applied_with_a_new_patient_and_listeners_hear_it(repos):
    heard = []
    assert receive(repos, push_body()) == [True]
    changes = apply(repos, heard.extend)
    assert [c.outcome for c in changes] == [Outcome.APPLIED] and heard == changes
    visit = repos.visits.by_cer_id("WIZ-1")
    assert visit.state == VisitState.CONFIRMED and visit.source == VisitSource.PORTAL
    assert visit.cer_version == "1"
    assert repos.slots.by_cer_id("SLT-1").state == SlotState.BOOKED
    assert repos.patients.by_pesel("44051401359").last_name == "Kamińska"
    assert "Kamińska" in changes[0].message() and "44051401359" not in changes[0].message()
    assert changes[0].changed_schedule and repos.notifications.count_unapplied() == 0


@pytest.mark.parametrize("kind, source", [
    ("other_provider_booking", VisitSource.OTHER_PROVIDER),
    ("waiting_room_booking", VisitSource.WAITING_ROOM),
])
def test_other_booking_kinds(repos, kind, source):
    receive(repos, push_body(kind=kind, slot="SLT-2", start=START + dt.timedelta(minutes=30)))
    apply(repos)
    assert repos.visits.by_cer_id("WIZ-1").source == source
    assert repos.slots.by_cer_id("SLT-2").state == SlotState.BOOKED


def test_portal_cancellation_frees_the_slot(repos):
    receive(repos, push_body("NOT-1"))
    apply(repos)
    receive(repos, push_body("NOT-2", "portal_cancel", version=2))
    changes = apply(repos)
    assert [c.outcome for c in changes] == [Outcome.APPLIED]
    assert repos.visits.by_cer_id("WIZ-1").state == VisitState.CANCELLED
    assert repos.slots.by_cer_id("SLT-1").state == SlotState.FREE


def test_duplicates_are_stored_once_whatever_the_channel(repos):
    assert receive(repos, push_body(), push_body()) == [True, False]
    assert receive(repos, push_body(), channel="pull") == [False]
    assert len(apply(repos)) == 1


def test_out_of_order_cancel_before_booking_never_resurrects_the_visit(repos):
    receive(repos, push_body("NOT-2", "portal_cancel", version=2))
    apply(repos)  # the cancellation alone: a tombstone
    receive(repos, push_body("NOT-1", version=1))
    changes = apply(repos)
    assert [c.outcome for c in changes] == [Outcome.STALE]
    assert repos.visits.by_cer_id("WIZ-1").state == VisitState.CANCELLED
    assert repos.slots.by_cer_id("SLT-1").state == SlotState.FREE


def test_out_of_order_in_one_batch_is_ordered_by_cer_time(repos):
    receive(repos, push_body("NOT-3", "portal_booking", version=3),
            push_body("NOT-2", "portal_cancel", version=2), push_body("NOT-1", version=1))
    outcomes = [c.outcome for c in apply(repos)]
    assert outcomes == [Outcome.APPLIED] * 3
    visit = repos.visits.by_cer_id("WIZ-1")
    assert visit.state == VisitState.CONFIRMED and visit.cer_version == "3"


def test_a_term_the_store_does_not_know_is_created(repos):
    start = START + dt.timedelta(days=1)
    receive(repos, push_body(slot="SLT-99", start=start))
    changes = apply(repos)
    assert changes[0].outcome == Outcome.APPLIED
    slot = repos.slots.by_cer_id("SLT-99")
    assert slot is not None and slot.start == start and slot.state == SlotState.BOOKED


def test_unknown_schedule_and_taken_term_are_reported_not_applied(repos):
    receive(repos, push_body("NOT-1", schedule="HRM-77", slot="SLT-77", visit="WIZ-7"))
    receive(repos, push_body("NOT-2", visit="WIZ-1"), push_body("NOT-3", visit="WIZ-2",
                                                               pesel="02070803628"))
    outcomes = {c.cer_notification_id: c.outcome for c in apply(repos)}
    assert outcomes == {"NOT-1": Outcome.UNKNOWN_SCHEDULE, "NOT-2": Outcome.APPLIED,
                        "NOT-3": Outcome.CONFLICT}
    assert repos.visits.by_cer_id("WIZ-2") is None
    stored = repos.notifications.by_cer_id("NOT-3")
    assert stored.applied_at is not None and stored.outcome.startswith("conflict")


def test_change_log_lists_applied_changes_newest_first(repos):
    receive(repos, push_body("NOT-1"))
    apply(repos)
    later = dt.datetime(2030, 1, 1, 13, 0, tzinfo=dt.UTC)
    receive(repos, push_body("NOT-2", "portal_cancel", version=2),
            push_body("NOT-3", visit="WIZ-3", slot="SLT-1", changed=later))
    assert [c.cer_notification_id for c in change_log(repos)] == ["NOT-1"]
    apply(repos)
    log = change_log(repos)
    assert [c.cer_notification_id for c in log] == ["NOT-3", "NOT-2", "NOT-1"]
    assert [c.outcome for c in log] == [Outcome.APPLIED] * 3
    assert log[1].message().startswith("Odwołanie w IKP") or "Cancelled" in log[1].message()
