"""The sync engine's thread against the simulator: it notices the outage, keeps the desk's
bookings queued, and drains the queue by itself within seconds once CeR is back."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time

from emergency_support import add_patient, gateway, pesels

from recepcja.domain.model import Urgency, VisitState
from recepcja.services import booking
from recepcja.store import Repositories
from recepcja.sync.engine import SyncEngine
from recepcja.sync.monitor import ConnectionState
from support.polling import wait_until


def test_engine_rides_out_an_outage_and_replays_automatically(repos, local, db_path,
                                                             onboarded_simulator):
    sim = onboarded_simulator
    states, counts, done = [], [], []
    lock = threading.Lock()

    def on_state(state, emergency):
        with lock:
            states.append((state, emergency))

    engine = SyncEngine(
        lambda: Repositories.open(db_path), lambda: gateway(sim.soap_url, read_timeout=2),
        on_state=on_state, on_queue_count=counts.append,
        on_entry_done=lambda entry, outcome, detail: done.append((entry.visit_id, outcome)),
        idle_interval=0.2, backoff_start=0.1, backoff_cap=0.4, offline_after=2,
    )
    sim.control("POST", "faults", {"operation": "*", "kind": "down"})
    patient = add_patient(repos, pesels(1)[0], 0)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    slots = [s.id for s in repos.slots.free_from(local.schedule_ids[0], start, 3)]
    first = booking.book(repos, patient, slots[0], Urgency.URGENT, user="ania")
    engine.start()
    try:
        wait_until(lambda: engine.state == ConnectionState.OFFLINE and engine.emergency,
                   "offline, in emergency mode", timeout=15)
        second = booking.book(repos, patient, slots[1], Urgency.STABLE, user="ania")
        assert second.emergency  # the desk sees emergency mode through the stored state
        engine.wake()
        time.sleep(0.3)
        assert repos.outbox.count_pending() == 2
        sim.control("DELETE", "faults")
        wait_until(lambda: repos.outbox.count_pending() == 0, "the outbox drained", timeout=15)
        wait_until(lambda: engine.state == ConnectionState.ONLINE, "online", timeout=15)
        # The receptionist's switch holds bookings back even with CeR online.
        engine.set_emergency(True, "ania")
        wait_until(lambda: engine.emergency, "emergency mode", timeout=15)
        third = booking.book(repos, patient, slots[2], Urgency.STABLE, user="ania")
        engine.wake()
        time.sleep(0.5)
        assert repos.outbox.count_pending() == 1 and third.emergency
        engine.set_emergency(False, "ania")
        wait_until(lambda: repos.outbox.count_pending() == 0, "the outbox drained", timeout=15)
    finally:
        engine.stop()
    assert not engine.running
    for result in (first, second, third):
        assert repos.visits.get(result.visit.id).state == VisitState.CONFIRMED
    assert {visit_id for visit_id, _ in done} == {first.visit.id, second.visit.id,
                                                   third.visit.id}
    assert (ConnectionState.OFFLINE, True) in states and counts[-1] == 0
    periods = repos.outages.list()
    assert [p.state for p in periods] == ["offline", "manual"]
    assert all(p.ended_at is not None for p in periods)


def test_an_idle_engine_notices_an_outage_by_probing(db_path, local, onboarded_simulator):
    sim = onboarded_simulator
    passes = []
    engine = SyncEngine(
        lambda: Repositories.open(db_path), lambda: gateway(sim.soap_url, read_timeout=2),
        idle_interval=0.1, backoff_start=0.1, backoff_cap=0.2, offline_after=2,
        probe_interval=0.2, after_pass=lambda repos: passes.append(repos.outbox.count_pending()),
    )
    engine.start()
    try:
        time.sleep(0.3)
        assert engine.state == ConnectionState.ONLINE
        sim.control("POST", "faults", {"operation": "sprawdzStatus", "kind": "down"})
        wait_until(lambda: engine.state == ConnectionState.OFFLINE, "offline", timeout=10)
        during = len(passes)
        sim.control("DELETE", "faults")
        wait_until(lambda: engine.state == ConnectionState.ONLINE, "online", timeout=10)
    finally:
        engine.stop()
    assert passes and during < len(passes)  # the after-pass hook runs while online


def test_the_desk_keeps_booking_while_the_queue_replays(repos, local, db_path,
                                                        onboarded_simulator):
    sim = onboarded_simulator
    people = [add_patient(repos, pesel, i) for i, pesel in enumerate(pesels(31))]
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    slots = [s.id for s in repos.slots.free_from(local.schedule_ids[0], start, 31)]
    for patient, slot in zip(people[:30], slots[:30], strict=True):
        booking.book(repos, patient, slot, Urgency.STABLE, user="ania", emergency=True)
    # Slow enough that the replay is still going with several calls in flight (sync.in_flight).
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "delay",
                                    "seconds": 0.5})
    done = []
    engine = SyncEngine(lambda: Repositories.open(db_path), lambda: gateway(sim.soap_url),
                        on_entry_done=lambda entry, outcome, detail: done.append(outcome),
                        idle_interval=0.1)
    engine.start()
    try:
        wait_until(lambda: len(done) >= 1 or repos.outbox.count_pending() < 30,
                   "the replay under way", timeout=15)
        began = time.perf_counter()
        desk = booking.book(repos, people[30], slots[30], Urgency.URGENT, user="ola")
        took = time.perf_counter() - began
        assert repos.outbox.count_pending() > 1  # the replay is still going
        assert took < 1.0, took  # the desk's write did not wait for the replay
        engine.wake()
        wait_until(lambda: repos.outbox.count_pending() == 0, "the outbox drained")
    finally:
        engine.stop()
        sim.control("DELETE", "faults")
    assert repos.visits.get(desk.visit.id).state == VisitState.CONFIRMED


def test_the_engine_reconnects_when_its_database_connection_breaks(repos, local, db_path,
                                                                   onboarded_simulator):
    """The practice database went away and came back (issue 16): the sync thread's connection
    is dead; the engine opens a new one and sends what waits, without a restart."""
    sim = onboarded_simulator
    opened: list[Repositories] = []

    def open_repos() -> Repositories:
        opened.append(Repositories.open(db_path))
        return opened[-1]

    engine = SyncEngine(open_repos, lambda: gateway(sim.soap_url, read_timeout=2),
                        idle_interval=0.1, backoff_start=0.1, backoff_cap=0.2)
    engine.start()
    try:
        wait_until(lambda: opened and engine.state == ConnectionState.ONLINE, "online",
                   timeout=15)
        opened[0].db.conn = _DeadConnection()  # the thread's connection dies under it
        patient = add_patient(repos, pesels(1)[0], 0)
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        slot = repos.slots.free_from(local.schedule_ids[0], start, 1)[0].id
        booked = booking.book(repos, patient, slot, Urgency.STABLE, user="ania")
        engine.wake()
        wait_until(lambda: repos.outbox.count_pending() == 0, "the outbox drained", timeout=20)
    finally:
        engine.stop()
    assert len(opened) >= 2  # a new connection, not a restart
    assert repos.visits.get(booked.visit.id).state == VisitState.CONFIRMED


class _DeadConnection:
    """What a connection to a database that went away does: every statement fails."""

    def execute(self, *_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("server closed the connection unexpectedly")

    def __getattr__(self, _name: str) -> object:
        raise sqlite3.OperationalError("server closed the connection unexpectedly")

    def close(self) -> None:
        pass
