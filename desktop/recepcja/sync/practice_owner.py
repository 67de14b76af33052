"""One CeR client per practice: the desk that holds the practice's lock does the CeR work.

On a practice database (PostgreSQL) several desks run the sync engine, but exactly one process
at a time sends the outbox, pulls and applies CeR's notifications, publishes free terms and
reconciles: the one holding the practice-wide sender lock (``store.sender_lock.PgSenderLock``,
a session advisory lock). :class:`PracticeOwnership` holds it for as long as the process lives,
on a connection of its own: the engine calls :meth:`~PracticeOwnership.ensure` before each pass
(taking the lock when it is free, checking the connection when it is held), and the other CeR
duties ask :attr:`~PracticeOwnership.held` before they run.

When the owner dies (kill -9, a crash, the PC switched off) its connection ends and the server
releases the lock - at once for a dead process, within ~10 s for a vanished PC (keepalives,
``store/pg.py``). The next desk's engine takes it on its next pass (every ``idle_interval``
seconds) and, under its own lease token, reads back from CeR every outbox row the dead owner
left ``sending`` before sending anything (``OutboxRepo.recover_interrupted``): nothing is sent
twice and nothing is lost.

A ``recepcja sync --once`` or the immediate try after ``recepcja book`` on another desk meet the
same lock: they leave their rows queued for the owner (``SenderBusy``).

On SQLite (one desk) there is no ownership to hold: ``PracticeOwnership(None)`` is always the
owner, and each pass takes the data folder's file lock as before.

Plain Python: a lock and a flag, no Qt, no thread of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator

from recepcja.domain.errors import N_, DomainError
from recepcja.store import journal
from recepcja.store.db import Database
from recepcja.store.sender_lock import PgLease, PgSenderLock, SenderBusy, SenderLock

log = logging.getLogger("recepcja.sync.owner")
PRUNE_EVERY_S = 3600.0


ONE_SHOT_WAIT_S = 10.0


class PracticeBusy(DomainError):
    """Another process is the practice's CeR client: a one-shot command leaves the work to it."""

    def __init__(self, holder: str) -> None:
        super().__init__(N_("Another desk does the practice's CeR work now ({holder}): it "
                            "publishes, pulls and reconciles; run this command when it is "
                            "closed, or leave it to that desk."), holder=holder)


@contextlib.contextmanager
def practice_cer_work(db: Database, who: str, wait: float | None = None) -> Iterator[None]:
    """Around a one-shot command's CeR work (``publish``, ``reconcile``, ``notifications
    pull``): on a practice database it runs only while holding the practice's lock, waiting up
    to ``wait`` seconds for its holder, else ``PracticeBusy``; on SQLite it just runs."""
    if not db.dialect.is_postgresql:
        yield
        return
    try:
        lease = PgSenderLock(db, who).acquire(ONE_SHOT_WAIT_S if wait is None else wait)
    except SenderBusy as busy:
        raise PracticeBusy(busy.holder) from None
    with lease:
        yield


class _BorrowedLease:
    """The owner's lease lent to one replay pass: releasing it keeps the lock."""

    def __init__(self, token: str) -> None:
        self._token = token

    @property
    def token(self) -> str:
        return self._token

    def release(self) -> None:
        pass

    def __enter__(self) -> _BorrowedLease:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _OwnerLock:
    """The sender lock of the owner's replay passes: granted while the ownership is held."""

    def __init__(self, ownership: PracticeOwnership) -> None:
        self._ownership = ownership

    def acquire(self, wait: float = 0.0) -> _BorrowedLease:
        token = self._ownership.token()
        if token is None:
            raise SenderBusy(self._ownership.holder())
        return _BorrowedLease(token)


class PracticeOwnership:
    """Whether this process is the practice's CeR client (see the module docstring).

    ``connect`` opens a new connection to the practice database (the lock's own, kept open
    while held); None for the embedded SQLite store, where this process always is the owner.
    Thread-safe: the engine's thread takes and checks the lock, any thread reads ``held``.
    """

    def __init__(self, connect: Callable[[], Database] | None, who: str = "engine") -> None:
        self._connect = connect
        self._who = who
        self._db: Database | None = None
        self._lease: PgLease | None = None
        self._lock = threading.RLock()
        self._held = threading.Event()
        self._next_prune = 0.0

    @property
    def shared(self) -> bool:
        """A practice database several desks share (else SQLite: always the owner)."""
        return self._connect is not None

    @property
    def held(self) -> bool:
        return not self.shared or self._held.is_set()

    def ensure(self) -> bool:
        """Take the lock if it is free, or check that the held one still is: the owner?"""
        if not self.shared:
            return True
        with self._lock:
            if self._lease is not None:
                if self._lease.alive():
                    self._prune_now_and_then()
                    return True
                log.warning("the connection holding the practice's CeR lock was lost")
                self._drop()
            try:
                if self._db is None:
                    assert self._connect is not None
                    self._db = self._connect()
                self._lease = PgSenderLock(self._db, self._who).acquire(0.0)
            except SenderBusy:
                return False
            except Exception as error:  # no server now: try on the next pass
                log.warning("the practice's CeR lock could not be taken: %s",
                            type(error).__name__)
                self._drop()
                return False
            log.info("this desk is now the practice's CeR client")
            self._held.set()
            return True

    def _prune_now_and_then(self) -> None:
        """The owner keeps the change journal short (``journal.KEEP_FOR``), once an hour."""
        now = time.monotonic()
        if self._db is None or now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_S
        try:
            journal.prune(self._db, dt.datetime.now(dt.UTC))
        except Exception as error:  # housekeeping: next time
            log.info("pruning the change journal failed: %s", type(error).__name__)

    def token(self) -> str | None:
        """The held lease's token (``outbox.claimed_by``), or None when not the owner."""
        with self._lock:
            return self._lease.token if self._lease is not None else None

    def sender_lock(self) -> SenderLock | None:
        """The lock a replay pass of the owner takes (None: the default per-pass lock)."""
        return _OwnerLock(self) if self.shared else None

    def holder(self) -> str:
        """Who holds the practice's lock, for messages (best effort)."""
        with self._lock:
            if self._db is None:
                return "?"
            try:
                return PgSenderLock(self._db, self._who).holder()
            except Exception:  # only words for a message
                return "?"

    def release(self) -> None:
        """Let another desk take over (the engine stops)."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        self._held.clear()
        lease, db = self._lease, self._db
        self._lease = self._db = None
        if lease is not None:
            lease.release()
        if db is not None:
            try:
                db.close()
            except Exception:  # a broken connection closes as it can
                log.debug("closing the lock's connection failed", exc_info=True)
