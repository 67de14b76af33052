"""Which database this desk works on, and opening it safely.

One desk: the embedded SQLite file in the data folder (the default). Several desks: the
practice database on PostgreSQL that ``[database] url`` in settings.toml names, or
``RECEPCJA_DATABASE_URL`` (which wins). The URL carries no password: it comes from the OS
keyring (``recepcja secret set database-password``) when one is stored there, else libpq finds
it itself (a ``~/.pgpass`` / ``PGPASSFILE`` password file, or a ``service=`` entry of
``pg_service.conf``) - docs/ADMIN.md.

A practice database is the practice's identity: the UUID it was given at set-up
(``database_identity``) is remembered in the desk's data folder the first time, and a database
with another UUID - another practice's, or a fresh one someone pointed the desk at by mistake -
is refused before anything is written to it. To move a desk on purpose, remove
``practice-database.json`` from its data folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recepcja.config.paths import AppPaths
from recepcja.config.settings import Settings, url_has_password
from recepcja.domain.errors import N_
from recepcja.store.db import UnusableDatabaseError

if TYPE_CHECKING:
    from recepcja.services.context import AppContext
    from recepcja.store.db import Database


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """Where the desk's data is: ``url`` (a practice database) or the SQLite ``path``."""

    path: Path
    url: str = ""

    @property
    def engine(self) -> str:
        return "postgresql" if self.url else "sqlite"

    @property
    def shown(self) -> str:
        """For people and logs: the file, or the URL with any password masked."""
        if not self.url:
            return str(self.path)
        from recepcja.store.db import masked_url

        return masked_url(self.url)


def database_location(paths: AppPaths, settings: Settings, *,
                      training: bool = False) -> DatabaseLocation:
    """Training mode always works on its own SQLite file: its seeded bookings must never reach
    a practice database, whatever the environment says."""
    if training:
        return DatabaseLocation(paths.database)
    return DatabaseLocation(paths.database, settings.effective_database_url())


def shares_practice_database(ctx: AppContext) -> bool:
    """Whether this desk works on a practice database other desks share (PostgreSQL): then
    only the desk holding the practice's lock talks to CeR (``sync.practice_owner``) and the
    desk follows the others' changes (``services.desk_changes``)."""
    return bool(database_location(ctx.paths, ctx.settings, training=ctx.training).url)


def open_practice_database(paths: AppPaths, settings: Settings, *,
                           training: bool = False) -> Database:
    """A migrated connection for the calling thread: the SQLite file, or the practice database
    after checking it is this practice's (nothing is written to another practice's)."""
    from recepcja.store.db import connect_to, open_database
    from recepcja.store.migrations import migrate

    location = database_location(paths, settings, training=training)
    if not location.url:
        return open_database(location.path)
    db = connect_to(location.url, password=keyring_password(location.url))
    try:
        remembered = _remembered(paths.practice_identity)
        _check_identity(db, remembered, paths.practice_identity, location)
        migrate(db)
        _remember(db, remembered, paths.practice_identity, location)
    except BaseException:
        db.close()
        raise
    return db


def keyring_password(url: str) -> str | None:
    """The stored practice-database password, unless the URL brings its own; no keyring at
    all is not an error here (libpq's password file may have it). keyring is imported only
    here: the SQLite desk's start does not pay for it."""
    from recepcja.config.secrets import DATABASE_PASSWORD, SecretStore, SecretStoreUnavailable

    if url_has_password(url):
        return None
    try:
        return SecretStore().get(DATABASE_PASSWORD)
    except SecretStoreUnavailable:
        return None


def _remembered(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise UnusableDatabaseError(
            N_("The file {path} is damaged ({error}); remove it to let this desk trust its "
               "practice database again."),
            path=str(path), error=str(error),
        ) from error
    return data if isinstance(data, dict) else {}


def _practice_of(db: Database) -> dict[str, Any]:
    from recepcja.store.migrations import database_uuid
    from recepcja.store.practice import PracticeRepo

    provider = PracticeRepo(db).provider() if db.has_table("provider") else None
    return {
        "uuid": database_uuid(db),
        "provider": provider.name if provider else None,
        "nip": provider.nip if provider else None,
    }


def _check_identity(db: Database, remembered: dict[str, Any], path: Path,
                    location: DatabaseLocation) -> None:
    expected = remembered.get("uuid")
    if not expected:
        return
    found = _practice_of(db)
    if found["uuid"] == expected:
        return
    raise UnusableDatabaseError(
        N_("The database {url} is not this practice's ({theirs}); this desk works with the "
           "database of {ours}. Nothing was written. To move the desk on purpose, remove {path}."),
        url=location.shown,
        theirs=_describe(found),
        ours=_describe(remembered),
        path=str(path),
    )


def _describe(practice: dict[str, Any]) -> str:
    name = practice.get("provider") or "?"
    nip = practice.get("nip")
    return f"{name}, NIP {nip}" if nip else str(name)


def _remember(db: Database, remembered: dict[str, Any], path: Path,
              location: DatabaseLocation) -> None:
    """Write down the database's identity (first connection), and its provider's name and NIP
    once they are known; an unchanged file is not rewritten."""
    current = {**_practice_of(db), "url": location.shown}
    if remembered.get("uuid") and remembered["uuid"] != current["uuid"]:
        return
    merged = {**remembered, **{key: value for key, value in current.items() if value}}
    if merged == remembered:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: the window's threads open their connections at the same moment.
    import uuid  # here: uuid (and platform, which it imports) is not needed to start

    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temp.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)


def database_status(paths: AppPaths, settings: Settings, db: Database, *,
                    training: bool = False) -> dict[str, Any]:
    """What ``status`` says about the database: the engine, where (no password), identity."""
    location = database_location(paths, settings, training=training)
    return {
        "engine": location.engine,
        "where": location.shown,
        "uuid": _practice_of(db)["uuid"],
    }
