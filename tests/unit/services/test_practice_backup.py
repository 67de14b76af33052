"""``backup`` / ``restore`` on a practice database (issue 15): pg_dump's archive, read back
before it is put in place, and pg_restore in one transaction; refused while another desk is
connected or for a file that is not a practice database's backup. The commands say which
method they used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from services_support import add_patient, pesels

from recepcja.cli.main import main
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.store import Repositories


@pytest.fixture
def practice_desk(tmp_path: Path, pg_own_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RECEPCJA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(ENV_DATABASE_URL, pg_own_database)
    with Repositories.open(pg_own_database) as repos:
        add_patient(repos, pesels(1, start=70)[0], "Przed")
    return pg_own_database


def _patients(url: str) -> list[str]:
    with Repositories.open(url) as repos:
        return [row[0] for row in repos.db.conn.execute(
            "SELECT last_name FROM patients ORDER BY id")]


def test_backup_and_restore_a_practice_database_with_pg_dump(
    practice_desk: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    archive = tmp_path / "praktyka.dump"
    assert main(["backup", str(archive), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == "pg_dump" and "patients" in report["tables"]
    assert archive.stat().st_mode & 0o077 == 0
    assert main(["backup", str(archive)]) == 1  # no --force: the file is kept
    assert "--force" in capsys.readouterr().err

    with Repositories.open(practice_desk) as repos:
        add_patient(repos, pesels(1, start=71)[0], "Po")
    assert _patients(practice_desk) == ["Przed", "Po"]

    with Repositories.open(practice_desk):  # another desk is working: refused, unchanged
        assert main(["restore", str(archive)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and " 1 " in err  # 1 other desk
    assert _patients(practice_desk) == ["Przed", "Po"]

    assert main(["restore", str(archive), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "pg_dump" and Path(result["safety_copy"]["path"]).is_file()
    assert _patients(practice_desk) == ["Przed"]


def test_a_file_that_is_not_a_practice_backup_is_refused(
    practice_desk: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    stranger = tmp_path / "inne.dump"
    stranger.write_bytes(b"PGDMP not really")
    assert main(["restore", str(stranger)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert _patients(practice_desk) == ["Przed"]
