"""Several CeR calls in flight for the outbox replay: bounded, in order where order matters,
and backing off when CeR is busy (issue 18).

At tens of milliseconds a CeR call, a replay that waits for each answer before the next call
spends its time waiting: 1,000 bookings at 80 ms are 80 s. ``InFlight.drain`` keeps up to
``limit`` calls going at once instead.

- The pass's coordinator (the ``Replayer`` that holds the sender lease, on its own thread)
  claims due rows ``chunk`` at a time, one transaction each, as the one-at-a-time pass does,
  and hands them out one row at a time to worker threads. Every worker has its OWN database
  connection and its own gateway (its own HTTP connection): it is a ``Replayer`` over them and
  runs the replay's own per-row code (``Replayer.process``) and writes outcomes with
  ``RowSender.flush``. So every exactly-once rule holds per row unchanged: rows are claimed
  under the lease's token (``claimed_by``), CeR's answer is applied in the row's own
  transaction, a row a CeR write went out for is never given back, every commit has its named
  crash point. A kill leaves claimed rows ``sending`` exactly as before; the next pass reads
  them back.
- Order. The rows of one visit: ``OutboxRepo.pending_ops`` hands out only the first unfinished
  row of each visit, so a batch holds at most one row per visit and a visit's next row is due
  only once this one is finished. Rows of different visits that name the same term (a
  cancellation freeing a term and a booking taking it, a withdrawal of free terms and a
  booking) keep their queue order: a row waits until every earlier row of the batch naming one
  of its terms is written. A row naming neither a visit nor a term waits for every earlier row,
  and every later one waits for it. Within that, urgent first (then queue order).
- Callbacks (``on_progress``, ``observe`` - the connectivity monitor writes to the
  coordinator's database -, ``on_chunk``) are called on the coordinator's thread only: workers
  post them to it.
- CeR unreachable (``Stop``) or any other error in a worker: nothing new is handed out, rows
  claimed but not handed out are given back, the calls in flight finish and are written, then
  the pass ends as the one-at-a-time pass does.

``InFlightLimit`` is the bound: AIMD, as TCP's congestion window. It starts at half of
``[cer] max_in_flight``, grows by one after as many calls answered in good time as the current
limit, and halves (at most once per such window) when CeR answers busy (``CerTemporary``: HTTP
503, 429, 408, a timeout) or a call takes more than twice the usual time plus 0.25 s. It never
leaves 1..maximum; the sync engine keeps one across passes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from recepcja.cer.errors import CerTemporary
from recepcja.crashpoints import crash_point
from recepcja.store.working_records import OutboxEntry
from recepcja.sync.replay_report import ReplayReport
from recepcja.sync.replay_rows import Chunk, ReplayPass

log = logging.getLogger("recepcja.sync.replay")

DEFAULT_MAX_IN_FLIGHT = 12  # [cer] max_in_flight: ~7-12 s for 1,000 bookings at 80 ms a call
SLOW_FACTOR = 2.0  # a call slower than this times the usual time (plus the margin) is "slow"
SLOW_MARGIN = 0.25  # seconds
BASELINE_DRIFT = 0.05  # how fast the usual time follows calls slower than it
FLUSH_EVERY = 8  # a worker writes its finished rows at least this often (one commit)
FLUSH_AFTER = 0.02  # ... or when no new row came for this long (seconds)


class InFlightLimit:
    """How many CeR calls the replay may have in flight now (see the module docstring)."""

    def __init__(self, maximum: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        self.maximum = max(1, int(maximum))
        self.limit = max(1, self.maximum // 2)
        self.usual: float | None = None  # seconds a call usually takes here
        self.decreases = 0
        self._good = 0
        self._since_decrease = self.limit
        self._lock = threading.Lock()

    def answered(self, seconds: float) -> None:
        """A call answered after ``seconds`` (a refusal is an answer too)."""
        with self._lock:
            self._since_decrease += 1
            usual = self.usual
            if usual is None or seconds < usual:
                self.usual = seconds
            else:
                self.usual = usual + BASELINE_DRIFT * (seconds - usual)
            if usual is not None and seconds > usual * SLOW_FACTOR + SLOW_MARGIN:
                self._decrease()
                return
            self._good += 1
            if self._good >= self.limit:
                self._good = 0
                self.limit = min(self.maximum, self.limit + 1)

    def busy(self) -> None:
        """CeR answered "busy" (or did not answer in time): fewer calls at once."""
        with self._lock:
            self._since_decrease += 1
            self._decrease()

    def _decrease(self) -> None:
        if self._since_decrease < self.limit:
            return  # the calls in flight when it happened say the same thing: halve once
        self.limit = max(1, self.limit // 2)
        self.decreases += 1
        self._good = 0
        self._since_decrease = 0


def is_busy(error: BaseException | None) -> bool:
    """Whether a call's outcome asks for fewer calls at once."""
    return isinstance(error, CerTemporary)


