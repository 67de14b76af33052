"""All repositories over one connection, for the thread that opened it.

Not a god object: it only wires the repositories to one connection and one clock, so a service
or a thread gets a consistent set with one call and closes it with one call - or with a
``with`` block, which closes the connection however the block ends::

    with ctx.repositories() as repos:
        ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from recepcja.store.codec import utc_now
from recepcja.store.db import Database, open_database
from recepcja.store.logs import AuditLog, OutageLog, SyncState
from recepcja.store.notifications import NotificationRepo
from recepcja.store.outbox import OutboxRepo
from recepcja.store.patients import PatientRepo
from recepcja.store.practice import PracticeRepo
from recepcja.store.schedules import ScheduleRepo, SlotRepo
from recepcja.store.visits import VisitRepo

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class Repositories:
    db: Database
    practice: PracticeRepo
    schedules: ScheduleRepo
    slots: SlotRepo
    patients: PatientRepo
    visits: VisitRepo
    outbox: OutboxRepo
    notifications: NotificationRepo
    outages: OutageLog
    audit: AuditLog
    sync_state: SyncState

    @classmethod
    def over(cls, db: Database, clock: Clock = utc_now) -> Repositories:
        return cls(
            db=db,
            practice=PracticeRepo(db, clock),
            schedules=ScheduleRepo(db, clock),
            slots=SlotRepo(db, clock),
            patients=PatientRepo(db, clock),
            visits=VisitRepo(db, clock),
            outbox=OutboxRepo(db, clock),
            notifications=NotificationRepo(db, clock),
            outages=OutageLog(db, clock),
            audit=AuditLog(db, clock),
            sync_state=SyncState(db, clock),
        )

    @classmethod
    def open(
        cls, target: str | Path, clock: Clock = utc_now, *, password: str | None = None
    ) -> Repositories:
        """Open the database - an SQLite file path or a ``postgresql://`` URL - migrating it,
        and wire every repository to it."""
        return cls.over(open_database(target, password=password), clock)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Repositories:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
