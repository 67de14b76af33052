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

``SenderLock`` is the interface; ``sender_lock_for`` picks the implementation for a database:

- ``FileSenderLock`` for the embedded SQLite file: an OS file lock (``filelock``: ``flock`` on
  Unix, ``LockFileEx``-style locking on Windows) on ``<database>.sender.lock`` beside the
  database, released by the OS when the process dies, even by ``kill -9``;
- ``PgSenderLock`` for a practice database shared by several desks: a session-level PostgreSQL
  advisory lock (``pg_try_advisory_lock``) on the sender's own connection, so ONE sender in the
  whole practice at a time; the server releases it when that connection ends (a process killed,
  a cable pulled - once the server notices the dead connection). The holder's note lives in
  ``sync_state`` so another desk can name it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
import time
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
        self._write_holder()
        return FileLease(lock, _new_token())

    def holder(self) -> str:
        """The current holder as the busy message names it (best effort: the file is only a
        note beside the lock, the lock itself is what excludes)."""
        try:
            return _describe(self.holder_path.read_text(encoding="utf-8"))
        except OSError:
            return "?"

    def _write_holder(self) -> None:
        note = _holder_note(self.who)
        temporary = self.holder_path.with_name(self.holder_path.name + f".{os.getpid()}")
        try:
            temporary.write_text(json.dumps(note), encoding="utf-8")
            os.replace(temporary, self.holder_path)
        except OSError:
            pass  # only a note for the busy message; the lock is held all the same


# The practice-wide sender lock of a PostgreSQL practice database (a session advisory lock key,
# distinct from ``dialect.WRITE_LOCK_KEY``, the per-transaction writer lock).
SENDER_LOCK_KEY = int.from_bytes(b"rcp-send", "big") & 0x7FFF_FFFF_FFFF_FFFF
_HOLDER_KEY = "sender_lock.holder"
_POLL_SECONDS = 0.1


def _new_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _holder_note(who: str, **extra: object) -> dict[str, object]:
    command = " ".join([Path(sys.argv[0]).name if sys.argv else "?", *sys.argv[1:3]])
    return {"who": who, "command": command, "pid": os.getpid(), "host": socket.gethostname(),
            "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"), **extra}


def _describe(note: str | None) -> str:
    try:
        data = json.loads(note or "")
        described = Holder(str(data["who"]), str(data["command"]), int(data["pid"]),
                           str(data["host"]), str(data["since"])).describe()
        desk = data.get("workstation")  # a practice database: which desk
        return f"{desk}, {described}" if desk else described
    except (ValueError, KeyError, TypeError):
        return "?"


