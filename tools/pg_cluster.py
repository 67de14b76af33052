"""A throwaway PostgreSQL cluster for the tests and the benchmarks (Debian's ``postgresql``).

``initdb`` refuses to run as root, so as root the cluster is created and served by the
``postgres`` account (``runuser``) in a fresh temporary folder; as any other user it runs as that
user. It listens on 127.0.0.1 only, on a free port, with its socket in the same folder, and
passwords are checked on TCP (scram-sha-256) so a wrong password is refused as on a real server.

    python tools/pg_cluster.py start [--durable]   # prints the folder and the admin URL
    python tools/pg_cluster.py stop DIR            # stops the server and removes the folder

``--durable`` keeps fsync on (the benchmarks); the test cluster turns it off, because a test
database lives for one test and its durability is the server's business, not ours.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("RECEPCJA_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
PASSWORD = "recepcja-test"  # noqa: S105 - a throwaway cluster on loopback


@dataclass(frozen=True)
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres", *, user: str = SUPERUSER,
            password: str | None = PASSWORD) -> str:
        secret = "" if password is None else f":{password}"
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"


def available() -> bool:
    return (BIN / "initdb").is_file() and (BIN / "pg_ctl").is_file()


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *command]
    return command


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


START_ATTEMPTS = 5  # a free port can be taken by another process before the server binds it


def start(*, durable: bool = False) -> Cluster:
    folder = Path(tempfile.mkdtemp(prefix="recepcja-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SUPERUSER, SUPERUSER)
    folder.chmod(0o700)
    pwfile = folder / "pwfile"
    pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(pwfile, SUPERUSER, SUPERUSER)
    try:
        subprocess.run(
            _as_owner([str(BIN / "initdb"), "-D", str(folder / "data"), "-U", SUPERUSER,
                       "--auth-local=trust", "--auth-host=scram-sha-256",
                       f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
            check=True, capture_output=True, text=True,
        )
        for attempt in range(1, START_ATTEMPTS + 1):
            cluster = Cluster(folder, _free_port())
            try:
                _serve(cluster, durable)
                return cluster
            except subprocess.CalledProcessError:
                if attempt == START_ATTEMPTS or not _port_was_taken(folder):
                    raise
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        detail = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL test cluster failed: {error.stderr}{detail}") from error
    finally:
        pwfile.unlink(missing_ok=True)
    raise AssertionError("unreachable")


def _serve(cluster: Cluster, durable: bool) -> None:
    """Start the server on ``cluster.port`` (its log starts afresh: ``_port_was_taken``)."""
    (cluster.folder / "server.log").unlink(missing_ok=True)
    options = [f"-p {cluster.port}", f"-k {cluster.folder}", "-c listen_addresses=127.0.0.1",
               "-c max_connections=200", "-c shared_buffers=32MB"]
    if not durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    subprocess.run(
        _as_owner([str(BIN / "pg_ctl"), "-D", str(cluster.data), "-l",
                   str(cluster.folder / "server.log"), "-w", "-t", "60", "-o",
                   " ".join(options), "start"]),
        check=True, capture_output=True, text=True,
    )


def _port_was_taken(folder: Path) -> bool:
    """Whether the server just failed because its port was in use (then: another port)."""
    try:
        log = (folder / "server.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "could not bind" in log or "Address already in use" in log


def stop(folder: Path) -> None:
    data = folder / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(_as_owner([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                  "-w", "stop"]), check=False, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    begin = sub.add_parser("start")
    begin.add_argument("--durable", action="store_true")
    end = sub.add_parser("stop")
    end.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "start":
        cluster = start(durable=args.durable)
        print(cluster.folder)
        print(cluster.url())
        return 0
    stop(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
