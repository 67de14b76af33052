"""The outbox: CeR operations waiting to be sent, persistent across crashes and outages.

A row is written in the same transaction as the change it carries (see ``VisitRepo``), so a
change is never saved without its way to CeR, nor sent without being saved.

Only one sender works on a data folder's outbox at a time: it holds the data folder's sender
lock (``store.sender_lock``), and every row it claims carries its lease token in
``claimed_by``. The state machine (every state either progresses by itself or is shown to a
person)::

    queued ──claim──▶ sending ──CeR answered + local apply (ONE transaction)──▶ done
      ▲                │  │ │
      │                │  │ └─CeR refused (+ its local undo, one transaction)──▶ rejected
      │                │  └─CeR unreachable, nothing committed──▶ failed ──due──▶ claim
      │                ├─may have committed (timeout after sending)──▶ ambiguous
      │                ├─sender gone (killed; the OS freed its lock)──recovery──▶ ambiguous
      │                └─never sent (the pass stopped first)──release──▶ queued | failed
      └──── read back: CeR does not have it (or the operation is idempotent) ── ambiguous
                          read back: CeR has it ──apply + done (one transaction)──▶ done

- ``queued`` / ``failed``: claimed by the next pass once due (``failed`` after its backoff).
- ``sending``: only while the claiming sender holds the lock. The sender resolves every row it
  claimed before it lets the lock go (done, rejected, failed, ambiguous or released); if it is
  killed instead, the OS releases the lock and the next holder turns the rows ambiguous
  (``recover_interrupted`` with its own token: rows claimed by anyone else are orphans).
- ``ambiguous``: settled at the start of every pass by reading CeR back - never resent blindly.
  While CeR cannot be read it stays, and the outage is on the banner and the outage record.
- ``sent``: no longer written (a commit between CeR's answer and its local apply left rows
  there forever); rows an older version left are recovered as ``ambiguous`` and read back.
- ``done``, ``rejected``: terminal. A rejection keeps CeR's reason for the queue list and the
  window.

A later operation on the same visit waits while an earlier one is unfinished (a cancellation
never overtakes the booking it cancels). The backoff policy belongs to the sync engine; this
module only stores when a row is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from recepcja.store.codec import (
    from_json,
    optional_parse_utc,
    parse_utc,
    to_json,
    utc_now,
    utc_text,
)
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, insert_id, scalar
from recepcja.store.records import OUTBOX_TERMINAL, OutboxState
from recepcja.store.working_records import OutboxEntry

Clock = Callable[[], dt.datetime]

# Not done, not rejected. Spelled exactly as the partial index ``outbox_due`` is: SQLite uses a
# partial index only when the query repeats its WHERE term.
_OPEN = "('queued', 'sending', 'sent', 'failed', 'ambiguous')"
# A booking CeR refused while its visit still holds the term here: a person must act (cancel,
# book again), so the queue keeps showing it. ``outbox_rejected`` indexes the rejected rows.
_REJECTED_UNRESOLVED = (
    "(o.state = 'rejected' AND v.state IN ('pending', 'waiting_list') AND v.cer_id IS NULL)"
)
# The queue's rows: waiting ones found through the partial indexes of open and rejected rows
# (the window refreshes the queue on its own thread: not a scan of every booking ever sent),
# or (the export) also every one queued in emergency mode.
_QUEUE_WAITING = (
    f"o.id IN (SELECT id FROM outbox WHERE state IN {_OPEN} UNION ALL "
    "SELECT id FROM outbox WHERE state = 'rejected') "
    f"AND o.op = 'book' AND (o.state IN {_OPEN} OR {_REJECTED_UNRESOLVED})")
_QUEUE_ALL = (f"o.op = 'book' AND (o.emergency = 1 OR o.state IN {_OPEN} "
              f"OR {_REJECTED_UNRESOLVED})")
_NO_LIMIT = 2**62  # LIMIT -1 means "no limit" to SQLite only
# Finished rows whose visit still waits to be put on the term CeR holds it on (the partial
# index ``outbox_put_back``, spelled the same: ``Dialect.json_text("result", "put_back")``).


def book_key(visit_uid: str) -> str:
    """The idempotency key of a visit's one ``book`` row."""
    return f"book:{visit_uid}"


class OutboxRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def enqueue(
        self,
        op: str,
        payload: dict[str, Any],
        *,
        user: str,
        visit_id: int | None = None,
        emergency: bool = False,
        idempotency_key: str | None = None,
    ) -> int:
        """Queue one operation (inside the caller's transaction when there is one).

        ``idempotency_key`` names the intent ("book:<visit_uid>"): queueing the same intent
        again (a re-imported spreadsheet row, a retried click) returns the existing row's id
        instead of adding a second one. Without a key the row is always new.
        """
        key = idempotency_key
        if not key:
            import uuid  # not on the way to the window's first paint

            key = f"{op}:{uuid.uuid4().hex}"
        now = utc_text(self.clock())
        with atomic(self.db):
            entry_id = insert_id(
                self.db,
                "INSERT INTO outbox (op, visit_id, payload, state, created_at, created_by, "
                "updated_at, emergency, idempotency_key) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?) "
                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                (op, visit_id, to_json(payload), now, user, now, int(emergency), key),
            )
            if entry_id is not None:
                return entry_id
            return int(scalar(self.db, "SELECT id FROM outbox WHERE idempotency_key = ?", (key,)))

    # --- reads -----------------------------------------------------------------------------

    def get(self, entry_id: int) -> OutboxEntry | None:
        row = fetch_one(self.db, "SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return None if row is None else _entry(row)

    def by_key(self, idempotency_key: str) -> OutboxEntry | None:
        row = fetch_one(
            self.db, "SELECT * FROM outbox WHERE idempotency_key = ?", (idempotency_key,)
        )
        return None if row is None else _entry(row)

    def pending(self, now: dt.datetime | None = None, limit: int = 100) -> list[OutboxEntry]:
        """Rows due for sending, oldest first: queued ones, and failed ones whose retry time
        has come. A row waits while an earlier row of the same visit is unfinished, so a
        cancellation never overtakes the booking it cancels."""
        rows = fetch_all(
            self.db,
            f"SELECT * FROM outbox WHERE state IN {_OPEN} AND state IN ('queued', 'failed') "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= :now) "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.visit_id = "
            f"outbox.visit_id AND earlier.id < outbox.id AND earlier.state IN {_OPEN}) "
            "ORDER BY id LIMIT :limit",
            {"now": utc_text(now or self.clock()), "limit": limit},
        )
        return [_entry(row) for row in rows]

    def pending_ops(
        self, ops: Iterable[str], now: dt.datetime | None = None, limit: int = 100
    ) -> list[OutboxEntry]:
        """Like ``pending`` but only rows of the operations ``ops`` (the replay worker handles
        visit operations; onboarding rows belong to their own worker and must not starve it)."""
        wanted = [str(op) for op in ops]
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        rows = fetch_all(
            self.db,
            f"SELECT * FROM outbox WHERE state IN {_OPEN} AND state IN ('queued', 'failed') "
            f"AND op IN ({marks}) AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.visit_id = "
            f"outbox.visit_id AND earlier.id < outbox.id AND earlier.state IN {_OPEN}) "
            "ORDER BY id LIMIT ?",
            [*wanted, utc_text(now or self.clock()), limit],
        )
        return [_entry(row) for row in rows]

    def with_outcome(self, op: str, outcomes: Iterable[str]) -> list[OutboxEntry]:
        """Rows of ``op`` whose ``result`` records one of ``outcomes`` (``result.outcome``):
        e.g. bookings the replay moved to another term or to the waiting list."""
        wanted = [str(outcome) for outcome in outcomes]
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        rows = fetch_all(
            self.db,
            "SELECT * FROM outbox WHERE op = ? AND result IS NOT NULL "
            f"AND {self.db.dialect.json_text('result', 'outcome')} IN ({marks}) ORDER BY id",
            [op, *wanted],
        )
        return [_entry(row) for row in rows]

    def set_emergency(self, entry_id: int) -> bool:
        """Flag a row as queued during an outage (the CLI learns it only after its one try)."""
        with atomic(self.db):
            cursor = self.db.conn.execute(
                "UPDATE outbox SET emergency = 1 WHERE id = ? AND emergency = 0", (entry_id,)
            )
        return int(cursor.rowcount) == 1

    def set_result(self, entry_id: int, result: dict[str, Any]) -> None:
        """Record progress of an unfinished row (e.g. the term a replay moved it to) without
        changing its state."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE outbox SET result = ?, updated_at = ? WHERE id = ?",
                (to_json(result), utc_text(self.clock()), entry_id),
            )

    def _put_back(self) -> str:
        return f"{self.db.dialect.json_text('result', 'put_back')} IS NOT NULL"

    def awaiting_put_back(self) -> list[OutboxEntry]:
        """Finished rows whose ``result.put_back`` ({slot_id, version}) says their visit is to
        be moved to the term CeR holds it on once no other visit holds that term here."""
        rows = fetch_all(self.db, f"SELECT * FROM outbox WHERE {self._put_back()} ORDER BY id")
        return [_entry(row) for row in rows]

    def has_put_backs(self) -> bool:
        return bool(scalar(
            self.db, f"SELECT EXISTS (SELECT 1 FROM outbox WHERE {self._put_back()})"))

    def clear_put_back(self, entry_id: int) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                f"UPDATE outbox SET result = {self.db.dialect.json_remove('result', 'put_back')}, "
                "updated_at = ? WHERE id = ?", (utc_text(self.clock()), entry_id))

    def next_due_at(self) -> dt.datetime | None:
        """When the earliest failed row becomes due (the sync thread sleeps until then)."""
        value = scalar(
            self.db,
            "SELECT MIN(COALESCE(next_attempt_at, created_at)) FROM outbox "
            f"WHERE state IN {_OPEN} AND state IN ('queued', 'failed')",
        )
        return optional_parse_utc(value)

    def ambiguous(self) -> list[OutboxEntry]:
        """Rows whose outcome is unknown: settle each by reading CeR back before resending."""
        return self.in_states([OutboxState.AMBIGUOUS])

    def in_states(
        self, states: Iterable[OutboxState], limit: int | None = None
    ) -> list[OutboxEntry]:
        wanted = [str(state) for state in states]
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        # Unfinished states only: let the (small) partial index answer, not a table scan.
        open_only = f"AND state IN {_OPEN}" if not OUTBOX_TERMINAL.intersection(wanted) else ""
        rows = fetch_all(
            self.db,
            f"SELECT * FROM outbox WHERE state IN ({marks}) {open_only} ORDER BY id LIMIT ?",
            [*wanted, _NO_LIMIT if limit is None else limit],
        )
        return [_entry(row) for row in rows]

    def for_visit(self, visit_id: int) -> list[OutboxEntry]:
        rows = fetch_all(
            self.db, "SELECT * FROM outbox WHERE visit_id = ? ORDER BY id", (visit_id,)
        )
        return [_entry(row) for row in rows]

    def emergency_entries(self, include_finished: bool = True) -> list[OutboxEntry]:
        """What was queued in emergency mode (the spreadsheet export and the outage evidence)."""
        rows = fetch_all(
            self.db,
            "SELECT * FROM outbox WHERE emergency = 1 "
            f"AND (:all = 1 OR state IN {_OPEN}) ORDER BY id",
            {"all": int(include_finished)},
        )
        return [_entry(row) for row in rows]

    def queue_rows(self, include_finished: bool = True) -> list[dict[str, Any]]:
        """The emergency queue for the spreadsheet and the queue list, in one query: every
        ``book`` row CeR does not have yet — waiting, or rejected while its visit still holds
        the term here (a person must act) — and (``include_finished``) every one queued in
        emergency mode, each with its visit, patient, term, schedule, doctor and place.
        Keys: entry_id, state, attempts, last_error, result, created_at, created_by, visit_id,
        visit_uid, visit_state, urgency, central_request_id, central_request_date, referral_id,
        visit_cer_id, scope_code, patient_local_id, pesel, document_type, document_number,
        first_name, last_name, phone, slot_id, slot_cer_id, start_utc, end_utc, schedule_id,
        schedule_name, resource_name, place_name (times as stored UTC text)."""
        slot_of_payload = self.db.dialect.json_int("o.payload", "slot_id")
        return fetch_all(
            self.db,
            "SELECT o.id AS entry_id, o.state, o.attempts, o.last_error, o.result, "
            "o.created_at, o.created_by, v.id AS visit_id, v.visit_uid, v.state AS visit_state, "
            "v.urgency, v.central_request_id, v.central_request_date, v.referral_id, "
            "v.cer_id AS visit_cer_id, v.scope_code, p.local_id AS patient_local_id, p.pesel, "
            "p.document_type, p.document_number, p.first_name, p.last_name, p.phone, "
            f"COALESCE(v.slot_id, {slot_of_payload}) AS slot_id, "
            "s.cer_id AS slot_cer_id, s.start_utc, s.end_utc, "
            "h.id AS schedule_id, h.name AS schedule_name, r.name AS resource_name, "
            "pl.name AS place_name FROM outbox AS o "
            "JOIN visits AS v ON v.id = o.visit_id JOIN patients AS p ON p.id = v.patient_id "
            f"LEFT JOIN slots AS s ON s.id = COALESCE(v.slot_id, {slot_of_payload}) "
            "LEFT JOIN schedules AS h ON h.id = s.schedule_id "
            "LEFT JOIN resources AS r ON r.id = h.resource_id "
            "LEFT JOIN places AS pl ON pl.id = h.place_id "
            f"WHERE {_QUEUE_ALL if include_finished else _QUEUE_WAITING} ORDER BY o.id",
        )

    def has_queued_bookings(self) -> bool:
        """Whether ``queue_rows(False)`` would list anything (the queue dock's first look,
        without reading the queue)."""
        return bool(scalar(
            self.db,
            "SELECT EXISTS (SELECT 1 FROM outbox AS o JOIN visits AS v ON v.id = o.visit_id "
            "JOIN patients AS p ON p.id = v.patient_id "
            f"WHERE o.op = 'book' AND (o.state IN {_OPEN} OR {_REJECTED_UNRESOLVED}))",
        ))

    def count_pending(self) -> int:
        """Changes CeR does not have yet (the status bar's number)."""
        return int(scalar(self.db, f"SELECT COUNT(*) FROM outbox WHERE state IN {_OPEN}"))

    def counts(self) -> dict[str, int]:
        return dict(self.db.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"))

    # --- transitions -----------------------------------------------------------------------

    def mark_sending(self, entry_id: int, token: str | None = None) -> bool:
        """Claim one row for the sender holding the lease ``token``. False if it is not
        claimable (in flight, or finished). A row claimed without a token is an orphan for the
        next sender's ``recover_interrupted``."""
        return self._move(
            entry_id,
            "state = 'sending', attempts = attempts + 1, claimed_by = ?",
            (token,),
            "state IN ('queued', 'failed')",
        )

    def claim(self, entry_ids: Iterable[int], token: str) -> list[int]:
        """``mark_sending`` for several rows in ONE transaction (one commit instead of one per
        row); returns the ids actually claimed. A kill leaves them ``sending`` under a token
        whose lock the OS has released: the next sender's ``recover_interrupted`` turns them
        ambiguous (read back, never resent blindly)."""
        claimed = []
        with atomic(self.db):
            now = utc_text(self.clock())
            for entry_id in entry_ids:
                cursor = self.db.conn.execute(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, "
                    "claimed_by = ?, updated_at = ? WHERE id = ? "
                    "AND state IN ('queued', 'failed')",
                    (token, now, entry_id),
                )
                if cursor.rowcount == 1:
                    claimed.append(entry_id)
        return claimed

    def release(self, entry_ids: Iterable[int], token: str | None = None) -> int:
        """Give back claimed rows that were NOT sent (the pass stopped before them): queued
        again, the claim's attempt not counted. With ``token``, only rows still claimed under
        it: a sender whose lease lapsed never gives back a row the next sender has claimed."""
        count = 0
        mine = "" if token is None else " AND claimed_by = ?"
        with atomic(self.db):
            now = utc_text(self.clock())
            for entry_id in entry_ids:
                count += self.db.conn.execute(
                    "UPDATE outbox SET state = CASE WHEN next_attempt_at IS NULL THEN 'queued' "
                    "ELSE 'failed' END, "
                    "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                    f"updated_at = ? WHERE id = ? AND state = 'sending'{mine}",
                    (now, entry_id) if token is None else (now, entry_id, token),
                ).rowcount
        return count

    def mark_done(self, entry_id: int, result: dict[str, Any] | None = None) -> bool:
        """Finished (call it in the transaction that applies CeR's answer locally)."""
        return self._move(
            entry_id,
            "state = 'done', result = COALESCE(?, result), last_error = NULL, "
            "next_attempt_at = NULL",
            (_json_or_none(result),),
            f"state IN {_OPEN}",
        )

    def mark_failed(self, entry_id: int, error: str, retry_at: dt.datetime) -> bool:
        """A temporary failure (offline, timeout before sending, HTTP 503): due again at
        ``retry_at``."""
        return self._move(
            entry_id,
            "state = 'failed', last_error = ?, next_attempt_at = ?",
            (error, utc_text(retry_at)),
            "state IN ('queued', 'sending', 'ambiguous')",
        )

    def mark_rejected(
        self, entry_id: int, error: str, result: dict[str, Any] | None = None
    ) -> bool:
        """CeR refused the operation for a business reason: never retried automatically."""
        return self._move(
            entry_id,
            "state = 'rejected', last_error = ?, result = COALESCE(?, result), "
            "next_attempt_at = NULL",
            (error, _json_or_none(result)),
            f"state IN {_OPEN}",
        )

    def mark_ambiguous(self, entry_id: int, error: str) -> bool:
        """The request may have reached CeR (timeout after sending, dropped response)."""
        return self._move(
            entry_id,
            "state = 'ambiguous', last_error = ?",
            (error,),
            "state IN ('sending', 'sent')",
        )

    def requeue(self, entry_id: int) -> bool:
        """Read-back showed CeR never got it: send again, now."""
        return self._move(
            entry_id,
            "state = 'queued', next_attempt_at = NULL",
            (),
            "state IN ('ambiguous', 'failed', 'rejected')",
        )

    def recover_interrupted(self, token: str) -> int:
        """For the sender that has just taken the lock with lease ``token``: rows left
        ``sending`` under any other token belong to a sender that is gone (only the lock holder
        claims, and the OS releases a killed holder's lock), and rows left ``sent`` by an older
        version never had CeR's answer applied. Both become ambiguous - the call may have
        reached CeR - and are read back before anything is sent again. Returns how many."""
        with atomic(self.db):
            return int(self.db.conn.execute(
                "UPDATE outbox SET state = 'ambiguous', updated_at = ?, "
                "last_error = COALESCE(last_error, 'interrupted while sending') "
                f"WHERE state IN {_OPEN} AND (state = 'sent' OR (state = 'sending' "
                "AND (claimed_by IS NULL OR claimed_by <> ?)))",
                (utc_text(self.clock()), token),
            ).rowcount)

    def _move(self, entry_id: int, assignments: str, params: tuple[Any, ...], guard: str) -> bool:
        with atomic(self.db):
            cursor = self.db.conn.execute(
                f"UPDATE outbox SET {assignments}, updated_at = ? WHERE id = ? AND {guard}",
                (*params, utc_text(self.clock()), entry_id),
            )
        return int(cursor.rowcount) == 1


def _json_or_none(value: dict[str, Any] | None) -> str | None:
    return None if value is None else to_json(value)


def _entry(row: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        op=row["op"],
        visit_id=row["visit_id"],
        payload=from_json(row["payload"]),
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=optional_parse_utc(row["next_attempt_at"]),
        last_error=row["last_error"],
        result=from_json(row["result"]),
        created_at=parse_utc(row["created_at"]),
        created_by=row["created_by"],
        updated_at=parse_utc(row["updated_at"]),
        emergency=bool(row["emergency"]),
        idempotency_key=row["idempotency_key"],
        claimed_by=row.get("claimed_by"),
    )
