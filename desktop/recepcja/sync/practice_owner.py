"""One CeR client per practice: the desk that holds the practice's lock does the CeR work.

On a practice database (PostgreSQL) several desks run the sync engine, but exactly one process
at a time sends the outbox, pulls and applies CeR's notifications, publishes free terms and
reconciles: the one holding the practice-wide sender lock (``store.sender_lock.PgSenderLock``,
a session advisory lock). :class:`PracticeOwnership` holds it for as long as the process lives,
on a connection of its own: the engine calls :meth:`~PracticeOwnership.ensure` before each pass
(taking the lock when it is free, checking the connection when it is held), and the other CeR
duties ask :attr:`~PracticeOwnership.held` before they run.

When the owner dies (kill -9, a crash, the PC switched off) its connection ends and the server
releases the lock - at once for a dead process. A vanished PC or a pulled cable gives no sign at
all, so the lock is a lease both ends time out (``store.pg.guard_lock_connection``): the owner
pings its lock connection every ``HEARTBEAT_S`` with a deadline of its own and stops acting as
the owner when it has had no answer for ``LEASE_S`` (it stops the notification receiver, starts
no CeR call, cuts the connection); the server ends a lock session silent for
``SERVER_SILENCE_S`` > ``LEASE_S`` and so frees the lock only after the old owner has stopped
(TCP keepalives and ``tcp_user_timeout`` stay as the fallback). The next desk's engine takes it
on its next pass (every ``idle_interval`` seconds) and, under its own lease token, reads back
from CeR every outbox row the old owner left ``sending`` before sending anything
(``OutboxRepo.recover_interrupted``): nothing is sent twice and nothing is lost.

Fencing: every CeR write of the owner's replay checks first that the lease it started under is
still valid (``_BorrowedLease.check``): an owner that lost its lock connection but still reaches
CeR starts no new call. A call already in flight when the lease lapses ends within the gateway's
deadline; the row it was for is read back by the new owner, and CeR itself refuses a second
booking under the same visit identifier (``IdentyfikatorWizytyUzyty``, then read back), so an
overlap cannot book a visit twice (docs/ARCHITECTURE.md, "One CeR client per practice").

Listeners (``watch``) hear every change of ownership (the notification receiver runs on the
owner only: ``sync.owner_receiver``).

A ``recepcja sync --once`` or the immediate try after ``recepcja book`` on another desk meet the
same lock: they leave their rows queued for the owner (``SenderBusy``).

On SQLite (one desk) there is no ownership to hold: ``PracticeOwnership(None)`` is always the
owner, and each pass takes the data folder's file lock as before.

Plain Python: a lock, a flag and, while the lock is held, one keeper thread; no Qt.
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
HEARTBEAT_S = 1.0  # the owner pings its lock connection this often ...
LEASE_S = 4.0  # ... and is no longer the owner when it has not answered for this long
SERVER_SILENCE_S = 7.0  # the server ends a lock session silent this long (> LEASE_S)
OwnershipListener = Callable[[bool], None]  # held?


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


class OwnershipLost(DomainError):
    """The owner's lease lapsed (its lock connection broke or went silent): the pass stops
    before its next CeR call; the desk that takes over reads back what was in flight."""

    def __init__(self) -> None:
        super().__init__(N_("This desk is no longer the practice's CeR client (its connection "
                            "to the practice database was lost): the desk that takes over "
                            "sends the rest."))


class _BorrowedLease:
    """The owner's lease lent to one replay pass: releasing it keeps the lock; ``check``
    fences every CeR write of the pass."""

    def __init__(self, token: str, ownership: PracticeOwnership) -> None:
        self._token = token
        self._ownership = ownership

    @property
    def token(self) -> str:
        return self._token

    def check(self) -> None:
        """``OwnershipLost`` unless the lease this pass started under is still valid."""
        if not self._ownership.valid(self._token):
            raise OwnershipLost

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
        return _BorrowedLease(token, self._ownership)


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
        self._last_answer = 0.0  # monotonic: when the lock connection last answered
        self._keeper: threading.Event | None = None  # set: the keeper thread stops
        self._listeners: list[OwnershipListener] = []
        self._told: bool | None = None  # what the listeners were last told
        self._telling = threading.Lock()  # one change told at a time, in order

    @property
    def shared(self) -> bool:
        """A practice database several desks share (else SQLite: always the owner)."""
        return self._connect is not None

    @property
    def held(self) -> bool:
        return self.valid()

    def valid(self, token: str | None = None) -> bool:
        """The owner now: the lock held and its connection heard within ``LEASE_S`` (and,
        given a ``token``, still under that lease). No round trip: the keeper thread pings."""
        if not self.shared:
            return True
        if not self._held.is_set() or time.monotonic() - self._last_answer >= LEASE_S:
            return False
        lease = self._lease
        return token is None or (lease is not None and lease.token == token)

    def watch(self, listener: OwnershipListener) -> None:
        """Call ``listener(held)`` now and on every change of ownership (on the thread that
        notices it: the sync thread or the keeper)."""
        with self._telling:
            self._listeners.append(listener)
            self._tell(listener, self.held)

    def ensure(self) -> bool:
        """Take the lock if it is free, or check that the held one still is: the owner?"""
        if not self.shared:
            return True
        try:
            with self._lock:
                if self._lease is not None:
                    if self.valid():
                        self._prune_now_and_then()
                        return True
                    log.warning("the connection holding the practice's CeR lock was lost")
                    self._drop(sever=True)
                return self._take()
        finally:
            self._notify()

    def _take(self) -> bool:
        try:
            if self._db is None:
                assert self._connect is not None
                self._db = self._connect()
            lease = PgSenderLock(self._db, self._who).acquire(0.0)
            lease.guard(silence_s=SERVER_SILENCE_S, user_timeout_s=LEASE_S)
        except SenderBusy:
            return False
        except Exception as error:  # no server now: try on the next pass
            log.warning("the practice's CeR lock could not be taken: %s",
                        type(error).__name__)
            self._drop()
            return False
        log.info("this desk is now the practice's CeR client")
        self._lease = lease
        self._last_answer = time.monotonic()
        self._held.set()
        stop = self._keeper = threading.Event()
        threading.Thread(target=self._keep, args=(lease, stop), daemon=True,
                         name="recepcja-owner-keeper").start()
        return True

    def _keep(self, lease: PgLease, stop: threading.Event) -> None:
        """The keeper: pings the lock connection every ``HEARTBEAT_S``; no answer within what
        is left of ``LEASE_S`` - the ownership is given up at once (see the module
        docstring)."""
        while not stop.wait(HEARTBEAT_S):
            left = LEASE_S - (time.monotonic() - self._last_answer)
            if left > 0 and lease.answers_within(left):
                self._last_answer = time.monotonic()
                continue
            if stop.is_set():
                return
            log.warning("the practice's CeR lock: its connection did not answer for %.0f s; "
                        "this desk stops acting as the practice's CeR client", LEASE_S)
            lease.sever()  # whoever waits on it wakes now; the server lets the lock go
            with self._lock:
                if self._lease is lease:
                    self._drop()
            self._notify()
            return

    def _notify(self) -> None:
        with self._telling:
            held = self.held
            if held == self._told:
                return
            self._told = held
            for listener in list(self._listeners):
                self._tell(listener, held)

    @staticmethod
    def _tell(listener: OwnershipListener, held: bool) -> None:
        try:
            listener(held)
        except Exception:  # a listener's trouble is not the lock's
            log.exception("an ownership listener failed")

    def _prune_now_and_then(self) -> None:
        """The owner keeps the change journal short (``journal.KEEP_FOR``), once an hour - on a
        connection of its own: a long statement on the lock's connection would hold up the
        keeper's heartbeat and let the lease lapse."""
        now = time.monotonic()
        if self._connect is None or now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_S
        try:
            db = self._connect()
            try:
                journal.prune(db, dt.datetime.now(dt.UTC))
            finally:
                db.close()
        except Exception as error:  # housekeeping: next time
            log.info("pruning the change journal failed: %s", type(error).__name__)

    def token(self) -> str | None:
        """The held lease's token (``outbox.claimed_by``), or None when not the owner."""
        lease = self._lease
        return lease.token if lease is not None and self.valid() else None

    def annotate(self, **extra: object) -> None:
        """Add to the holder's note (e.g. ``receiver``: where this desk receives CeR's
        notifications) while the lock is held; best effort, it is only a note."""
        with self._lock:
            lease = self._lease
            if lease is None:
                return
            try:
                lease.annotate(**extra)
            except Exception as error:  # only a note for status
                log.info("the holder's note was not updated: %s", type(error).__name__)

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
            self._drop(sever=not self.valid())
        self._notify()

    def _drop(self, *, sever: bool = False) -> None:
        self._held.clear()
        if self._keeper is not None:
            self._keeper.set()
            self._keeper = None
        lease, db = self._lease, self._db
        self._lease = self._db = None
        if lease is not None:
            if sever:  # a silent connection: unlocking would wait on it
                lease.sever()
            lease.release()
        if db is not None:
            try:
                db.close()
            except Exception:  # a broken connection closes as it can
                log.debug("closing the lock's connection failed", exc_info=True)
