"""Helpers of the CLI acceptance tests: the real ``recepcja`` command as a subprocess, a running
simulator, free published terms."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from recepcja.simulator.server import SimulatorServer

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@dataclass
class Cli:
    home: Path
    extra_env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 60) -> Result:
        env = {**os.environ, "RECEPCJA_HOME": str(self.home), "RECEPCJA_LANG": "pl",
               "QT_QPA_PLATFORM": "offscreen", **self.extra_env}
        proc = subprocess.run(
            [sys.executable, "-m", "recepcja", *args],
            check=False, capture_output=True, text=True, env=env, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@contextmanager
def running_simulator(data: Path) -> Iterator[str]:
    """A CeR simulator on a free loopback port; yields its base URL."""
    server = SimulatorServer(data)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def published_free_terms(cli, first_day: dt.date, count: int, scope: str) -> list[dict]:
    """At least ``count`` free terms of ``scope`` CeR has, from the first day that has them
    within two weeks of ``first_day`` (``recepcja slots --free --json``)."""
    for offset in range(14):
        day = first_day + dt.timedelta(days=offset)
        result = cli("slots", "--date", str(day), "--free", "--json")
        assert result.code == 0, result.err
        found = [s for s in result.json() if s["cer_id"] and s["scope"] == scope]
        if len(found) >= count:
            return found
    raise AssertionError(f"no {count} published free terms of {scope} in two weeks")
