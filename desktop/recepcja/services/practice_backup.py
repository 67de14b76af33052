"""``recepcja backup`` / ``restore`` on a desk that works on a practice database (PostgreSQL):
PostgreSQL's own ``pg_dump`` / ``pg_restore`` (``store/pg_archive.py``), and the commands say
so (``method``). On the embedded SQLite file nothing changes (``services/backup.py``).

- backup: a consistent snapshot while the desks keep working, written under a temporary name
  (0600), read back with ``pg_restore --list`` and only then put in place;
- restore: refused while another desk is connected (close every desk first) and for an archive
  that is not a Recepcja practice database's; the database is replaced in one transaction.
  Before replacing, the current contents are archived into the data folder's ``backups/`` (the
  restore can be undone).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from recepcja.config.private_files import check_target, make_private, place, private_folder
from recepcja.domain.errors import N_
from recepcja.services.context import AppContext
from recepcja.services.database import database_location, keyring_password
from recepcja.store import pg_archive


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    path: Path
    size: int
    tables: list[str]
    method: str = pg_archive.METHOD


def _url(ctx: AppContext) -> tuple[str, str | None]:
    url = database_location(ctx.paths, ctx.settings, training=ctx.training).url
    return url, keyring_password(url)


def backup_practice(ctx: AppContext, target: Path, *, force: bool = False) -> ArchiveReport:
    """The practice database into the archive ``target``, verified."""
    target = check_target(Path(target), overwrite=force)
    url, password = _url(ctx)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        tables = pg_archive.dump(url, password, temporary)
        make_private(temporary)
        place(temporary, target, overwrite=force)
    finally:
        if temporary.exists():
            os.unlink(temporary)
    return ArchiveReport(target, target.stat().st_size, tables)


def restore_practice(ctx: AppContext, source: Path) -> tuple[ArchiveReport, ArchiveReport]:
    """Replace the practice database with the archive ``source``; (restored, safety copy)."""
    source = Path(source).expanduser().absolute()
    if not source.is_file():
        raise pg_archive.ArchiveError(N_("There is no backup file {path}."), path=str(source))
    tables = pg_archive.contents(source)
    db = ctx.open_db()
    try:
        others = pg_archive.other_desks(db)
    finally:
        db.close()
    if others:
        raise pg_archive.ArchiveError(
            N_("{count} other Recepcja connections use the practice database: close Recepcja on "
               "every desk first; nothing was changed."), count=others)
    private_folder(ctx.paths.backups)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = backup_practice(ctx, ctx.paths.backups / f"praktyka-before-restore-{stamp}.dump")
    url, password = _url(ctx)
    pg_archive.restore(url, password, source)
    return ArchiveReport(source, source.stat().st_size, tables), safety
