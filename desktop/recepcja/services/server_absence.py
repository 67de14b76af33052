"""When the practice server is away: the desk keeps working on its own copy, then merges back.

A desk on a practice database (PostgreSQL, ``services/database.py``) runs one
:class:`ServerAbsence` (the window starts its thread). Every ``probe_interval`` it asks the
practice database whether it answers (``store/practice_probe.py``, every wait bounded by
``probe_timeout``):

- **connected**: the desk's local copy (``store/local_copy.py``, ``local-copy.sqlite`` in the
  data folder) is refreshed every ``refresh_interval`` (default 30 s, so it is never older than
  a minute while connected);
- **away** (the first probe that fails): the desk switches to its copy by itself:
  ``AppContext.open_desk_db`` hands out the copy, the window shows its banner and the day from
  the copy, and bookings, cancellations and reschedules go into the copy's outbox - the desk's
  durable queue, flagged as emergency rows, with local patient IDs of this desk's prefix, and
  exported like the emergency queue (:func:`export_offline_queue`);
- **back**: the first good probe merges the queue into the practice database exactly once
  (``sync/practice_merge.py``), then refreshes the copy, then says connected. Until the merge
  has finished the desk stays on its copy, so nothing is booked on a server the queue has not
  reached yet.

The copy is never sent to CeR: the CeR sender works on the practice database only
(``AppContext.open_db``); the merged changes join the practice's CeR outbox there.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recepcja.domain.errors import N_, DomainError
from recepcja.domain.model import WARSAW
from recepcja.store.codec import utc_now
from recepcja.store.local_copy import (
    CopyInfo,
    CopyNotReplaced,
    copy_path,
    info,
    open_copy,
    refresh,
    unmerged,
)

if TYPE_CHECKING:
    from recepcja.domain.workstation import Workstation
    from recepcja.services.context import AppContext
    from recepcja.store.db import Database
    from recepcja.sync.practice_merge import MergeReport

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

PROBE_INTERVAL_S = 1.0
PROBE_TIMEOUT_S = 2.0
# At the window's start, how long the desk waits for the first probe (counted from the link's
# start, which runs beside the window's own start) before it opens on its copy.
COLD_START_WAIT_S = 1.0
REFRESH_INTERVAL_S = 30.0
# A day's copy is trusted this long for the next week's days, and a day longer further out.
NEAR_DAYS = 7
NEAR_MAX_AGE = dt.timedelta(minutes=15)
FAR_MAX_AGE = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class AbsenceState:
    """What the banner shows: away or not since when and why, the copy's time, the queue."""

    away: bool = False
    since: dt.datetime | None = None
    reason: str | None = None
    copy: CopyInfo = CopyInfo(None, None, None, None)
    queued: int = 0
    merging: bool = False
    last_merge: dict[str, int] | None = None


def day_warning(copy: CopyInfo, day: dt.date, now: dt.datetime) -> str | None:
    """Why the copy is not to be trusted for ``day`` (English, translated by the caller), or
    None. Outside the copied days there is nothing; a near day needs a fresh copy."""
    if copy.refreshed_at is None:
        return "no_copy"
    if not copy.covers(day):
        return "not_copied"
    age = copy.age(now) or dt.timedelta(0)
    near = day <= now.astimezone(WARSAW).date() + dt.timedelta(days=NEAR_DAYS)
    if age > (NEAR_MAX_AGE if near else FAR_MAX_AGE):
        return "too_old"
    return None


