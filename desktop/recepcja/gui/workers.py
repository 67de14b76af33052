"""Background work for the window: the UI thread never waits on the network or a slow query.

Anki's ``QueryOp`` shape: ``runner.run(fn, on_success=..., on_failure=...)``. ``fn`` runs in a
worker thread (a small ``ThreadPoolExecutor`` owned by the runner: plain Python threads, no
Python-implemented QRunnable, whose ownership PySide6 gets wrong at interpreter exit) and
receives nothing Qt; its result (or exception) comes back to the UI thread
through a queued signal. Failures without a handler go to ``errors.show_error`` - one place. A
"working..." note appears only if the work takes longer than ``PROGRESS_DELAY_MS``, so fast work
does not flicker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from recepcja.gui.errors import show_error
from recepcja.gui.signals import emit

if TYPE_CHECKING:  # the pool (and its threads) exist from the first piece of work
    from concurrent.futures import Future, ThreadPoolExecutor

PROGRESS_DELAY_MS = 500


class _Box:
    """Carries a result or an error through a signal. PySide6 mishandles the reference count
    of a bare ``True``/``False`` sent through ``Signal(object)`` (the interpreter aborts at
    exit with "bool_dealloc"); an ordinary object is passed through untouched."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Relay(QObject):
    """Lives in the UI thread; the worker emits on it and, because the receiving slots belong
    to this UI-thread object, Qt queues the handlers back onto the UI thread."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self, on_success: Callable[[Any], None], on_failure: Callable[[BaseException], None]
    ) -> None:
        super().__init__()
        self._on_success = on_success
        self._on_failure = on_failure
        self.succeeded.connect(self._succeeded)
        self.failed.connect(self._failed)

    @Slot(object)
    def _succeeded(self, box: _Box) -> None:
        self._on_success(box.value)

    @Slot(object)
    def _failed(self, box: _Box) -> None:
        self._on_failure(box.value)


def _call(fn: Callable[[], Any], relay: _Relay) -> None:
    """The worker side: run, then hand the outcome to the relay (queued to the UI thread)."""
    try:
        result = fn()
    except BaseException as error:  # every failure must reach the UI
        emit(relay.failed, _Box(error))
    else:
        emit(relay.succeeded, _Box(result))


class BackgroundRunner(QObject):
    """Runs callables off the UI thread and reports back on it.

    ``busy_changed(label)`` is emitted with a label when work has been running for longer than
    the progress delay, and with "" when nothing runs any more.
    """

    busy_changed = Signal(str)
    finished = Signal()  # one task finished (success or failure), after its handler ran

    def __init__(self, parent: QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._relays: set[_Relay] = set()
        self._labels: dict[_Relay, str] = {}
        self._futures: set[Future[None]] = set()
        self._progress = QTimer(self)
        self._progress.setSingleShot(True)
        self._progress.timeout.connect(self._show_progress)

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Made at the first piece of work, not with the window (a faster cold start)."""
        if self._pool is None:
            if self._closed:  # what a shut-down pool says to new work
                raise RuntimeError("cannot schedule new futures after shutdown")
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self._workers,
                                            thread_name_prefix="recepcja-work")
        return self._pool

    @property
    def active(self) -> int:
        return len(self._relays)

    def run(
        self,
        fn: Callable[[], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        label: str = "",
        error_parent: Any = None,
    ) -> None:
        relay: _Relay

        def done() -> None:
            self._relays.discard(relay)
            self._labels.pop(relay, None)
            relay.deleteLater()
            if self._closed:  # the owner is gone (its timer may be deleted already)
                return
            if not self._relays:
                self._progress.stop()
                emit(self.busy_changed, "")
            emit(self.finished)

        def succeeded(result: Any) -> None:
            try:
                if on_success is not None and not self._closed:
                    on_success(result)
            finally:
                done()

        def failed(error: BaseException) -> None:
            try:
                if self._closed:  # nobody left to tell
                    pass
                elif on_failure is not None:
                    on_failure(error)
                else:
                    show_error(error_parent, error)
            finally:
                done()

        relay = _Relay(succeeded, failed)
        self._relays.add(relay)
        self._labels[relay] = label
        if not self._progress.isActive():
            self._progress.start(PROGRESS_DELAY_MS)
        future = self.pool.submit(_call, fn, relay)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def _show_progress(self) -> None:
        labels = [label for label in self._labels.values() if label]
        if labels:
            emit(self.busy_changed, labels[-1])

    def wait(self, msecs: int = 30000) -> bool:
        """Block until running work is finished (shutdown and tests only; never in a
        handler). True when nothing is left running."""
        if not self._futures:
            return True
        from concurrent.futures import wait as wait_futures

        _done, pending = wait_futures(list(self._futures), timeout=msecs / 1000)
        return not pending

    def shutdown(self) -> None:
        """No new work; threads end when their current call returns (the window's close)."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
