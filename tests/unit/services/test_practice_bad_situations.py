"""Bad situations named (issue 15): an unreachable server, an address that is not valid, a
wrong password, a missing database, a database of a newer schema - for the desk (``status``)
and for moving a practice (``practice migrate --to``): one clear line, a non-zero exit, no
traceback, nothing written."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest
from services_support import Clock, add_patient, build_practice, pesels

from recepcja.cli.main import main
from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.services.context import AppContext
from recepcja.store import Repositories

SITUATIONS = ("unreachable", "not a valid address", "wrong password", "no such database",
              "newer schema")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def situation_url(request: pytest.FixtureRequest, pg_server) -> tuple[str, str]:
    """(url, words the line must contain) of each situation."""
    kind = request.param
    if kind == "unreachable":
        port = _closed_port()
        return f"postgresql://desk@127.0.0.1:{port}/practice", f"127.0.0.1:{port}"
    if kind == "not a valid address":
        return "postgresql://desk@127.0.0.1:5432/practice?sslmode=sometimes&x", "sslmode"
    if kind == "wrong password":
        return pg_server.url("postgres").replace(pg_server.password, "zle-haslo"), "password"
    if kind == "no such database":
        return pg_server.url("no_such_practice"), "no_such_practice"
    url = request.getfixturevalue("pg_own_database")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('0999_future', now())")
    return url, "0999_future"


def _tables(url: str) -> list[tuple[str, int]] | None:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute(
                "SELECT table_name, (xpath('/row/c/text()', query_to_xml("
                "format('SELECT count(*) AS c FROM %I', table_name), false, true, '')))[1]"
                "::text::int FROM information_schema.tables WHERE table_schema = 'public' "
                "ORDER BY 1").fetchall()
    except psycopg.Error:
        return None


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    monkeypatch.setenv("RECEPCJA_HOME", str(tmp_path / "home"))
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    with Repositories.over(ctx.open_db(), Clock()) as repos:
        build_practice(repos, days=1)
        add_patient(repos, pesels(1, start=90)[0])
    return ctx


def _one_line(capsys: pytest.CaptureFixture[str], words: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert words in err and "zle-haslo" not in err, err


@pytest.mark.parametrize("situation_url", SITUATIONS, indirect=True)
def test_the_desk_says_it_in_one_line_and_writes_nothing(
    situation_url: tuple[str, str], desk: AppContext, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, words = situation_url
    before = _tables(url)
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    assert main(["status"]) != 0
    _one_line(capsys, words)
    monkeypatch.delenv(ENV_DATABASE_URL)
    assert main(["practice", "migrate", "--to", url]) != 0
    _one_line(capsys, words)
    assert _tables(url) == before