class Worker(Protocol):
    """One worker thread's replay (a ``Replayer`` over the worker's connection and gateway)."""

    def process(self, replay_pass: ReplayPass, chunk: Chunk, entry: OutboxEntry) -> None: ...

    def flush(self, chunk: Chunk) -> None: ...

    def close(self) -> None: ...


# What a worker is made from: (observe, on_progress) to post to the coordinator -> a Worker.
WorkerFactory = Callable[[Callable[[BaseException | None], None],
                          Callable[[OutboxEntry, str, dict[str, Any]], None]], Worker]


def order_keys(entry: OutboxEntry, visit_slot: int | None) -> frozenset[tuple[str, int]]:
    """What a row must keep its queue order with: its visit and every term it names (its
    visit's term, and any ``*slot_id`` / ``*slot_ids`` in its payload). Empty: it names
    nothing, so it keeps its order with every row."""
    keys: set[tuple[str, int]] = set()
    if entry.visit_id is not None:
        keys.add(("visit", int(entry.visit_id)))
    if visit_slot is not None:
        keys.add(("slot", int(visit_slot)))
    for name, value in (entry.payload or {}).items():
        if name.endswith("slot_id") and isinstance(value, int):
            keys.add(("slot", value))
        elif name.endswith("slot_ids") and isinstance(value, list):
            keys.update(("slot", item) for item in value if isinstance(item, int))
    return frozenset(keys)


@dataclass(slots=True)
class Planned:
    """A row of the batch: what it waits for, and its place in the hand-out order."""

    entry: OutboxEntry
    rank: tuple[int, int]
    after: set[int] = field(default_factory=set)  # earlier rows it waits for (ids)


def plan(entries: Sequence[OutboxEntry], rank: Callable[[OutboxEntry], int],
         visit_slot: Callable[[OutboxEntry], int | None]) -> list[Planned]:
    """The batch in hand-out order (``rank``: urgent first; then queue order), each row with
    the earlier rows it must wait for."""
    planned: list[Planned] = []
    last_for: dict[tuple[str, int], int] = {}
    everything: list[int] = []
    barrier: int | None = None
    for entry in sorted(entries, key=lambda row: row.id):
        keys = order_keys(entry, visit_slot(entry))
        item = Planned(entry, (rank(entry), entry.id))
        if not keys:
            item.after.update(everything)
            barrier = entry.id
        else:
            item.after.update(last_for[key] for key in keys if key in last_for)
            if barrier is not None:
                item.after.add(barrier)
            for key in keys:
                last_for[key] = entry.id
        everything.append(entry.id)
        planned.append(item)
    planned.sort(key=lambda item: item.rank)
    return planned


@dataclass(slots=True)
class _Message:
    kind: str  # "observe", "progress", "answered", "written", "failed"
    args: tuple[Any, ...] = ()


