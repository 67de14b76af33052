"""Upgrading: the first start of a newer version copies the database before migrating it."""

from __future__ import annotations

from recepcja.config.paths import AppPaths
from recepcja.services.context import AppContext
from recepcja.store.db import connect
from recepcja.store.migrations import MIGRATIONS, applied_migrations, migrate


def test_first_start_after_upgrade_backs_up_then_migrates(tmp_path):
    paths = AppPaths(tmp_path / "home").ensure()
    old = connect(paths.database)  # a database written by a version that knew one migration
    migrate(old, target=MIGRATIONS[0][0])
    old.conn.execute("INSERT INTO sync_state (key, value, updated_at) "
                "VALUES ('marker', 'old data', '2026-01-01T00:00:00Z')")
    old.close()

    ctx = AppContext.load(paths)
    copies = sorted(paths.backups.glob("recepcja-before-upgrade-*.sqlite"))
    assert len(copies) == 1
    backup = connect(copies[0])
    try:
        assert applied_migrations(backup) == [MIGRATIONS[0][0]]  # taken BEFORE migrating
        marker = backup.conn.execute("SELECT value FROM sync_state WHERE key='marker'")
        assert marker.fetchone()[0] == "old data"
    finally:
        backup.close()

    db = ctx.open_db()  # opening migrates
    try:
        assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    finally:
        db.close()
    AppContext.load(paths)  # up to date now: no second copy
    assert len(list(paths.backups.glob("recepcja-before-upgrade-*.sqlite"))) == 1


def test_fresh_install_takes_no_backup(tmp_path):
    paths = AppPaths(tmp_path / "home")
    AppContext.load(paths).open_db().close()
    assert list(paths.backups.iterdir()) == []
