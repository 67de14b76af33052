"""All repositories over one connection, for the thread that opened it.

Not a god object: it only wires the repositories to one connection and one clock, so a service
or a thread gets a consistent set with one call and closes it with one call - or with a
``with`` block, which closes the connection however the block ends::

    with ctx.repositories() as repos:
        ...
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from recepcja.store.codec import utc_now
from recepcja.store.db import Database, open_database

if TYPE_CHECKING:
    from recepcja.store.logs import AuditLog, OutageLog, SyncState
    from recepcja.store.notifications import NotificationRepo
    from recepcja.store.outbox import OutboxRepo
    from recepcja.store.patients import PatientRepo
    from recepcja.store.practice import PracticeRepo
    from recepcja.store.schedules import ScheduleRepo, SlotRepo
    from recepcja.store.visits import VisitRepo

Clock = Callable[[], dt.datetime]
R = TypeVar("R")


class _Part(Generic[R]):
    """One repository of a ``Repositories``, made (and its module imported) on first use: the
    window's cold start reads with two of them before its first paint and should not import
    the other eight."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name
        self.attr = name

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, repos: None, owner: type) -> _Part[R]: ...
    @overload
    def __get__(self, repos: Repositories, owner: type) -> R: ...
    def __get__(self, repos: Repositories | None, owner: type) -> _Part[R] | R:
        if repos is None:
            return self
        made: dict[str, Any] = repos._made
        part = made.get(self.attr)
        if part is None:
            kind = getattr(importlib.import_module(self.module), self.name)
            part = made[self.attr] = kind(repos.db, repos.clock)
        return part  # type: ignore[no-any-return]


class Repositories:
    """Every repository over ``db``, each made on first use; one per thread, like ``db``."""

    __slots__ = ("_made", "clock", "db")

    practice: _Part[PracticeRepo] = _Part("recepcja.store.practice", "PracticeRepo")
    schedules: _Part[ScheduleRepo] = _Part("recepcja.store.schedules", "ScheduleRepo")
    slots: _Part[SlotRepo] = _Part("recepcja.store.schedules", "SlotRepo")
    patients: _Part[PatientRepo] = _Part("recepcja.store.patients", "PatientRepo")
    visits: _Part[VisitRepo] = _Part("recepcja.store.visits", "VisitRepo")
    outbox: _Part[OutboxRepo] = _Part("recepcja.store.outbox", "OutboxRepo")
    notifications: _Part[NotificationRepo] = _Part("recepcja.store.notifications",
                                                   "NotificationRepo")
    outages: _Part[OutageLog] = _Part("recepcja.store.logs", "OutageLog")
    audit: _Part[AuditLog] = _Part("recepcja.store.logs", "AuditLog")
    sync_state: _Part[SyncState] = _Part("recepcja.store.logs", "SyncState")

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self._made: dict[str, Any] = {}

    @classmethod
    def over(cls, db: Database, clock: Clock = utc_now) -> Repositories:
        return cls(db, clock)

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
