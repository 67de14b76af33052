"""The outbox: order, retry scheduling, per-visit ordering, guarded transitions, idempotency."""

from __future__ import annotations

import datetime as dt

from store_helpers import NOW_TEXT, refused

from recepcja.domain.entities import Visit
from recepcja.domain.model import Urgency
from recepcja.store import Repositories
from recepcja.store.records import OutboxState
from support.practice import Clock, Practice


def ids(entries) -> list[int]:
    return [entry.id for entry in entries]


def test_pending_in_creation_order(repos: Repositories) -> None:
    first = repos.outbox.enqueue("publish_slots", {"n": 1}, user="sync")
    second = repos.outbox.enqueue("publish_slots", {"n": 2}, user="sync")
    third = repos.outbox.enqueue("withdraw_slots", {"n": 3}, user="sync")
    assert ids(repos.outbox.pending()) == [first, second, third]
    assert ids(repos.outbox.pending(limit=2)) == [first, second]
    assert repos.outbox.count_pending() == 3


def test_retry_scheduling(repos: Repositories, clock: Clock) -> None:
    first = repos.outbox.enqueue("publish_slots", {}, user="sync")
    second = repos.outbox.enqueue("publish_slots", {}, user="sync")
    assert repos.outbox.mark_sending(first)
    retry_at = clock.now + dt.timedelta(seconds=30)
    assert repos.outbox.mark_failed(first, "HTTP 503", retry_at)

    assert ids(repos.outbox.pending()) == [second]  # not due yet
    assert ids(repos.outbox.pending(clock.now + dt.timedelta(seconds=29))) == [second]
    assert ids(repos.outbox.pending(retry_at)) == [first, second]  # due: back in its place
    assert repos.outbox.next_due_at() == clock.now  # second is due now

    entry = repos.outbox.get(first)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.last_error, entry.next_attempt_at) == (
        OutboxState.FAILED,
        1,
        "HTTP 503",
        retry_at,
    )
    clock.advance(seconds=30)
    assert repos.outbox.mark_sending(first)
    assert repos.outbox.get(first).attempts == 2  # type: ignore[union-attr]


def test_a_later_operation_never_overtakes_an_earlier_one_of_the_same_visit(
    repos: Repositories, practice: Practice, patient_id: int, clock: Clock
) -> None:
    visit_id, outbox_id = repos.visits.book(
        Visit("V-1", patient_id, None, Urgency.URGENT), practice.slot_ids[0], "ania"
    )
    repos.visits.cancel(visit_id, "changed mind", "ania")
    book, cancel = repos.outbox.for_visit(visit_id)
    assert book.id == outbox_id  # book() names its own outbox row
    unrelated = repos.outbox.enqueue("publish_slots", {}, user="sync")

    assert ids(repos.outbox.pending()) == [book.id, unrelated]
    repos.outbox.mark_sending(book.id)
    assert ids(repos.outbox.pending()) == [unrelated]  # book in flight: cancel waits
    repos.outbox.mark_failed(book.id, "timeout before sending", clock.now + dt.timedelta(hours=1))
    assert ids(repos.outbox.pending()) == [unrelated]  # book waits for its retry: so does cancel
    repos.outbox.mark_sending(book.id)
    repos.outbox.mark_done(book.id, {"cer_id": "CER-W-1"})
    assert ids(repos.outbox.pending()) == [cancel.id, unrelated]


def test_transitions_are_guarded(repos: Repositories) -> None:
    entry_id = repos.outbox.enqueue("book", {}, user="ania")
    assert repos.outbox.mark_sending(entry_id, "lease-1")
    assert not repos.outbox.mark_sending(entry_id, "lease-2")  # nobody else can claim it
    assert repos.outbox.mark_done(entry_id, {"ok": True})
    assert repos.outbox.get(entry_id).result == {"ok": True}  # type: ignore[union-attr]
    assert not repos.outbox.mark_failed(entry_id, "late", dt.datetime.now(dt.UTC))
    assert not repos.outbox.mark_sending(entry_id)
    assert repos.outbox.count_pending() == 0


