"""CeR problems reach the user as one translated line on stderr and exit code 3."""

from __future__ import annotations

import socket


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_cer_is_one_line_and_exit_3(cli):
    cli.extra_env["RECEPCJA_CER_URL"] = f"http://127.0.0.1:{_closed_port()}/cer"
    result = cli("notifications", "pull")
    assert result.code == 3
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("recepcja: ") and "CeR" in lines[0]
    assert "Traceback" not in result.err
    # The detail went to the log file in the data folder, not to the terminal.
    assert (cli.home / "logs" / "recepcja.log").exists()