class ServerAbsence:
    """The desk's side of a practice server that may go away; see the module docstring.

    ``open_practice`` opens a migrated, identity-checked connection to the practice database
    (``AppContext.open_db``); ``probe`` answers None when the server answered, else why not.
    """

    def __init__(self, root: Path, workstation: Workstation, *,
                 open_practice: Callable[[], Database],
                 probe: Callable[[], str | None],
                 clock: Clock = utc_now,
                 probe_interval: float = PROBE_INTERVAL_S,
                 refresh_interval: float = REFRESH_INTERVAL_S,
                 on_change: Callable[[AbsenceState], Any] | None = None) -> None:
        self.path = copy_path(root)
        self.workstation = workstation
        self._open_practice = open_practice
        self._probe = probe
        self.clock = clock
        self.probe_interval = probe_interval
        self.refresh_interval = refresh_interval
        self.on_change = on_change
        self._lock = threading.Lock()
        self._state = AbsenceState()
        self._refreshed_at: dt.datetime | None = None
        self._practice: Database | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._answered = threading.Event()  # the first probe has answered, either way
        self._started = 0.0
        copy = self.open_copy()
        try:
            self._state = replace(self._state, copy=info(copy), queued=unmerged(copy))
        finally:
            copy.close()
        if self._state.queued:
            # Offline changes from the last run wait: work on the copy until they are merged.
            self._state = replace(self._state, away=True, since=clock(), reason="queued")

    @classmethod
    def for_context(cls, ctx: AppContext, **options: Any) -> ServerAbsence | None:
        """The desk's instance, or None for a desk on its own SQLite file (or in training)."""
        from recepcja.services.database import database_location, keyring_password
        from recepcja.store.practice_probe import PracticeProbe

        location = database_location(ctx.paths, ctx.settings, training=ctx.training)
        if not location.url:
            return None
        probe = PracticeProbe(location.url, password=keyring_password(location.url),
                              timeout=options.pop("probe_timeout", PROBE_TIMEOUT_S))
        return cls(ctx.paths.root, ctx.workstation, open_practice=ctx.open_db,
                   probe=probe.check, **options)

    # --- what the desk asks -------------------------------------------------------------------

    @property
    def state(self) -> AbsenceState:
        with self._lock:
            return self._state

    @property
    def away(self) -> bool:
        return self.state.away

    def open_copy(self) -> Database:
        """A connection to the copy for the calling thread, writing as this desk."""
        copy = open_copy(self.path)
        copy.workstation = self.workstation
        return copy

    def mark_away(self, reason: str) -> None:
        """A failed call to the practice database (not only the probe) switches at once. Any
        thread may call it; the link's own connection is left to the link's thread. The desk's
        statements still waiting on the server are cut short (store/desk_failover.py): they
        go on over the copy instead of hanging until TCP gives up."""
        was_away = self.away
        self._set(away=True, reason=reason, since=self.state.since if was_away else self.clock())
        if not was_away:
            from recepcja.store.desk_failover import abort_in_flight

            abort_in_flight()

    def settle_cold_start(self, wait: float = COLD_START_WAIT_S) -> None:
        """At the window's start: wait a moment for the link's first probe; a server that has
        not answered by then is away for now - the window opens at once on the desk's copy,
        and switches to the server when the probe gets through. Nothing to settle when the
        link is not running, has answered already, or there is no copy to open on."""
        if self._thread is None or self._answered.is_set() or self.state.copy.refreshed_at \
                is None:
            return
        if not self._answered.wait(max(0.0, self._started + wait - time.monotonic())):
            log.warning("practice database: no answer at start; opening on the desk's copy")
            self.mark_away("no answer yet")

    def open_practice(self, opener: Callable[[], Database]) -> Database:
        """``opener()`` (a connection to the practice database), given up as soon as the link
        finds the server away: opening runs statements of its own (the database's identity)
        that no desk connection's cut reaches, and over a silent link they would wait
        without end. Given up: UnusableDatabaseError; the connection, if it ever opens, is
        closed on the opening thread."""
        from recepcja.store.db import UnusableDatabaseError

        lock = threading.Lock()
        done = threading.Event()
        result: list[Database | BaseException] = []
        abandoned = False

        def run() -> None:
            try:
                outcome: Database | BaseException = opener()
            except BaseException as error:  # handed to the waiting thread
                outcome = error
            with lock:
                if abandoned:
                    if not isinstance(outcome, BaseException):
                        outcome.close()
                else:
                    result.append(outcome)
            done.set()

        threading.Thread(target=run, name="practice-open", daemon=True).start()
        while not done.wait(0.05):
            if self.away:
                with lock:
                    if not result:
                        abandoned = True
                        raise UnusableDatabaseError(N_(
                            "The practice database does not answer. What was saved before is "
                            "safe; try again when the server answers."))
                break
        [outcome] = result
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def fall_back(self, reason: str) -> Database:
        """A desk connection lost the server (``reason``): away, and the copy to go on with."""
        log.warning("practice database lost by a desk connection: %s", reason)
        self.mark_away(reason)
        return self.open_copy()

    def _lost(self, reason: str) -> None:
        """On the link's thread: away, and its connection to the practice database dropped."""
        self._practice_gone()
        self.mark_away(reason)

    # --- the loop -----------------------------------------------------------------------------

    def step(self) -> AbsenceState:
        """One probe and what follows from it (see the module docstring)."""
        problem = self._probe()
        if problem is not None:
            if not self.away:
                log.warning("practice database away: %s", problem)
            self._lost(problem)
            self._answered.set()
            return self.state
        self._answered.set()
        try:
            was_away = self.away
            # Whatever waits in the copy's queue goes first - also a change made on the copy
            # in the instant between the last merge and the window's switch back.
            self._merge()
            now = self.clock()
            if was_away or self._refreshed_at is None or (
                    now - self._refreshed_at).total_seconds() >= self.refresh_interval:
                self._refresh(now)
            if was_away:
                log.info("practice database back; the desk's queue is merged")
            self._set(away=False, reason=None, since=None)
        except (DomainError, OSError) as error:
            self._lost(str(error))
        except CopyNotReplaced:
            pass  # a change was queued between the merge and the refresh: next step
        except Exception as error:  # a lost server shows as the driver's error
            if not _is_lost_server(error):
                raise
            self._lost(str(error).splitlines()[0] if str(error) else type(error).__name__)
        return self.state

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="recepcja-practice-link",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._practice_gone()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("the practice link's step failed")
            self._stop.wait(self.probe_interval)

    # --- merge and refresh --------------------------------------------------------------------

    def _practice_db(self) -> Database:
        if self._practice is None:
            self._practice = self._open_practice()
        return self._practice

    def _practice_gone(self) -> None:
        from recepcja.store.practice_probe import close_quietly

        db, self._practice = self._practice, None
        close_quietly(db)

    def _merge(self) -> MergeReport | None:
        """Merge the copy's queue when it holds anything (one count on the copy otherwise)."""
        from recepcja.sync.practice_merge import merge

        copy = self.open_copy()
        try:
            if not unmerged(copy):
                return None
            self._set(merging=True)
            report = merge(self._practice_db(), copy, workstation=self.workstation.name,
                           clock=self.clock)
            self._set(merging=False, queued=unmerged(copy), last_merge=dict(report.outcomes))
            return report
        finally:
            copy.close()
            if self.state.merging:
                self._set(merging=False)

    def _refresh(self, now: dt.datetime) -> None:
        """What changed since the last refresh (``store/local_copy_delta.py``), or the whole
        copy when only that will do. The patient reads made on the copy go to the practice
        database's audit log first (the refresh drops the copy's audit rows)."""
        from recepcja.store.copy_reads import carry_reads
        from recepcja.store.local_copy_delta import refresh_changes

        copy = self.open_copy()
        today = now.astimezone(WARSAW).date()
        try:
            carry_reads(copy, self._practice_db())
            report = refresh_changes(self._practice_db(), copy, today=today, now=now) \
                or refresh(self._practice_db(), copy, today=today, now=now)
        finally:
            copy.close()
        self._refreshed_at = now
        self._set(copy=report.info, queued=0)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            new = replace(self._state, **changes)
            changed = new != self._state
            self._state = new
        if changed and self.on_change is not None:
            self.on_change(new)


class PracticeServerAway(DomainError):
    """What the desk's offline queue does not carry, refused while the server is away."""


def require_practice_server(absence: ServerAbsence | None) -> None:
    """Refuse, in one line, what only the practice database can take (attendance, a change to
    a patient's data, a doctor's absence: the merge carries bookings, cancellations and
    reschedules only) while the practice server is away."""
    if absence is not None and absence.away:
        raise PracticeServerAway(N_(
            "The practice server is not answering: this needs the practice database and is "
            "not kept in this desk's queue. Try again when the server is back."))


def _is_lost_server(error: BaseException) -> bool:
    """psycopg's errors, without importing psycopg on a desk that never uses it."""
    return type(error).__module__.startswith("psycopg")


def export_offline_queue(absence: ServerAbsence, path: Path, *, password: str | None = None,
                         overwrite: bool = False) -> int:
    """The desk's offline queue as the emergency queue's spreadsheet (same columns)."""
    from recepcja.services.emergency import export_queue
    from recepcja.store.repos import Repositories

    copy = absence.open_copy()
    try:
        return export_queue(Repositories.over(copy), path, password=password,
                            overwrite=overwrite)
    finally:
        copy.close()
