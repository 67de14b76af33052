"""``recepcja setup --export FILE``: the stored practice (as edited in the settings area) is
written as a practice file that ``setup --config`` reads back on another computer."""

from __future__ import annotations

import tomllib
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"


def test_export_round_trips_through_setup(cli, tmp_path):
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    exported = tmp_path / "eksport.toml"
    result = cli("setup", "--export", str(exported))
    assert result.code == 0, result.err
    assert "eksport.toml" in result.out and "harmonogramów: 3" in result.out
    data = tomllib.loads(exported.read_text(encoding="utf-8"))
    assert {s["name"] for s in data["schedules"]} == {
        "Kardiologia - dr Nowak", "Kardiologia - dr Kowalski", "Mammobus 1"}
    again = cli("setup", "--config", str(exported), "--json")
    assert again.code == 0 and again.json()["changed"] is False
    cli.home = tmp_path / "other-computer"
    fresh = cli("setup", "--config", str(exported), "--json")
    assert fresh.code == 0, fresh.err
    assert sum(1 for c in fresh.json()["changes"] if c["kind"] == "schedule") == 3


def test_export_without_a_practice_or_with_both_options_is_refused(cli, tmp_path):
    empty = cli("setup", "--export", str(tmp_path / "x.toml"))
    assert empty.code == 1
    assert "Nie ma jeszcze placówki" in empty.err
    assert not (tmp_path / "x.toml").exists()
    both = cli("setup", "--export", str(tmp_path / "x.toml"), "--config", str(EXAMPLE))
    assert both.code == 2  # argparse: not allowed with