def test_rejected_is_terminal_and_kept(repos: Repositories) -> None:
    entry_id = repos.outbox.enqueue("book", {}, user="ania")
    repos.outbox.mark_sending(entry_id)
    assert repos.outbox.mark_rejected(entry_id, "urn:csioz:p1:kod:minor:TerminZajety", {"x": 1})
    assert repos.outbox.pending() == []
    assert repos.outbox.count_pending() == 0
    assert ids(repos.outbox.in_states([OutboxState.REJECTED])) == [entry_id]


def test_ambiguous_waits_for_read_back(repos: Repositories) -> None:
    entry_id = repos.outbox.enqueue("book", {}, user="ania")
    repos.outbox.mark_sending(entry_id)
    assert repos.outbox.mark_ambiguous(entry_id, "read timeout after sending")
    assert repos.outbox.pending() == []  # never resent blindly
    assert ids(repos.outbox.ambiguous()) == [entry_id]
    assert repos.outbox.count_pending() == 1
    assert repos.outbox.requeue(entry_id)  # read-back: CeR does not have it
    assert ids(repos.outbox.pending()) == [entry_id]


def test_only_rows_of_a_sender_that_is_gone_become_ambiguous(repos: Repositories) -> None:
    mine = repos.outbox.enqueue("book", {}, user="ania")
    orphan = repos.outbox.enqueue("book", {}, user="ania")
    untagged = repos.outbox.enqueue("book", {}, user="ania")
    assert repos.outbox.claim([mine], "lease-now") == [mine]
    assert repos.outbox.claim([orphan], "lease-of-a-killed-process") == [orphan]
    repos.outbox.mark_sending(untagged)  # claimed without a token (an older version)
    # The new holder of the sender lock takes over the rows claimed under any other lease.
    assert repos.outbox.recover_interrupted("lease-now") == 2
    state = {entry_id: repos.outbox.get(entry_id).state  # type: ignore[union-attr]
             for entry_id in (mine, orphan, untagged)}
    assert state == {mine: OutboxState.SENDING, orphan: OutboxState.AMBIGUOUS,
                     untagged: OutboxState.AMBIGUOUS}
    assert repos.outbox.recover_interrupted("lease-now") == 0


def test_a_row_left_sent_by_an_older_version_is_read_back(repos: Repositories) -> None:
    """``sent`` (CeR answered, its answer not applied) was a dead end: nothing picked it up."""
    entry_id = repos.outbox.enqueue("book", {}, user="ania")
    repos.outbox.mark_sending(entry_id, "old")
    repos.db.conn.execute("UPDATE outbox SET state = 'sent' WHERE id = ?", (entry_id,))
    assert repos.outbox.recover_interrupted("new") == 1
    assert repos.outbox.get(entry_id).state == OutboxState.AMBIGUOUS  # type: ignore[union-attr]


def test_idempotency_key_deduplicates(repos: Repositories) -> None:
    first = repos.outbox.enqueue("book", {"a": 1}, user="ania", idempotency_key="book:V-1")
    again = repos.outbox.enqueue("book", {"a": 2}, user="ania", idempotency_key="book:V-1")
    assert first == again
    assert repos.outbox.by_key("book:V-1").payload == {"a": 1}  # type: ignore[union-attr]
    assert repos.outbox.count_pending() == 1


def test_payload_must_be_json_in_the_database(repos: Repositories) -> None:
    # SQLite: a CHECK (json_valid); PostgreSQL: the jsonb type itself.
    with refused(repos.db, match="check|json"):
        repos.db.conn.execute(
            "INSERT INTO outbox (op, payload, created_at, created_by, updated_at, "
            f"idempotency_key) VALUES ('book', 'not json', '{NOW_TEXT}', 'x', '{NOW_TEXT}', 'k')"
        )


def test_emergency_entries_and_counts(repos: Repositories) -> None:
    normal = repos.outbox.enqueue("book", {}, user="ania")
    urgent = repos.outbox.enqueue("book", {}, user="ania", emergency=True)
    assert ids(repos.outbox.emergency_entries()) == [urgent]
    repos.outbox.mark_sending(urgent)
    repos.outbox.mark_done(urgent)
    assert ids(repos.outbox.emergency_entries(include_finished=False)) == []
    assert repos.outbox.counts() == {"queued": 1, "done": 1}
    assert normal
