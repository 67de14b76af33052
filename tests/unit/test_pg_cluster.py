"""tools/pg_cluster.py: the port it picked can be taken by another process before the server
binds it (seen once in a full run); the server then starts on another free port."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

import psycopg
import pytest


def _pg_cluster():
    path = Path(__file__).resolve().parents[2] / "tools" / "pg_cluster.py"
    spec = importlib.util.spec_from_file_location("recepcja_pg_cluster_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_port_taken_before_the_server_binds_it_is_replaced(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pg_cluster = _pg_cluster()
    if not pg_cluster.available():
        pytest.skip("PostgreSQL 15 is not installed (./test installs it)")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy])
        free = pg_cluster._free_port
        picked: list[int] = []

        def next_port() -> int:
            picked.append(next(ports, None) or free())
            return picked[-1]

        monkeypatch.setattr(pg_cluster, "_free_port", next_port)
        cluster = pg_cluster.start()
        try:
            assert picked[0] == busy and cluster.port == picked[-1] != busy
            with psycopg.connect(cluster.url(), connect_timeout=10) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            pg_cluster.stop(cluster.folder)
