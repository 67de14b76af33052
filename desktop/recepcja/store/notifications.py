"""Notifications received from CeR, stored before they are acknowledged and applied later.

``cer_notification_id`` is UNIQUE: the same message pushed twice, or pushed and then pulled by
cursor, is stored once. Applying is a separate step (``sync``) that marks each row applied with
its outcome, so a crash between receiving and applying loses nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from recepcja.store.codec import (
    optional_parse_utc,
    optional_utc_text,
    parse_utc,
    utc_now,
    utc_text,
)
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, scalar
from recepcja.store.working_records import NotificationRecord

Clock = Callable[[], dt.datetime]


class NotificationRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def store(
        self,
        cer_notification_id: str,
        kind: str,
        payload: str,
        *,
        channel: str = "push",
        cer_version: str | None = None,
        cer_timestamp: dt.datetime | None = None,
        received_at: dt.datetime | None = None,
    ) -> bool:
        """Store a received notification durably. False if it was already stored (a duplicate:
        acknowledge it to CeR, apply nothing)."""
        with atomic(self.db):
            cursor = self.db.conn.execute(
                "INSERT INTO notifications (cer_notification_id, kind, channel, cer_version, "
                "cer_timestamp, received_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (cer_notification_id) DO NOTHING",
                (
                    cer_notification_id,
                    kind,
                    channel,
                    cer_version,
                    optional_utc_text(cer_timestamp),
                    utc_text(received_at or self.clock()),
                    payload,
                ),
            )
        return int(cursor.rowcount) == 1

    def get(self, notification_id: int) -> NotificationRecord | None:
        row = fetch_one(self.db, "SELECT * FROM notifications WHERE id = ?", (notification_id,))
        return None if row is None else _record(row)

    def by_cer_id(self, cer_notification_id: str) -> NotificationRecord | None:
        row = fetch_one(
            self.db,
            "SELECT * FROM notifications WHERE cer_notification_id = ?",
            (cer_notification_id,),
        )
        return None if row is None else _record(row)

    def unapplied(self, limit: int = 500) -> list[NotificationRecord]:
        """Stored but not yet applied, in CeR's order where it gave a timestamp, else in
        arrival order. (Versions are compared per visit by the applier, not sorted here: their
        format is CeR's.)"""
        rows = fetch_all(
            self.db,
            "SELECT * FROM notifications WHERE applied_at IS NULL "
            "ORDER BY COALESCE(cer_timestamp, received_at), id LIMIT ?",
            (limit,),
        )
        return [_record(row) for row in rows]

    def mark_applied(
        self, notification_id: int, outcome: str, at: dt.datetime | None = None
    ) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE notifications SET applied_at = ?, outcome = ? WHERE id = ?",
                (utc_text(at or self.clock()), outcome, notification_id),
            )

    def count_unapplied(self) -> int:
        return int(scalar(self.db, "SELECT COUNT(*) FROM notifications WHERE applied_at IS NULL"))

    def last_received_at(self) -> dt.datetime | None:
        return optional_parse_utc(scalar(self.db, "SELECT MAX(received_at) FROM notifications"))

    def recent(self, limit: int = 100) -> list[NotificationRecord]:
        """Newest first: the desk's log of changes CeR told us about."""
        rows = fetch_all(self.db, "SELECT * FROM notifications ORDER BY id DESC LIMIT ?", (limit,))
        return [_record(row) for row in rows]


def _record(row: dict[str, Any]) -> NotificationRecord:
    return NotificationRecord(
        id=row["id"],
        cer_notification_id=row["cer_notification_id"],
        kind=row["kind"],
        channel=row["channel"],
        cer_version=row["cer_version"],
        cer_timestamp=optional_parse_utc(row["cer_timestamp"]),
        received_at=parse_utc(row["received_at"]),
        payload=row["payload"],
        applied_at=optional_parse_utc(row["applied_at"]),
        outcome=row["outcome"],
    )
