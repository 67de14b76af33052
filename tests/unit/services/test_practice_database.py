"""Pointing a desk at the practice database: settings or environment, the password from the
keyring, the practice's identity, and what ``status`` says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recepcja.cli.main import main
from recepcja.config.paths import AppPaths
from recepcja.config.secrets import DATABASE_PASSWORD, SecretStore
from recepcja.config.settings import ENV_DATABASE_URL, load_settings
from recepcja.domain.errors import ValidationError
from recepcja.services.context import AppContext
from recepcja.services.database import database_location
from recepcja.store.db import UnusableDatabaseError
from recepcja.store.migrations import database_uuid
from recepcja.store.practice import PracticeRepo
from recepcja.store.records import Provider


def context(home: Path, url: str = "") -> AppContext:
    paths = AppPaths(home).ensure()
    if url:
        paths.settings.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    return AppContext(paths=paths, settings=load_settings(paths.settings))


def without_password(pg_server, url: str) -> str:
    return pg_server.url(url.rsplit("/", 1)[1], with_password=False)


def test_no_url_is_the_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    ctx = context(tmp_path)
    db = ctx.open_db()
    try:
        assert db.engine == "sqlite"
        assert db.where == str(ctx.paths.database)
    finally:
        db.close()


def test_settings_url_with_the_password_from_the_keyring(
    tmp_path: Path, pg_server, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    url = without_password(pg_server, pg_database)
    SecretStore().set(DATABASE_PASSWORD, pg_server.password)
    ctx = context(tmp_path, url)
    db = ctx.open_db()
    try:
        assert (db.engine, db.where) == ("postgresql", url)
        remembered = json.loads(ctx.paths.practice_identity.read_text(encoding="utf-8"))
        assert remembered["uuid"] == database_uuid(db)
        assert pg_server.password not in ctx.paths.practice_identity.read_text(encoding="utf-8")
    finally:
        db.close()


def test_environment_wins_over_settings(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(tmp_path, "postgresql://desk@192.0.2.1/elsewhere")
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    location = database_location(ctx.paths, ctx.settings)
    assert location.url == pg_database
    assert ":***@" in location.shown and "recepcja-test" not in location.shown
    ctx.open_db().close()


def test_training_never_uses_the_practice_database(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    paths = AppPaths(tmp_path).training().ensure()
    ctx = AppContext(paths=paths, settings=load_settings(paths.settings), training=True)
    db = ctx.open_db()
    try:
        assert (db.engine, db.where) == ("sqlite", str(paths.database))
    finally:
        db.close()


def test_a_password_in_settings_is_refused(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path).ensure()
    paths.settings.write_text('[database]\nurl = "postgresql://desk:secret@server/practice"\n',
                              encoding="utf-8")
    with pytest.raises(ValidationError, match="must not contain a password") as caught:
        load_settings(paths.settings)
    assert "secret@" not in str(caught.value)


def test_not_a_postgresql_url_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, "mysql://desk@server/practice")
    with pytest.raises(ValidationError, match="postgresql://"):
        context(tmp_path).open_db()


def test_another_practices_database_is_refused_and_left_alone(
    tmp_path: Path, pg_server, pg_database: str, pg_own_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    ctx = context(tmp_path)
    db = ctx.open_db()
    PracticeRepo(db).save_provider(Provider("Przychodnia Serce", nip="5260250995"))
    db.close()
    ctx.open_db().close()  # the provider's name and NIP are remembered once known
    # The other practice's database, of an older schema: opening it would migrate it.
    from recepcja.store.db import connect_to

    other = connect_to(pg_own_database)
    PracticeRepo(other).save_provider(Provider("Gabinet Obcy", nip="1234563218"))
    other.conn.execute("DELETE FROM _migrations WHERE name = '0003_audit_log'")
    before = other.table_names()
    other.close()

    monkeypatch.setenv(ENV_DATABASE_URL, pg_own_database)
    with pytest.raises(UnusableDatabaseError, match="not this practice's") as caught:
        ctx.open_db()
    message = str(caught.value)
    assert "Gabinet Obcy" in message and "Przychodnia Serce, NIP 5260250995" in message
    assert str(ctx.paths.practice_identity) in message
    other = connect_to(pg_own_database)
    try:
        assert other.table_names() == before
        assert "0003_audit_log" not in [row[0] for row in other.conn.execute(
            "SELECT name FROM _migrations")]
    finally:
        other.close()


def test_status_names_the_engine_and_masks_the_password(
    pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["database_engine"] == "postgresql"
    assert status["database"].endswith(pg_database.rsplit("@", 1)[1])
    assert "recepcja-test" not in json.dumps(status)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "PostgreSQL" in out and "recepcja-test" not in out


def test_an_unreachable_practice_database_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(ENV_DATABASE_URL, f"postgresql://desk@127.0.0.1:{port}/practice")
    assert main(["status"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"127.0.0.1:{port}" in err
