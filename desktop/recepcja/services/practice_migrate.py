"""Moving a single-desk practice onto a practice database: ``recepcja practice migrate --to URL``.

The desk's SQLite file (patients, practice set-up, schedules, slots, visits, outbox,
notifications, audit and outage logs, sync state) is copied into an EMPTY PostgreSQL practice
database and verified row by row (``store/practice_copy.py``); the SQLite file is only read.
Refused with one line and nothing written when the target holds anything, is not a Recepcja
database, or when the file's schema is older or newer than this version's.

Afterwards every desk is pointed at the practice database (``[database] url``, docs/ADMIN.md);
the first desk to open it remembers its identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recepcja.domain.errors import N_, DomainError
from recepcja.store import practice_copy
from recepcja.store.db import Database, connect_to, is_database_url, masked_url
from recepcja.store.migrations import MIGRATIONS, database_uuid, migrate


class MigrateRefused(DomainError):
    """The practice cannot be moved as asked; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class MigrateResult:
    source: Path
    target: str  # the URL without its password
    database_uuid: str
    rows: dict[str, int]


def migrate_practice(source: Path, url: str, *, password: str | None = None) -> MigrateResult:
    """Copy the SQLite practice ``source`` into the empty practice database ``url``."""
    if not is_database_url(url):
        raise MigrateRefused(N_("{url} is not a PostgreSQL practice database address "
                                "(postgresql://user@server/database)."), url=url)
    conn = practice_copy.open_source(source)
    try:
        applied = practice_copy.source_migrations(conn)
        known = [name for name, _ in MIGRATIONS]
        if applied != known[: len(applied)] or len(applied) > len(known):
            raise MigrateRefused(N_("The file {path} was written by a newer version of "
                                    "Recepcja; update this one first."), path=str(source))
        if len(applied) < len(known):
            raise MigrateRefused(N_("The file {path} has an older schema: open it once with "
                                    "this version (recepcja status) and try again."),
                                 path=str(source))
        target = connect_to(url, password=password)
        try:
            _refuse_unless_empty(target, url)
            migrate(target)  # an empty database gets the schema (its own identity)
            practice_copy.copy_rows(conn, target)
            report = practice_copy.verify(conn, target)
            if not report.ok:
                raise MigrateRefused(
                    N_("The copy in {url} does not match the file: {difference}. Empty the "
                       "practice database before trying again."),
                    url=masked_url(url), difference=(report.differences or ["row counts"])[0])
            identity = database_uuid(target) or ""
        finally:
            target.close()
    finally:
        conn.close()
    return MigrateResult(source, masked_url(url), identity, report.target_rows)


def _refuse_unless_empty(target: Database, url: str) -> None:
    has_schema, counts = practice_copy.target_state(target)
    if counts and not has_schema:
        raise MigrateRefused(
            N_("The database {url} is not empty (tables {tables}) and not a Recepcja practice "
               "database: nothing was written. Give an empty database."),
            url=masked_url(url), tables=", ".join(sorted(counts)[:5]))
    if counts:
        raise MigrateRefused(
            N_("The practice database {url} already holds data ({tables}): nothing was "
               "written. A practice is moved only into an empty database."),
            url=masked_url(url),
            tables=", ".join(f"{name} {count}" for name, count in sorted(counts.items())[:4]))
