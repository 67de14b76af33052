"""Helpers of the CLI acceptance tests: a running simulator, free published terms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recepcja.simulator.server import SimulatorServer


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
