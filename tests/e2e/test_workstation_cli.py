"""The workstation identity through the real command: ``[workstation]`` in settings.toml (or
the host name) gives every new local patient ID its prefix; ``status`` shows it; a bad prefix
is refused with one line."""

from __future__ import annotations

import socket

from recepcja.domain.workstation import derive_prefix


def _settings(cli, text: str) -> None:
    cli.home.mkdir(parents=True, exist_ok=True)
    (cli.home / "settings.toml").write_text(text, encoding="utf-8")


def test_local_ids_carry_the_workstation_prefix(cli, tmp_path):
    added = cli("patients", "add", "--pesel", "44051401359", "--first-name", "Jan",
                "--last-name", "Kowalski", "--json")
    assert added.code == 0, added.err
    host_prefix = derive_prefix(socket.gethostname())
    assert added.json()["local_id"] == f"L-{host_prefix}-000001"  # by default: the host name
    status = cli("status", "--json").json()["workstation"]
    assert status == {"name": socket.gethostname(), "prefix": host_prefix}

    cli.home = tmp_path / "desk-2"
    _settings(cli, '[workstation]\nname = "Rejestracja 2"\nprefix = "r2"\n')
    other = cli("patients", "add", "--pesel", "02070803628", "--first-name", "Anna",
                "--last-name", "Nowak", "--json")
    assert other.code == 0 and other.json()["local_id"] == "L-R2-000001"
    found = cli("patients", "find", "L-R2-1", "--json")
    assert [p["local_id"] for p in found.json()] == ["L-R2-000001"]
    assert "Rejestracja 2" in cli("status").out

    _settings(cli, '[workstation]\nprefix = "1R"\n')
    refused = cli("status")
    assert refused.code == 1 and refused.err.count("\n") == 1
    assert "workstation.prefix" in refused.err
