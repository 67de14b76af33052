"""The audit log, the outage log and the sync-state key/value table.

The audit log answers "who saw or changed which patient's data, when" and must itself hold no
PESEL; the outage log is the evidence NFZ asks for to pay visits that could not be registered
centrally; sync state holds cursors and "last successful ..." stamps across restarts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from recepcja.domain.pesel import mask_pesels
from recepcja.store.codec import (
    from_json,
    optional_parse_utc,
    optional_utc_text,
    parse_utc,
    to_json,
    utc_now,
    utc_text,
)
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, insert_id
from recepcja.store.working_records import AuditRecord, OutageRecord

Clock = Callable[[], dt.datetime]

class AuditLog:
    """Append-only record of access to and changes of patient data."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def record(
        self,
        user: str,
        action: str,
        *,
        patient_id: int | None = None,
        visit_id: int | None = None,
        detail: str | None = None,
    ) -> int:
        """Append one entry (inside the caller's transaction when there is one)."""
        masked = None if detail is None else mask_pesels(detail)
        # Which desk: several share a practice database ([workstation] name).
        desk = self.db.workstation.name if self.db.workstation is not None else ""
        with atomic(self.db):
            # "user" quoted: a reserved word in PostgreSQL.
            entry_id = insert_id(
                self.db,
                'INSERT INTO audit_log (at, "user", action, patient_id, visit_id, detail, '
                "workstation) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (utc_text(self.clock()), user, action, patient_id, visit_id, masked, desk),
            )
        return int(entry_id or 0)

    def for_patient(self, patient_id: int, limit: int = 100) -> list[AuditRecord]:
        rows = fetch_all(
            self.db,
            "SELECT * FROM audit_log WHERE patient_id = ? ORDER BY at DESC, id DESC LIMIT ?",
            (patient_id, limit),
        )
        return [_audit(row) for row in rows]

    def recent(self, limit: int = 100) -> list[AuditRecord]:
        rows = fetch_all(self.db, "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        return [_audit(row) for row in rows]


def _audit(row: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        id=row["id"],
        at=parse_utc(row["at"]),
        user=row["user"],
        action=row["action"],
        patient_id=row["patient_id"],
        visit_id=row["visit_id"],
        detail=row["detail"],
        workstation=row.get("workstation") or "",
    )


class OutageLog:
    """Periods when CeR could not be used (offline, degraded, or emergency mode by hand)."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def open(
        self,
        state: str,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
        *,
        at: dt.datetime | None = None,
    ) -> int:
        """Start an outage, or - if one is already open - record its new state and error (e.g.
        degraded turning offline) and return that one: there is never more than one open."""
        with atomic(self.db):
            current = self.current()
            if current is not None:
                self.db.conn.execute(
                    "UPDATE outage_log SET state = ?, error = COALESCE(?, error) WHERE id = ?",
                    (state, error, current.id),
                )
                return current.id
            outage_id = insert_id(
                self.db,
                "INSERT INTO outage_log (started_at, state, error, detail) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (
                    utc_text(at or self.clock()),
                    state,
                    error,
                    None if detail is None else to_json(detail),
                ),
            )
            return int(outage_id or 0)

    def note_failure(self, outage_id: int, error: str) -> None:
        """Count one more failed call during the outage and keep its error."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE outage_log SET failed_calls = failed_calls + 1, error = ? WHERE id = ?",
                (error, outage_id),
            )

    def close(self, outage_id: int, *, at: dt.datetime | None = None) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE outage_log SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                (utc_text(at or self.clock()), outage_id),
            )

    def current(self) -> OutageRecord | None:
        row = fetch_one(
            self.db,
            "SELECT * FROM outage_log WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        return None if row is None else _outage(row)

    def list(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[OutageRecord]:
        """Outages overlapping [since, until), oldest first (an open one counts as ongoing)."""
        rows = fetch_all(
            self.db,
            "SELECT * FROM outage_log "
            "WHERE (ended_at >= :since OR ended_at IS NULL OR :since IS NULL) "
            "AND (started_at < :until OR :until IS NULL) ORDER BY started_at, id",
            {"since": optional_utc_text(since), "until": optional_utc_text(until)},
        )
        return [_outage(row) for row in rows]


def _outage(row: dict[str, Any]) -> OutageRecord:
    return OutageRecord(
        id=row["id"],
        started_at=parse_utc(row["started_at"]),
        ended_at=optional_parse_utc(row["ended_at"]),
        state=row["state"],
        error=row["error"],
        detail=from_json(row["detail"]),
        failed_calls=row["failed_calls"],
    )


class SyncState:
    """Small persistent key/value facts: notification cursor, last reconciliation, ..."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return default if row is None or row[0] is None else str(row[0])

    def set(self, key: str, value: str | None) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                "INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, value, utc_text(self.clock())),
            )

    def get_time(self, key: str) -> dt.datetime | None:
        return optional_parse_utc(self.get(key))

    def set_time(self, key: str, moment: dt.datetime) -> None:
        self.set(key, utc_text(moment))

    def items(self) -> dict[str, str | None]:
        return dict(self.db.conn.execute("SELECT key, value FROM sync_state ORDER BY key"))