class InFlight:
    """Hands a pass's rows out to worker threads; see the module docstring. One per pass:
    ``drain`` each batch, then ``close``."""

    def __init__(self, limit: InFlightLimit, make_worker: WorkerFactory, *,
                 claim: Callable[[Iterable[int]], Sequence[int]],
                 release: Callable[[list[int]], int],
                 observe: Callable[[BaseException | None], None],
                 on_progress: Callable[[OutboxEntry, str, dict[str, Any]], None] | None,
                 on_chunk: Callable[[], None] | None) -> None:
        self.limit = limit
        self._make_worker = make_worker
        self._claim = claim
        self._release = release
        self._observe = observe
        self._on_progress = on_progress
        self._on_chunk = on_chunk
        self._inbox: queue.Queue[_Message] = queue.Queue()
        self._work: queue.Queue[OutboxEntry | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._report_lock = threading.Lock()
        self._replay_pass: ReplayPass | None = None
        self.most_in_flight = 0  # the most calls seen in flight at once (benchmark, tests)

    # -- the coordinator ------------------------------------------------------------------------

    def drain(self, replay_pass: ReplayPass, planned: Sequence[Planned], chunk: int) -> int:
        """Send the planned rows; returns how many were claimed. Raises ``Stop`` (or a worker's
        unexpected error) once everything in flight is written and the rest given back."""
        self._replay_pass = replay_pass
        size = max(1, chunk)
        waiting = list(planned)  # not claimed yet, in hand-out order
        claimed: list[Planned] = []  # claimed, not handed out yet
        settled: set[int] = set()  # written, or not claimed: nothing to wait for
        outstanding: set[int] = set()  # handed out, not written yet
        in_flight = total = 0
        failure: BaseException | None = None
        while True:
            if failure is None:
                room = self.limit.limit - in_flight
                ready = [item for item in claimed if item.after <= settled]
                if waiting and len(ready) < room:
                    take, waiting = waiting[:size], waiting[size:]
                    got = set(self._claim(item.entry.id for item in take))
                    crash_point("replay.after_claim")
                    total += len(got)
                    claimed.extend(item for item in take if item.entry.id in got)
                    settled.update(item.entry.id for item in take if item.entry.id not in got)
                    continue
                for item in ready[:max(0, room)]:
                    claimed.remove(item)
                    outstanding.add(item.entry.id)
                    in_flight += 1
                    self._hand_out(in_flight, item.entry)
                self.most_in_flight = max(self.most_in_flight, in_flight)
                if not outstanding and not waiting and not ready:
                    # All written. (A row left waiting for another cannot happen: every row
                    # waits only for earlier ones. Were it to, it is given back.)
                    self._give_back([item.entry.id for item in claimed])
                    break
            else:
                back = [item.entry.id for item in claimed]
                claimed, waiting = [], []
                taken = self._take_back(outstanding)
                in_flight -= len(taken)
                self._give_back(back + taken)
                if not outstanding:
                    break
            message = self._inbox.get()
            if message.kind == "observe":
                outcome = message.args[0]
                if is_busy(outcome):
                    self.limit.busy()
                self._observe(outcome)
            elif message.kind == "progress":
                if self._on_progress is not None:
                    self._on_progress(*message.args)
            elif message.kind == "answered":
                in_flight -= 1
                if message.args[0] is not None:
                    self.limit.answered(message.args[0])
            elif message.kind == "written":
                outstanding.difference_update(message.args[0])
                settled.update(message.args[0])
                if self._on_chunk is not None:
                    self._on_chunk()
            elif message.kind == "failed" and failure is None:
                failure = message.args[0]
                self._stopping.set()
        if failure is not None:
            raise failure
        return total

    def _give_back(self, ids: list[int]) -> None:
        if ids and self._release(ids):
            crash_point("replay.after_release")

    def _take_back(self, outstanding: set[int]) -> list[int]:
        """Rows handed out that no worker has taken yet (the pass is ending)."""
        back: list[int] = []
        while True:
            try:
                entry = self._work.get_nowait()
            except queue.Empty:
                return back
            if entry is not None:
                outstanding.discard(entry.id)
                back.append(entry.id)

    def _hand_out(self, in_flight: int, entry: OutboxEntry) -> None:
        if len(self._threads) < min(in_flight, self.limit.maximum):
            thread = threading.Thread(target=self._worker, daemon=True,
                                      name=f"recepcja-replay-{len(self._threads) + 1}")
            self._threads.append(thread)
            thread.start()
        self._work.put(entry)

    def close(self) -> None:
        """Let the workers go (after the last ``drain``): each closes its connection and
        gateway."""
        self._stopping.set()
        for _ in self._threads:
            self._work.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    # -- a worker thread ------------------------------------------------------------------------

    def _post(self, kind: str, *args: Any) -> None:
        self._inbox.put(_Message(kind, args))

    def _worker(self) -> None:
        replay_pass = self._replay_pass
        assert replay_pass is not None
        try:
            worker = self._make_worker(lambda outcome: self._post("observe", outcome),
                                       lambda *args: self._post("progress", *args))
        except Exception as error:  # no connection or gateway for this worker
            log.warning("replay worker not started: %s", error)
            self._post("failed", error)
            return
        chunk = Chunk(frozenset(), ReplayReport())
        try:
            while True:
                try:
                    # Finished rows wait a moment for more to share their commit.
                    entry = self._work.get(timeout=FLUSH_AFTER if chunk.claimed else None)
                except queue.Empty:
                    self._flush(worker, chunk)
                    continue
                if entry is None:
                    return
                chunk.claimed = chunk.claimed | {entry.id}
                if self._stopping.is_set():
                    self._post("answered", None)  # not sent: the flush gives it back
                    continue
                started = time.perf_counter()
                try:
                    worker.process(replay_pass, chunk, entry)
                except BaseException as error:  # Stop, or the coordinator raises it
                    self._post("answered", None)
                    self._post("failed", error)  # before "written": the pass must see it
                    self._flush(worker, chunk)
                    continue
                self._post("answered", time.perf_counter() - started)
                if len(chunk.claimed) >= FLUSH_EVERY:
                    self._flush(worker, chunk)
        finally:
            self._flush(worker, chunk)
            worker.close()

    def _flush(self, worker: Worker, chunk: Chunk) -> None:
        """Write the worker's finished rows (one transaction) and resolve the rest of its
        claimed rows (``RowSender.flush``); then tell the coordinator which rows are done."""
        if not chunk.claimed:
            return
        ids = sorted(chunk.claimed)
        try:
            worker.flush(chunk)
        except BaseException as error:  # the rows stay sending: read back later
            self._post("failed", error)
        finally:
            self._merge(chunk.report)
            chunk.claimed, chunk.report = frozenset(), ReplayReport()
            chunk.written.clear()
            chunk.lost.clear()
            self._post("written", ids)

    def _merge(self, part: ReplayReport) -> None:
        replay_pass = self._replay_pass
        if replay_pass is None:
            return
        with self._report_lock:
            report = replay_pass.report
            report.done += part.done
            report.moved += part.moved
            report.waiting_list += part.waiting_list
            report.rejected += part.rejected
            report.retry_later += part.retry_later
            report.settled += part.settled
            report.outcomes.extend(part.outcomes)
