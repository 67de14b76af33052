"""One sender per data folder: the lock a process holds while it sends the outbox to CeR.

Everything that sends outbox rows - the window's sync engine, ``recepcja sync --once``, the
immediate try after ``recepcja book``, a reconciliation that resends a lost booking - does so
only while holding the data folder's sender lock (``sync.replay.Replayer`` takes it for each
pass). A second sender waits briefly, then leaves with ``SenderBusy`` (which names the holder);
its rows stay queued for the holder to send.

The lease's ``token`` is written into ``outbox.claimed_by`` of every row the holder claims. A
holder resolves its rows before it lets go; a holder that is killed leaves them ``sending``,
and since the operating system releases a dead process's lock, the next holder knows that every
``sending`` row under another token is an orphan (``OutboxRepo.recover_interrupted``).

``SenderLock`` is the interface; ``FileSenderLock`` is the one for the embedded SQLite file: an
OS file lock (``filelock``: ``flock`` on Unix, ``LockFileEx``-style locking on Windows) on
``<database>.sender.lock`` beside the database, released by the OS when the process dies, even
by ``kill -9``. A practice database shared by several desks can put a PostgreSQL advisory lock
behind the same interface (``sender_lock_for`` picks the implementation for a database).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from recepcja.domain.errors import N_, DomainError
from recepcja.store.db import Database


class SenderBusy(DomainError):
    """Another process holds the sender lock of this data folder."""

    def __init__(self, holder: str) -> None:
        super().__init__(
            N_("Another Recepcja process is sending this data folder's changes to CeR "
               "({holder}); they stay queued and that process sends them."),
            holder=holder,
        )
        self.holder = holder


class SenderLease(Protocol):
    """The right to claim and send outbox rows, until ``release``."""

    @property
    def token(self) -> str:
        """Written into ``outbox.claimed_by`` of every row claimed under this lease."""
        ...

    def release(self) -> None: ...

    def __enter__(self) -> SenderLease: ...

    def __exit__(self, *exc: object) -> None: ...


class SenderLock(Protocol):
    """Who may send a data folder's outbox right now."""

    def acquire(self, wait: float = 0.0) -> SenderLease:
        """The lease, waiting up to ``wait`` seconds for the current holder; ``SenderBusy``
        when it is still held then."""
        ...


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the lock (for the busy message; never used to decide anything)."""

    who: str
    command: str
    pid: int
    host: str
    since: str

    def describe(self) -> str:
        return f"{self.who}: {self.command}, pid {self.pid}, {self.host}, {self.since}"


class FileLease:
    """A held ``FileSenderLock``; released by ``release``, the ``with`` block, or the OS."""

    def __init__(self, lock: object, token: str) -> None:
        self._lock = lock
        self._token = token

    @property
    def token(self) -> str:
        return self._token

    def release(self) -> None:
        self._lock.release()  # type: ignore[attr-defined]

    def __enter__(self) -> FileLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class FileSenderLock:
    """The sender lock of one SQLite data folder: an OS lock on ``path``; ``who`` names this
    sender in the busy message another process shows ("sync --once", "engine", ...)."""

    def __init__(self, path: Path, who: str) -> None:
        self.path = path
        self.who = who

    @property
    def holder_path(self) -> Path:
        return self.path.with_name(self.path.name + ".json")

    def acquire(self, wait: float = 0.0) -> FileLease:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path))
        try:
            lock.acquire(timeout=max(0.0, wait))
        except Timeout:
            raise SenderBusy(self.holder()) from None
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._write_holder()
        return FileLease(lock, token)

    def holder(self) -> str:
        """The current holder as the busy message names it (best effort: the file is only a
        note beside the lock, the lock itself is what excludes)."""
        try:
            data = json.loads(self.holder_path.read_text(encoding="utf-8"))
            return Holder(str(data["who"]), str(data["command"]), int(data["pid"]),
                          str(data["host"]), str(data["since"])).describe()
        except (OSError, ValueError, KeyError, TypeError):
            return "?"

    def _write_holder(self) -> None:
        command = " ".join([Path(sys.argv[0]).name if sys.argv else "?", *sys.argv[1:3]])
        note = {"who": self.who, "command": command, "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
        temporary = self.holder_path.with_name(self.holder_path.name + f".{os.getpid()}")
        try:
            temporary.write_text(json.dumps(note), encoding="utf-8")
            os.replace(temporary, self.holder_path)
        except OSError:
            pass  # only a note for the busy message; the lock is held all the same


def database_file(db: Database) -> Path:
    """The file behind the connection (``PRAGMA database_list``)."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    raise ValueError("the sender lock needs a database file, not an in-memory database")


def sender_lock_for(db: Database, who: str) -> SenderLock:
    """The sender lock for the data folder of ``db`` (a file lock beside the SQLite file)."""
    path = database_file(db)
    return FileSenderLock(path.with_name(path.name + ".sender.lock"), who)
