"""``recepcja sim``'s options, help text and life as a process (started, serving, SIGTERM)."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys

import pytest
import soap_raw

from recepcja.simulator import cli

# The lead wires ``cli`` into ``recepcja sim``; this runs the same two functions standalone.
RUNNER = (
    "import argparse, sys\n"
    "from recepcja.simulator import cli\n"
    "parser = argparse.ArgumentParser(prog='recepcja sim')\n"
    "cli.add_arguments(parser)\n"
    "sys.exit(cli.run(parser.parse_args()))\n"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recepcja sim")
    cli.add_arguments(parser)
    return parser


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_help_documents_the_control_api_and_points_to_the_docs(monkeypatch, language):
    monkeypatch.setenv("RECEPCJA_LANG", language)
    text = _parser().format_help()
    for needle in ("/_control/faults", "/_control/actors", "/_control/portal-booking",
                   "drop_response", "docs/SIMULATOR.md", "--client-ca", "--verify-signatures"):
        assert needle in text
    assert ("API sterujące" in text) == (language == "pl")


@pytest.mark.parametrize(("argv", "message"), [
    (["--tls-cert", "x.pem"], "--tls-cert and --tls-key go together"),
    (["--verify-signatures"], "--trusted-signer-cert"),
    (["--tls-cert", "nope.pem", "--tls-key", "nope.pem"], "file not found"),
])
def test_bad_options_give_one_clear_line(tmp_path, capsys, english, argv, message):
    args = _parser().parse_args(["--data", str(tmp_path), *argv])
    assert cli.run(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing written


def test_the_simulator_runs_as_a_process_until_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "--port", "0", "--data", str(tmp_path / "sim"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        addresses = json.loads(line)
        assert soap_raw.call(addresses["soap"], "<cer:sprawdzStatus/>").ok
        assert soap_raw.call(addresses["soap"], soap_raw.register_place()).ok
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert (tmp_path / "sim" / "cer-simulator.sqlite3").exists()
