"""Suite-wide set-up: headless Qt, private data folders, an in-memory keyring, loopback only."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import keyring
import keyring.backend
import pytest

from support.network import allow_loopback_only


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps secrets in memory (tests only)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own data folder and no CeR address from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RECEPCJA_HOME", str(home))
    monkeypatch.delenv("RECEPCJA_CER_URL", raising=False)
    monkeypatch.delenv("RECEPCJA_DATABASE_URL", raising=False)
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    return home


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test connects to this machine only: the one rule, ``support.network``, set here
    only (no test folder overrides it)."""
    allow_loopback_only(monkeypatch)


# --- PostgreSQL: the practice database engine ----------------------------------------------------
# ./test starts a throwaway cluster (tools/pg_cluster.py) and passes its admin URL in
# RECEPCJA_TEST_PG_URL; a bare `pytest` starts one itself for the session. A test that needs a
# practice database gets the session's migrated database emptied (every row deleted, identities
# restarted: a few ms, where CREATE DATABASE costs 0.1-1 s on a busy machine); a test that needs
# a database of its own (several practices, migrations from nothing) clones the migrated
# template or starts from an empty one.

_PG_TEMPLATE = "recepcja_template"
_PG_SHARED = "recepcja_contract"
_KEPT_TABLES = ("_migrations", "database_identity")


def _pg_cluster_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "pg_cluster.py"
    spec = importlib.util.spec_from_file_location("recepcja_pg_cluster", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class PgServer:
    """The test cluster: its admin URL and fresh databases on demand."""

    def __init__(self, admin_url: str) -> None:
        import itertools

        import psycopg

        self.admin_url = admin_url
        self.admin = psycopg.connect(admin_url, autocommit=True)
        self._numbers = itertools.count(1)

    def url(self, database: str, *, with_password: bool = True) -> str:
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(self.admin_url)
        user, host, port = params["user"], params["host"], params["port"]
        secret = f":{params['password']}" if with_password and params.get("password") else ""
        return f"postgresql://{user}{secret}@{host}:{port}/{database}"

    @property
    def password(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        return conninfo_to_dict(self.admin_url)["password"]

    def create(self, *, template: str | None = _PG_TEMPLATE) -> str:
        name = f"t{os.getpid()}_{next(self._numbers)}"
        clone = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.admin.execute(f"CREATE DATABASE {name}{clone}")
        return name

    def drop(self, name: str) -> None:
        self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def prepare(self) -> None:
        import psycopg

        from recepcja.store.db import open_database

        for name in (_PG_SHARED, _PG_TEMPLATE):
            self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin.execute(f"CREATE DATABASE {_PG_TEMPLATE}")
        open_database(self.url(_PG_TEMPLATE)).close()
        self.admin.execute(f"CREATE DATABASE {_PG_SHARED} TEMPLATE {_PG_TEMPLATE}")
        self.shared = psycopg.connect(self.url(_PG_SHARED), autocommit=True)
        tables = [row[0] for row in self.shared.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'") if row[0] not in _KEPT_TABLES]
        sequences = [row[0] for row in self.shared.execute(
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n "
            "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public'")]
        # Foreign-key triggers off for this session (superuser): rows go in any order.
        self._reset_sql = "; ".join([
            "SET session_replication_role = replica",
            *(f"DELETE FROM {table}" for table in tables),
            *(f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences),
            "SET session_replication_role = DEFAULT",
        ])

    def fresh_shared(self) -> str:
        """The shared migrated database, emptied, with no other connection left on it."""
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> %s", (_PG_SHARED, self.shared.info.backend_pid))
        self.shared.execute(self._reset_sql)
        return self.url(_PG_SHARED)

    def close(self) -> None:
        shared = getattr(self, "shared", None)
        if shared is not None:
            shared.close()
        self.admin.close()


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("RECEPCJA_TEST_PG_URL")
    cluster_module = cluster = None
    if not url:
        cluster_module = _pg_cluster_module()
        if not cluster_module.available():
            pytest.fail("PostgreSQL 15 is not installed (apt-get install postgresql); ./test "
                        "installs it")
        cluster = cluster_module.start()
        url = cluster.url()
    server = PgServer(url)
    try:
        server.prepare()
        yield server
    finally:
        server.close()
        if cluster is not None:
            cluster_module.stop(cluster.folder)


@pytest.fixture
def pg_database(pg_server: PgServer) -> str:
    """The URL (with the test cluster's password) of an empty, migrated practice database."""
    return pg_server.fresh_shared()


@pytest.fixture
def pg_own_database(pg_server: PgServer):
    """A migrated practice database of the test's own (with its own identity)."""
    import psycopg

    name = pg_server.create()
    url = pg_server.url(name)
    with psycopg.connect(url, autocommit=True) as conn:  # a clone would share the template's
        conn.execute("UPDATE database_identity SET uuid = gen_random_uuid()::text")
    yield url
    pg_server.drop(name)


@pytest.fixture
def pg_empty_database(pg_server: PgServer):
    """The URL of a fresh database without any Recepcja schema (migrations start from nothing)."""
    name = pg_server.create(template=None)
    yield pg_server.url(name)
    pg_server.drop(name)


@pytest.fixture
def proxy(pg_database: str):
    """A loopback TCP proxy in front of the test cluster's PostgreSQL (``tcp_proxy``): the test
    cuts it, holds it or turns it into a black hole."""
    from tcp_proxy import in_front_of

    proxy = in_front_of(pg_database)
    yield proxy
    proxy.close()