class PgLease:
    """A held ``PgSenderLock``: released by ``release``, the ``with`` block, or the server when
    the connection ends."""

    def __init__(self, db: Database, token: str) -> None:
        self._db = db
        self._token = token

    @property
    def token(self) -> str:
        return self._token

    def release(self) -> None:
        # A connection that is gone has taken the lock with it: nothing left to release.
        with contextlib.suppress(Exception):
            self._db.conn.execute("SELECT pg_advisory_unlock(?)", (SENDER_LOCK_KEY,))

    def annotate(self, **extra: object) -> None:
        """Add ``extra`` to the holder's note (a None value takes the key out)."""
        from recepcja.store.db import atomic

        with atomic(self._db):
            row = self._db.conn.execute("SELECT value FROM sync_state WHERE key = ?",
                                        (_HOLDER_KEY,)).fetchone()
            try:
                note = json.loads(row[0]) if row else {}
            except ValueError:
                note = {}
            note = {**note, **extra}
            self._db.conn.execute(
                "UPDATE sync_state SET value = ? WHERE key = ?",
                (json.dumps({k: v for k, v in note.items() if v is not None}), _HOLDER_KEY))

    def guard(self, *, silence_s: float, user_timeout_s: float) -> None:
        """Both ends give the lock up when its connection falls silent
        (``store.pg.guard_lock_connection``)."""
        from recepcja.store.pg import guard_lock_connection

        guard_lock_connection(self._db, silence_s=silence_s, user_timeout_s=user_timeout_s)

    def answers_within(self, seconds: float) -> bool:
        """Whether the lock's connection answers within ``seconds``, never waiting longer."""
        from recepcja.store.pg import answers_within

        return answers_within(self._db, seconds)

    def sever(self) -> None:
        """Cut the lock's connection: whoever waits on it wakes with an error."""
        from recepcja.store.pg import sever

        sever(self._db)

    def __enter__(self) -> PgLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class PgSenderLock:
    """The practice-wide sender lock of a PostgreSQL practice database (see the module
    docstring); ``who`` names this sender in the busy message another desk shows."""

    def __init__(self, db: Database, who: str) -> None:
        self.db = db
        self.who = who

    def acquire(self, wait: float = 0.0) -> PgLease:
        deadline = time.monotonic() + max(0.0, wait)
        while not self._try():
            if time.monotonic() >= deadline:
                raise SenderBusy(self.holder())
            time.sleep(_POLL_SECONDS)
        from recepcja.store.db import atomic

        with atomic(self.db):
            self.db.conn.execute(
                "INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (_HOLDER_KEY, json.dumps(self._note()), dt.datetime.now(dt.UTC).isoformat()),
            )
        return PgLease(self.db, _new_token())

    def _note(self) -> dict[str, object]:
        """The holder's note: also which desk and which server session (``lock_owner``)."""
        row = self.db.conn.execute("SELECT pg_backend_pid()").fetchone()
        workstation = self.db.workstation.name if self.db.workstation is not None else ""
        return _holder_note(self.who, workstation=workstation,
                            backend_pid=int(row[0]) if row else 0)

    def _try(self) -> bool:
        row = self.db.conn.execute("SELECT pg_try_advisory_lock(?)",
                                   (SENDER_LOCK_KEY,)).fetchone()
        return bool(row and row[0])

    def holder(self) -> str:
        row = self.db.conn.execute("SELECT value FROM sync_state WHERE key = ?",
                                   (_HOLDER_KEY,)).fetchone()
        return _describe(row[0] if row else None)


def lock_owner(db: Database) -> dict[str, object] | None:
    """Who holds the practice-wide sender lock of a PostgreSQL practice database right now -
    the practice's CeR client: ``{workstation, pid, host, since, who, command, receiver}``
    (``receiver``: where it receives CeR's notifications, None when it does not) - or None when
    nobody does. Read from the server's lock table, so a holder that was killed is not named
    (its note stays behind until the next holder writes its own)."""
    row = db.conn.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (SENDER_LOCK_KEY >> 32, SENDER_LOCK_KEY & 0xFFFF_FFFF)).fetchone()
    if row is None:
        return None
    noted = db.conn.execute("SELECT value FROM sync_state WHERE key = ?",
                            (_HOLDER_KEY,)).fetchone()
    try:
        note = json.loads(noted[0]) if noted else {}
    except ValueError:
        note = {}
    if not isinstance(note, dict) or note.get("backend_pid") != int(row[0]):
        return {"workstation": "?", "pid": None, "host": "?", "since": None}
    return {key: note.get(key) for key in ("workstation", "pid", "host", "since", "who",
                                            "command", "receiver")}


def database_file(db: Database) -> Path:
    """The file behind the connection (``PRAGMA database_list``)."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    raise ValueError("the sender lock needs a database file, not an in-memory database")


def sender_lock_for(db: Database, who: str) -> SenderLock:
    """The sender lock for ``db``: a file lock beside the SQLite file, or the practice-wide
    advisory lock of a PostgreSQL practice database."""
    if db.dialect.is_postgresql:
        return PgSenderLock(db, who)
    path = database_file(db)
    return FileSenderLock(path.with_name(path.name + ".sender.lock"), who)
