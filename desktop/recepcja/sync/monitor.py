"""The connectivity monitor: is CeR usable right now?

Plain Python, no Qt, no thread of its own: the sync engine feeds it the outcome of every real
call (``record_success`` / ``record_failure``) and asks it when to probe next; the GUI wraps its
listener callbacks into signals.

States: ONLINE (the last call worked), DEGRADED (``degraded_after`` failures in a row — calls
still tried), OFFLINE (``offline_after`` failures in a row, or any failure where nothing reached
CeR twice). While not online, the next probe (``gateway.status()``, the cheapest call) waits
a backoff that starts at ``backoff_start`` seconds and doubles up to ``backoff_cap`` — the
house style's per-service backoff (MusicBrainz Picard), but persistent: the state and the manual
emergency switch live in ``SyncState``, and every period that is not ONLINE is one row of the
outage log with its start, end, state, failed calls and the last error — the evidence NFZ asks
for (art. 23e ust. 11).

A failure only an administrator can fix (``cer.errors.needs_administrator``: keyring,
certificates, address) is also kept, translated, under ``CONFIGURATION_PROBLEM_KEY`` until a call
gets through again: the queue, ``status`` and the window tell the desk whom to call.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from enum import StrEnum

from recepcja.cer.errors import CerError, CerUnreachable, needs_administrator
from recepcja.cer.port import CerPort
from recepcja.store.repos import Repositories
from recepcja.sync.terms import (
    CONFIGURATION_PROBLEM_KEY,
    MANUAL_EMERGENCY_KEY,
    STATE_KEY,
    configuration_problem,
)

log = logging.getLogger("recepcja.sync.monitor")


class ConnectionState(StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


LAST_OK_EVERY = dt.timedelta(seconds=5)

StateListener = Callable[[ConnectionState, ConnectionState, bool], None]  # old, new, manual


class ConnectivityMonitor:
    """Decides ONLINE / DEGRADED / OFFLINE from call outcomes; owned by ONE thread (it writes
    through that thread's ``repos``). ``set_manual_emergency`` may be called from that thread;
    other threads ask the engine (``SyncEngine.set_emergency``)."""

    def __init__(
        self,
        repos: Repositories,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        degraded_after: int = 1,
        offline_after: int = 3,
        backoff_start: float = 1.0,
        backoff_cap: float = 60.0,
    ) -> None:
        self.repos = repos
        self.clock = clock or repos.sync_state.clock
        self.degraded_after = degraded_after
        self.offline_after = offline_after
        self.backoff_start = backoff_start
        self.backoff_cap = backoff_cap
        self._listeners: list[StateListener] = []
        self._lock = threading.Lock()
        self.failures = 0
        stored = repos.sync_state.get(STATE_KEY)
        self._state = ConnectionState(stored) if stored is not None \
            and stored in ConnectionState.__members__.values() else ConnectionState.ONLINE
        self.last_error: str | None = None
        self.last_success: dt.datetime | None = repos.sync_state.get_time("connectivity.last_ok")
        self.next_probe_at: dt.datetime | None = None

    # -- reading ------------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def manual_emergency(self) -> bool:
        return self.repos.sync_state.get(MANUAL_EMERGENCY_KEY) == "1"

    @property
    def emergency(self) -> bool:
        """Emergency mode: switched on by hand, or CeR offline."""
        return self.manual_emergency or self._state == ConnectionState.OFFLINE

    def add_listener(self, listener: StateListener) -> None:
        """``listener(old, new, manual)`` after every change of state or of the manual switch
        (called on the monitor's thread)."""
        self._listeners.append(listener)

    def backoff(self) -> float:
        """Seconds to wait before the next probe: 0 while online, else 1, 2, 4... up to the cap."""
        if self.failures <= 0:
            return 0.0
        return min(self.backoff_cap, self.backoff_start * 2.0 ** (self.failures - 1))

    def probe_due(self, now: dt.datetime | None = None) -> bool:
        return self.next_probe_at is None or (now or self.clock()) >= self.next_probe_at

    # -- feeding --------------------------------------------------------------------------------

    def record_success(self) -> None:
        """A call to CeR worked (a business refusal counts: CeR answered)."""
        now = self.clock()
        self.failures = 0
        self.next_probe_at = None
        previous = self.last_success
        self.last_success = now
        # Stored at most every few seconds: during a replay every call succeeds, and each
        # write is a commit (an fsync with synchronous=FULL).
        if previous is None or now - previous >= LAST_OK_EVERY or self._state != \
                ConnectionState.ONLINE:
            self.repos.sync_state.set_time("connectivity.last_ok", now)
            # A call got through, so whatever the administrator had to fix works now (checked
            # at this pace, not per call: another process may have stored the problem).
            if configuration_problem(self.repos) is not None:
                self.repos.sync_state.set(CONFIGURATION_PROBLEM_KEY, None)
        self._set(ConnectionState.ONLINE, None)

    def record_failure(self, error: BaseException | str) -> None:
        """A call failed for a reason that is not CeR's business answer (unreachable,
        temporary, timeout): count it, maybe change state, log it in the outage."""
        text = _describe(error)
        self.failures += 1
        self.last_error = text
        if not isinstance(error, str) and needs_administrator(error):
            self.note_configuration_problem(error)
        if self.failures >= self.offline_after or (
            isinstance(error, CerUnreachable) and self.failures >= 2
        ):
            new = ConnectionState.OFFLINE
        elif self.failures >= self.degraded_after:
            new = ConnectionState.DEGRADED
        else:
            new = self._state
        self.next_probe_at = self.clock() + dt.timedelta(seconds=self.backoff())
        self._set(new, text)
        outage = self.repos.outages.current()
        if outage is not None:
            self.repos.outages.note_failure(outage.id, text)

    def observe(self, outcome: BaseException | None) -> None:
        """Feed the outcome of a call: None (it worked), a ``CerRejected`` (CeR answered), or
        the error. Other ``CerError`` and any ``OSError`` count as failures."""
        from recepcja.cer.errors import CerBug, CerRejected

        answered = isinstance(outcome, CerRejected) or (
            isinstance(outcome, CerBug) and not outcome.may_have_committed
        )  # CeR answered (a refusal, or "your request breaks the contract"): it is there
        if outcome is None or answered:
            self.record_success()
        else:
            self.record_failure(outcome)

    def probe(self, gateway: CerPort) -> bool:
        """One light call (``gateway.status()``); returns whether CeR answered."""
        try:
            gateway.status()
        except CerError as error:
            self.observe(error)
            return False
        self.record_success()
        return True

    def set_manual_emergency(self, on: bool, user: str = "") -> None:
        """The receptionist's switch; persisted, and logged as an outage period of its own
        kind (``manual``) so the evidence shows it."""
        if on == self.manual_emergency:
            return
        self.repos.sync_state.set(MANUAL_EMERGENCY_KEY, "1" if on else "0")
        if on:
            self.repos.outages.open("manual", f"emergency mode switched on by {user}".strip())
        elif self._state == ConnectionState.ONLINE:
            self._close_outage()
        self._notify(self._state, self._state)

    def note_configuration_problem(self, error: BaseException) -> None:
        """Store why CeR cannot be called from here (the queue, ``status`` and the window show
        it to the desk: "waiting, tell the administrator"); written once per new reason.
        ``record_failure`` calls it; a caller that could not even build a gateway calls it
        directly."""
        from recepcja.i18n import error_text

        reason = error_text(error)
        stored = configuration_problem(self.repos)
        if stored is not None and stored.get("reason") == reason:
            return
        self.repos.sync_state.set(CONFIGURATION_PROBLEM_KEY, json.dumps({
            "reason": reason, "since": self.clock().isoformat(), "error": type(error).__name__,
        }, ensure_ascii=False))

    # -- internals ------------------------------------------------------------------------------

    def _set(self, new: ConnectionState, error: str | None) -> None:
        with self._lock:
            old = self._state
            self._state = new
        if new != old:
            self.repos.sync_state.set(STATE_KEY, str(new))
            log.info("CeR connection %s -> %s%s", old, new, f" ({error})" if error else "")
        if new == ConnectionState.ONLINE:
            if old != ConnectionState.ONLINE and not self.manual_emergency:
                self._close_outage()
        elif old == ConnectionState.ONLINE or self.repos.outages.current() is None or new != old:
            self.repos.outages.open(str(new), error)
        if new != old:
            self._notify(old, new)

    def _close_outage(self) -> None:
        current = self.repos.outages.current()
        if current is not None:
            self.repos.outages.close(current.id)

    def _notify(self, old: ConnectionState, new: ConnectionState) -> None:
        manual = self.manual_emergency
        for listener in list(self._listeners):
            try:
                listener(old, new, manual)
            except Exception:  # a broken listener must not stop the sync thread
                log.exception("connectivity listener failed")


def _describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error
    operation = getattr(error, "operation", None)
    return f"{type(error).__name__}{f' ({operation})' if operation else ''}: {error}"
