"""Several replay calls in flight (issue 18), against the simulator over HTTP: two calls for
different visits racing for one term end with one visit booked and the other moved, and a
queue sent with concurrency on ends as it does one row at a time."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from emergency_support import add_patient, cer_visits, gateway, pesels

from recepcja.domain.model import Urgency, VisitState
from recepcja.services import booking
from recepcja.store.records import OutboxState
from recepcja.sync.in_flight import InFlightLimit
from recepcja.sync.replay import Replayer
from recepcja.sync.replay_report import Outcome


def _free_slots(repos, schedule_id, count):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    return [slot.id for slot in repos.slots.free_from(schedule_id, start, count)]


class Meeting:
    """Where the two racing calls meet: both wait at the barrier (so both are in flight at
    once - a replay that sends one row at a time breaks it), then the second is let through
    to CeR as the first is answered, so the outcome the test checks is fixed."""

    def __init__(self, first: str, second: str, contested: str) -> None:
        self.first, self.second, self.contested = first, second, contested
        self.barrier = threading.Barrier(2, timeout=20)
        self.first_answered = threading.Event()
        self.met: set[str] = set()
        self.threads: set[str] = set()


class RacingGateway:
    """A real gateway; the first ``book`` of each racer meets the other at ``Meeting``, and the
    second racer asks CeR for the first's term (as a stale copy of the schedule would)."""

    def __init__(self, real: Any, meeting: Meeting) -> None:
        self.real = real
        self.meeting = meeting

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def clone(self) -> RacingGateway:
        return RacingGateway(self.real.clone(), self.meeting)

    def book(self, slot_cer_id: str, visit_uid: str, *args: Any, **kwargs: Any) -> Any:
        meeting = self.meeting
        if visit_uid not in (meeting.first, meeting.second) or visit_uid in meeting.met:
            return self.real.book(slot_cer_id, visit_uid, *args, **kwargs)
        meeting.met.add(visit_uid)
        meeting.threads.add(threading.current_thread().name)
        meeting.barrier.wait()
        if visit_uid == meeting.second:
            meeting.first_answered.wait(20)
            slot_cer_id = meeting.contested
        try:
            return self.real.book(slot_cer_id, visit_uid, *args, **kwargs)
        finally:
            if visit_uid == meeting.first:
                meeting.first_answered.set()


def test_two_calls_in_flight_for_one_term_end_one_booked_one_moved(repos, local,
                                                                   onboarded_simulator):
    sim = onboarded_simulator
    first_slot, second_slot = _free_slots(repos, local.schedule_ids[0], 2)
    a = booking.book(repos, add_patient(repos, pesels(2)[0], 0), first_slot, Urgency.STABLE,
                     user="ania", emergency=True)
    b = booking.book(repos, add_patient(repos, pesels(2)[1], 1), second_slot, Urgency.STABLE,
                     user="ania", emergency=True)
    contested = repos.slots.get(first_slot).cer_id
    meeting = Meeting(a.visit.visit_uid, b.visit.visit_uid, contested)
    with gateway(sim.soap_url) as real:
        racing = RacingGateway(real, meeting)
        report = Replayer(repos, racing, in_flight=InFlightLimit(4)).run()
    assert len(meeting.threads) == 2  # two workers, both calls in flight at the barrier
    assert report.stopped_by is None
    outcomes = {row["visit_id"]: row["outcome"] for row in report.outcomes}
    assert outcomes == {a.visit.id: str(Outcome.BOOKED), b.visit.id: str(Outcome.MOVED)}
    held = {v["visit_uid"]: v for v in cer_visits(sim) if not v.get("cancelled")}
    assert held[a.visit.visit_uid]["slot"] == contested
    moved = repos.visits.get(b.visit.id)
    assert moved.state == VisitState.CONFIRMED and moved.slot_id not in (first_slot, None)
    assert held[b.visit.visit_uid]["slot"] == repos.slots.get(moved.slot_id).cer_id
    assert [v["visit_uid"] for v in cer_visits(sim)].count(b.visit.visit_uid) == 1
    assert repos.outbox.count_pending() == 0


def test_a_queue_sent_with_calls_in_flight_is_sent_exactly_once(repos, local,
                                                               onboarded_simulator):
    sim = onboarded_simulator
    slots = _free_slots(repos, local.schedule_ids[0], 12)
    people = pesels(12, 40)
    visits = [booking.book(repos, add_patient(repos, people[i], i), slot,
                           Urgency.URGENT if i % 3 == 0 else Urgency.STABLE, user="ania",
                           emergency=True) for i, slot in enumerate(slots)]
    # The desk cancels one and moves another before anything was sent: their rows follow.
    booking.cancel(repos, visits[1].visit.id, "rezygnacja", user="ania")
    limit = InFlightLimit(6)
    with gateway(sim.soap_url) as gw:
        report = Replayer(repos, gw, in_flight=limit).run()
        report_after = Replayer(repos, gw, in_flight=limit).run()
    assert report.stopped_by is None and report_after.done == 0
    assert repos.outbox.count_pending() == 0
    assert all(entry.state == OutboxState.DONE for visit in visits
               for entry in repos.outbox.for_visit(visit.visit.id))
    in_cer = [v["visit_uid"] for v in cer_visits(sim)]
    for index, visit in enumerate(visits):
        stored = repos.visits.get(visit.visit.id)
        if index == 1:
            assert stored.state == VisitState.CANCELLED
            continue
        assert stored.state == VisitState.CONFIRMED and stored.slot_id == slots[index]
        assert in_cer.count(stored.visit_uid) == 1
