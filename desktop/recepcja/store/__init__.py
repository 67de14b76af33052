"""The store: schema, migrations, repositories, outbox - on the embedded SQLite file (one desk)
or on a PostgreSQL practice database (several desks), with one set of repositories for both
(``db.py``, ``dialect.py``, ``pg.py``).

No SQL outside this package. Each thread opens its own connection (``open_database`` or
``Repositories.open``, given a path or a ``postgresql://`` URL); every write that matters runs in
``atomic(db)``.

Importing the package, or one of its modules, does not import the others: the names below are
looked up on first use (PEP 562), so the window's cold start pays only for the modules it reads
with before its first paint, not for every record and repository.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recepcja.domain.model import ResourceKind, VisitSource
    from recepcja.store.db import UnusableDatabaseError, atomic, open_database
    from recepcja.store.logs import AuditLog, OutageLog, SyncState
    from recepcja.store.migrations import MIGRATIONS, applied_migrations, migrate
    from recepcja.store.notifications import NotificationRepo
    from recepcja.store.outbox import OutboxRepo
    from recepcja.store.patients import PatientRepo
    from recepcja.store.practice import PracticeRepo
    from recepcja.store.records import (
        MobilePoint,
        OutboxOp,
        OutboxState,
        Place,
        Provider,
        Resource,
        Schedule,
    )
    from recepcja.store.repos import Repositories
    from recepcja.store.schedules import ScheduleRepo, SlotRepo
    from recepcja.store.visits import VisitRepo
    from recepcja.store.working_records import (
        DayEntry,
        NotificationRecord,
        OutageRecord,
        OutboxEntry,
        VisitRecord,
    )

_HOME = {
    "MIGRATIONS": "recepcja.store.migrations",
    "AuditLog": "recepcja.store.logs",
    "UnusableDatabaseError": "recepcja.store.db",
    "DayEntry": "recepcja.store.working_records",
    "MobilePoint": "recepcja.store.records",
    "NotificationRecord": "recepcja.store.working_records",
    "NotificationRepo": "recepcja.store.notifications",
    "OutageLog": "recepcja.store.logs",
    "OutageRecord": "recepcja.store.working_records",
    "OutboxEntry": "recepcja.store.working_records",
    "OutboxOp": "recepcja.store.records",
    "OutboxRepo": "recepcja.store.outbox",
    "OutboxState": "recepcja.store.records",
    "PatientRepo": "recepcja.store.patients",
    "Place": "recepcja.store.records",
    "PracticeRepo": "recepcja.store.practice",
    "Provider": "recepcja.store.records",
    "Repositories": "recepcja.store.repos",
    "Resource": "recepcja.store.records",
    "ResourceKind": "recepcja.domain.model",
    "Schedule": "recepcja.store.records",
    "ScheduleRepo": "recepcja.store.schedules",
    "SlotRepo": "recepcja.store.schedules",
    "SyncState": "recepcja.store.logs",
    "VisitRecord": "recepcja.store.working_records",
    "VisitRepo": "recepcja.store.visits",
    "VisitSource": "recepcja.domain.model",
    "applied_migrations": "recepcja.store.migrations",
    "atomic": "recepcja.store.db",
    "migrate": "recepcja.store.migrations",
    "open_database": "recepcja.store.db",
}

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
