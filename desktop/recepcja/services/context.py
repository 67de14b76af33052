"""The composition root every front end (CLI, GUI, training mode) builds once and passes down.

Not a singleton: tests build as many as they like, each on its own folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recepcja.config.paths import AppPaths, default_paths
from recepcja.config.settings import Settings, load_settings

if TYPE_CHECKING:
    from recepcja.domain.workstation import Workstation
    from recepcja.services.server_absence import ServerAbsence
    from recepcja.store.db import Database
    from recepcja.store.repos import Repositories


@dataclass(slots=True)
class AppContext:
    paths: AppPaths
    settings: Settings
    training: bool = False
    # The window's watch on the practice server (services/server_absence.py), or None.
    server_absence: ServerAbsence | None = None

    @classmethod
    def load(cls, paths: AppPaths | None = None, training: bool = False, *,
             check_database: bool = True) -> AppContext:
        """The context for ``paths`` (default: RECEPCJA_HOME or the user's data folder).
        ``check_database=False`` skips refusing an empty or damaged database and the copy
        before migrations: for ``restore``, which is how such a database is repaired."""
        paths = paths or default_paths()
        if training:
            paths = paths.training()
        paths.ensure()
        if check_database:
            from recepcja.services.data_folder import refuse_unusable_database

            # Also, the first start after an upgrade copies the database before migrating it,
            # so a failed or unwanted upgrade can be undone with `recepcja restore`.
            refuse_unusable_database(paths)
        return cls(paths=paths, settings=load_settings(paths.settings), training=training)

    @property
    def user(self) -> str:
        """Who is at the desk: from settings, else the OS account."""
        if self.settings.desk.user:
            return self.settings.desk.user
        import getpass

        try:
            return getpass.getuser()
        except OSError:
            return "unknown"

    @property
    def workstation(self) -> Workstation:
        """This desk (``[workstation]`` in the settings, else the host name)."""
        return self.settings.effective_workstation()

    def open_db(self) -> Database:
        """A new connection for the calling thread (each thread opens its own): the SQLite file
        in the data folder, or the practice database (``services/database.py``), writing as this
        workstation (its prefix goes into new local patient IDs)."""
        from recepcja.services.database import open_practice_database

        db = open_practice_database(self.paths, self.settings, training=self.training)
        try:
            # The audit log and a practice database's change journal name this desk.
            db.identify(lambda: self.workstation)  # asked for when first needed
        except BaseException:
            db.close()
            raise
        return db

    def open_desk_db(self) -> Database:
        """What the desk works on: ``open_db()``, or the desk's local copy while the practice
        server is away (``services/server_absence.py``). A practice database that does not
        answer here switches the desk over at once. Never for the CeR sender: the copy's
        queue reaches CeR only through the practice database, after the merge."""
        absence = self.server_absence
        if absence is None:
            return self.open_db()
        from recepcja.store.db import UnusableDatabaseError
        from recepcja.store.desk_failover import with_failover

        absence.settle_cold_start()  # a silent server does not hold the window's start
        if not absence.away:
            try:
                # A statement that finds the server lost switches the desk and goes on over
                # the copy (store/desk_failover.py).
                return with_failover(absence.open_practice(self.open_db), absence.fall_back,
                                     lambda: absence.away)
            except UnusableDatabaseError as error:
                absence.mark_away(str(error))
        return absence.open_copy()

    def repositories(self) -> Repositories:
        """Every repository over a new connection (``open_db``); closed by a ``with`` block::

            with ctx.repositories() as repos:
                ...
        """
        from recepcja.store.repos import Repositories

        return Repositories.over(self.open_db())
