"""Notifications (duplicates ignored), the outage log, the audit log and sync state."""

from __future__ import annotations

import datetime as dt

from recepcja.store import Repositories
from recepcja.store.logs import mask_pesels
from support.practice import Clock


def test_duplicate_notification_is_ignored(repos: Repositories, clock: Clock) -> None:
    assert repos.notifications.store("N-1", "portal_booking", "<n/>", cer_version="5")
    clock.advance(seconds=1)
    assert not repos.notifications.store("N-1", "portal_booking", "<n/>", channel="pull")
    assert repos.notifications.count_unapplied() == 1
    stored = repos.notifications.by_cer_id("N-1")
    assert stored is not None and stored.channel == "push" and stored.cer_version == "5"


def test_unapplied_in_cer_order_then_marked(repos: Repositories, clock: Clock) -> None:
    late = dt.datetime(2026, 3, 1, 8, 0, 5, tzinfo=dt.UTC)
    early = dt.datetime(2026, 3, 1, 8, 0, 1, tzinfo=dt.UTC)
    repos.notifications.store("N-2", "portal_cancellation", "b", cer_timestamp=late)
    repos.notifications.store("N-1", "portal_booking", "a", cer_timestamp=early)
    assert [n.cer_notification_id for n in repos.notifications.unapplied()] == ["N-1", "N-2"]
    first = repos.notifications.unapplied()[0]
    repos.notifications.mark_applied(first.id, "booked slot 7")
    assert [n.cer_notification_id for n in repos.notifications.unapplied()] == ["N-2"]
    applied = repos.notifications.get(first.id)
    assert applied is not None and applied.outcome == "booked slot 7"
    assert applied.applied_at == clock.now
    assert repos.notifications.last_received_at() == clock.now
    assert len(repos.notifications.recent()) == 2


def test_outage_open_escalate_close_list(repos: Repositories, clock: Clock) -> None:
    start = clock.now
    outage = repos.outages.open("degraded", "slow answers", {"p95_ms": 4000})
    assert repos.outages.open("offline", "connection refused") == outage  # one open at a time
    repos.outages.note_failure(outage, "connection refused")
    repos.outages.note_failure(outage, "timeout")
    clock.advance(minutes=42)
    repos.outages.close(outage)
    assert repos.outages.current() is None

    (record,) = repos.outages.list()
    assert (record.state, record.error, record.failed_calls) == ("offline", "timeout", 2)
    assert (record.started_at, record.ended_at) == (start, clock.now)
    assert record.detail == {"p95_ms": 4000}
    assert repos.outages.list(since=clock.now + dt.timedelta(minutes=1)) == []
    assert repos.outages.list(until=start) == []
    second = repos.outages.open("manual")
    assert second != outage
    assert [o.id for o in repos.outages.list(since=clock.now)] == [outage, second]


def test_audit_never_stores_a_pesel(repos: Repositories, patient_id: int) -> None:
    repos.audit.record(
        "ania", "patient.view", patient_id=patient_id, detail="opened 44051401359 card"
    )
    (entry, *_) = repos.audit.recent(1)
    assert entry.detail == "opened 440514***** card"
    stored = [row[0] for row in repos.db.conn.execute("SELECT detail FROM audit_log")]
    assert stored and not any("44051401359" in (detail or "") for detail in stored)
    assert mask_pesels("tel 600123456, id 123456789012") == "tel 600123456, id 123456789012"


def test_sync_state(repos: Repositories, clock: Clock) -> None:
    assert repos.sync_state.get("notification_cursor") is None
    assert repos.sync_state.get("x", "default") == "default"
    repos.sync_state.set("notification_cursor", "abc")
    repos.sync_state.set("notification_cursor", "abd")
    repos.sync_state.set_time("last_reconcile", clock.now)
    assert repos.sync_state.get("notification_cursor") == "abd"
    assert repos.sync_state.get_time("last_reconcile") == clock.now
    assert repos.sync_state.items() == {
        "last_reconcile": "2026-03-01T09:00:00Z",
        "notification_cursor": "abd",
    }
