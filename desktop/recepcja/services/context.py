"""The composition root every front end (CLI, GUI, training mode) builds once and passes down.

Not a singleton: tests build as many as they like, each on its own folder.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recepcja.config.paths import AppPaths, default_paths
from recepcja.config.settings import Settings, load_settings

if TYPE_CHECKING:
    from recepcja.store.db import Database


@dataclass(slots=True)
class AppContext:
    paths: AppPaths
    settings: Settings
    training: bool = False

    @classmethod
    def load(cls, paths: AppPaths | None = None, training: bool = False) -> AppContext:
        paths = paths or default_paths()
        if training:
            paths = paths.training()
        paths.ensure()
        # The first start after an upgrade migrates the schema: copy the database first, so a
        # failed or unwanted upgrade can be undone with `recepcja restore` (docs/ADMIN.md).
        from recepcja.services.backup import backup_before_migration

        backup_before_migration(paths)
        return cls(paths=paths, settings=load_settings(paths.settings), training=training)

    @property
    def user(self) -> str:
        """Who is at the desk: from settings, else the OS account."""
        if self.settings.desk.user:
            return self.settings.desk.user
        try:
            return getpass.getuser()
        except OSError:
            return "unknown"

    def open_db(self) -> Database:
        """A new connection for the calling thread (each thread opens its own): the SQLite file
        in the data folder, or the practice database (``services/database.py``)."""
        from recepcja.services.database import open_practice_database

        return open_practice_database(self.paths, self.settings, training=self.training)
