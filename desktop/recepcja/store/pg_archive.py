"""Backup and restore of a PostgreSQL practice database with PostgreSQL's own tools.

``pg_dump --format=custom`` takes a consistent snapshot of the whole database (one repeatable
read transaction: the desks keep working) into one compressed archive; ``pg_restore --list``
then reads the archive back, and only a readable archive with Recepcja's tables is put in place
(under a temporary name first, 0600). ``pg_restore --clean --if-exists --single-transaction``
replaces the database's contents in one transaction: a failure leaves the database as it was.

The tools come from the client package (Debian ``postgresql-client``, the Windows installer's
``bin`` folder); they are looked up on PATH, then in the usual install folders. Without them
the backup is refused with one line saying so - there is no quiet substitute.

The password never goes on a command line: the URL is passed without it and the password in
``PGPASSWORD`` of the child process only.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from recepcja.domain.errors import N_, DomainError
from recepcja.store.db import Database

METHOD = "pg_dump"
TIMEOUT_S = 3600
_SEARCH = ("/usr/lib/postgresql/*/bin", r"C:\Program Files\PostgreSQL\*\bin")
REQUIRED_TABLES = ("_migrations", "database_identity", "visits", "slots", "patients")


class ArchiveError(DomainError):
    """A practice-database backup or restore cannot be done; the message says why."""


def tool(name: str) -> Path:
    """``pg_dump`` / ``pg_restore``: on PATH, else the newest in the usual install folders."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = []
    for pattern in _SEARCH:
        candidates += glob.glob(os.path.join(pattern, name)) + glob.glob(
            os.path.join(pattern, name + ".exe"))
    if candidates:
        return Path(sorted(candidates, key=_version)[-1])
    raise ArchiveError(N_("{tool} was not found: install PostgreSQL's client tools on this "
                          "computer (Debian: postgresql-client) or back the practice database "
                          "up on its server (docs/ADMIN.md)."), tool=name)


def _version(path: str) -> tuple[int, ...]:
    digits = [part for part in Path(path).parts if part.replace(".", "").isdigit()]
    return tuple(int(x) for x in digits[-1].split(".")) if digits else (0,)


def _split(url: str, password: str | None) -> tuple[str, dict[str, str]]:
    params = conninfo_to_dict(url)
    secret = params.pop("password", None) or password
    env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}
    if secret:
        env["PGPASSWORD"] = str(secret)
    return make_conninfo("", **params), env


def _run(command: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ArchiveError(N_("{tool} failed: {error}"), tool=Path(command[0]).name,
                           error=str(error)) from error
    if done.returncode != 0:
        line = next((x for x in done.stderr.splitlines() if x.strip()), f"exit {done.returncode}")
        raise ArchiveError(N_("{tool} failed: {error}"), tool=Path(command[0]).name,
                           error=line.strip())
    return done.stdout


def dump(url: str, password: str | None, target: Path) -> list[str]:
    """The whole practice database into the custom-format archive ``target`` (a new file);
    the archive's table of contents, read back."""
    conninfo, env = _split(url, password)
    _run([str(tool("pg_dump")), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={target}", f"--dbname={conninfo}"], env)
    return contents(target)


def contents(archive: Path) -> list[str]:
    """The tables an archive holds, or ArchiveError when it is not a Recepcja database's."""
    listing = _run([str(tool("pg_restore")), "--list", str(archive)], dict(os.environ))
    tables = sorted({line.split()[-2] for line in listing.splitlines()
                     if " TABLE DATA " in line and len(line.split()) >= 2})
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise ArchiveError(N_("{path} is not a backup of a Recepcja practice database "
                              "(no {tables})."), path=str(archive), tables=", ".join(missing))
    return tables


def restore(url: str, password: str | None, archive: Path) -> None:
    """Replace the practice database's contents with ``archive`` in one transaction."""
    conninfo, env = _split(url, password)
    _run([str(tool("pg_restore")), "--clean", "--if-exists", "--single-transaction",
          "--no-owner", "--no-privileges", f"--dbname={conninfo}", str(archive)], env)


def other_desks(db: Database) -> int:
    """How many other Recepcja sessions are connected to this database now."""
    row = db.conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'recepcja' AND pid <> pg_backend_pid()").fetchone()
    return int(row[0]) if row else 0
