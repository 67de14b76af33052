"""The store: schema, migrations, repositories, outbox - on the embedded SQLite file (one desk)
or on a PostgreSQL practice database (several desks), with one set of repositories for both
(``db.py``, ``dialect.py``, ``pg.py``).

No SQL outside this package. Each thread opens its own connection (``open_database`` or
``Repositories.open``, given a path or a ``postgresql://`` URL); every write that matters runs in
``atomic(db)``.
"""

from __future__ import annotations

from recepcja.domain.model import ResourceKind, VisitSource
from recepcja.store.db import UnusableDatabaseError, atomic, open_database
from recepcja.store.logs import AuditLog, OutageLog, SyncState
from recepcja.store.migrations import MIGRATIONS, applied_migrations, migrate
from recepcja.store.notifications import NotificationRepo
from recepcja.store.outbox import OutboxRepo
from recepcja.store.patients import PatientRepo
from recepcja.store.practice import PracticeRepo
from recepcja.store.records import (
    DayEntry,
    MobilePoint,
    NotificationRecord,
    OutageRecord,
    OutboxEntry,
    OutboxOp,
    OutboxState,
    Place,
    Provider,
    Resource,
    Schedule,
    VisitRecord,
)
from recepcja.store.repos import Repositories
from recepcja.store.schedules import ScheduleRepo, SlotRepo
from recepcja.store.visits import VisitRepo

__all__ = [
    "MIGRATIONS",
    "AuditLog",
    "UnusableDatabaseError",
    "DayEntry",
    "MobilePoint",
    "NotificationRecord",
    "NotificationRepo",
    "OutageLog",
    "OutageRecord",
    "OutboxEntry",
    "OutboxOp",
    "OutboxRepo",
    "OutboxState",
    "PatientRepo",
    "Place",
    "PracticeRepo",
    "Provider",
    "Repositories",
    "Resource",
    "ResourceKind",
    "Schedule",
    "ScheduleRepo",
    "SlotRepo",
    "SyncState",
    "VisitRecord",
    "VisitRepo",
    "VisitSource",
    "applied_migrations",
    "atomic",
    "migrate",
    "open_database",
]
