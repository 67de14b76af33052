"""Issue 7 acceptance: after busy patient actors, with notifications pushed duplicated and out of
order (or pulled with the receiver off), one reconciliation leaves CeR and the local store in
agreement slot by slot - compared over HTTP (CeR's read-back) and SQL (the repositories)."""

from __future__ import annotations

import time

from notif_support import disagreements

from recepcja.store import Repositories
from recepcja.sync.notification_worker import NotificationWorker
from recepcja.sync.receiver import NotificationReceiver
from recepcja.sync.reconcile import reconcile
from support.polling import wait_until

SECRET = "push-secret-for-tests"
ACTOR_SECONDS = 3.0
ACTOR_RATE = 60


def _run_actors(sim) -> dict:
    sim.control("POST", "actors", {"rate": ACTOR_RATE, "seed": 7})
    time.sleep(ACTOR_SECONDS)
    stats = sim.control("DELETE", "actors")
    assert sum(stats["actions"].values()) > ACTOR_RATE * ACTOR_SECONDS * 0.5, stats
    return stats


def _gateway_factory(practice):
    from notif_support import make_gateway

    return lambda: make_gateway(practice.sim.soap_url)


def test_pushed_duplicated_and_shuffled_then_one_reconciliation_agrees(practice):
    sim = practice.sim
    changes = []
    worker = NotificationWorker(lambda: Repositories.open(practice.db_path),
                                _gateway_factory(practice), pull=False, pull_seconds=0.5,
                                listeners=[changes.extend])
    receiver = NotificationReceiver(practice.db_path, SECRET, port=0, on_stored=worker.wake)
    worker.start()
    receiver.start()
    try:
        sim.control("POST", "notifications", {"url": receiver.url, "secret": SECRET,
                                              "duplicate": True, "shuffle": True})
        _run_actors(sim)
        wait_until(lambda: sim.state(sections="places")["push"]["pending"] == 0)
        notifications = sim.state(sections="notifications")["notifications"]
        # "pending == 0" can be seen while the last pushes are still in flight: wait until the
        # receiver has had every one twice (a missing duplicate still fails, by the deadline).
        wait_until(lambda: receiver.app.counts.get("duplicates", 0) >= len(notifications))
        worker.wake()
        assert worker.wait_idle(30)
    finally:
        receiver.stop()
        worker.stop()
    assert receiver.app.counts.get("duplicates", 0) >= len(notifications)  # each came twice
    assert receiver.app.counts["stored"] == len(notifications)
    assert {c.cer_notification_id for c in changes} == {n["id"] for n in notifications}
    arrival = [n.cer_notification_id for n in reversed(practice.repos.notifications.recent(10**6))]
    cer_order = sorted(arrival, key=lambda cer_id: int(cer_id.split("-")[1]))
    assert arrival != cer_order  # they really arrived out of order
    # Applied in whatever order they came, the notifications alone already made both agree:
    assert disagreements(practice.repos, practice.gateway, practice.cer_schedules) == []
    report = reconcile(practice.repos, practice.gateway)
    assert report.in_agreement, report.to_json()["items"][:5]
    assert disagreements(practice.repos, practice.gateway, practice.cer_schedules) == []
    assert practice.repos.notifications.count_unapplied() == 0


def test_receiver_off_pull_by_cursor_then_one_reconciliation_agrees(practice):
    sim = practice.sim
    reports = []
    worker = NotificationWorker(lambda: Repositories.open(practice.db_path),
                                _gateway_factory(practice), pull=True, pull_seconds=0.3,
                                reconcile_seconds=1.0, on_report=reports.append)
    worker.start()
    try:
        _run_actors(sim)
        last = sim.state(sections="notifications")["notifications"][-1]["cursor"]
        wait_until(lambda: sim.state(sections="places")["acknowledged_cursor"] == last)
        worker.wake()
        assert worker.wait_idle(30)
    finally:
        worker.stop()
    assert practice.repos.sync_state.get("notifications.cursor") == str(last)
    assert reports, "the timer ran no reconciliation"  # on the worker's thread, every second
    report = reconcile(practice.repos, practice.gateway)
    assert report.in_agreement, report.to_json()["items"][:5]
    assert disagreements(practice.repos, practice.gateway, practice.cer_schedules) == []
