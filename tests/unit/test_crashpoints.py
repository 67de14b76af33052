"""The named crash points: every ``crash_point("...")`` in the package is listed in
``CRASH_POINTS`` (which the crash-point tests walk through), and a named point really kills the
process - with SIGKILL, no cleanup - while any other name does nothing."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from recepcja.crashpoints import CRASH_POINTS, ENV, crash_point

PACKAGE = Path(__file__).resolve().parents[2] / "desktop" / "recepcja"


def _calls() -> Counter[str]:
    found: Counter[str] = Counter()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "crash_point"):
                assert node.args and isinstance(node.args[0], ast.Constant), (
                    f"{path}: crash_point needs a literal name")
                found[node.args[0].value] += 1
    return found


def test_every_point_in_the_code_is_listed_and_every_listed_point_is_in_the_code():
    calls = _calls()
    assert set(calls) == set(CRASH_POINTS)
    assert len(CRASH_POINTS) == len(set(CRASH_POINTS))


def test_a_point_not_named_costs_nothing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV, "replay.after_claim")
    crash_point("replay.after_finish")  # another point: returns
    monkeypatch.delenv(ENV)
    crash_point("replay.after_claim")


def test_the_named_point_kills_the_process_without_cleanup(tmp_path: Path):
    marker = tmp_path / "cleanup-ran"
    script = (
        "import atexit, pathlib\n"
        f"atexit.register(lambda: pathlib.Path({str(marker)!r}).write_text('x'))\n"
        "from recepcja.crashpoints import crash_point\n"
        "crash_point('replay.after_finish')\n"
        "try:\n"
        "    crash_point('replay.after_claim')\n"
        "finally:\n"
        f"    pathlib.Path({str(marker)!r}).write_text('finally')\n"
        "print('survived')\n"
    )
    env = {**os.environ, ENV: "replay.after_claim"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    assert "survived" not in proc.stdout and not marker.exists()
