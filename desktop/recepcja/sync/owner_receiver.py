"""The notification receiver on the practice's CeR client only (issue 15).

On a practice database exactly one process pulls AND receives CeR's notifications: the desk
holding the practice's lock (``sync.practice_owner``). ``OwnerReceiver`` follows that
ownership (``PracticeOwnership.watch``): it starts the receiver when this desk becomes the
practice's CeR client and stops it as soon as the desk is no longer (it released the lock, or
its lease lapsed), so the next owner can listen. While it listens, the lock holder's note says
so (``receiver``: its address), and ``recepcja status --json`` on any desk names the desk that
receives. On SQLite (one desk) the ownership is always held: the receiver starts at once, as
before.

A receiver that cannot start when the desk becomes the owner (its port taken) is logged and
``on_failed`` is called: the notification thread pulls by cursor instead.

Plain Python (no Qt); ``follow`` runs on whichever thread notices the change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recepcja.sync.practice_owner import PracticeOwnership
    from recepcja.sync.receiver import NotificationReceiver

log = logging.getLogger("recepcja.sync.receiver")


class OwnerReceiver:
    """Starts and stops ``receiver`` with this desk's ownership (see the module docstring)."""

    def __init__(self, receiver: NotificationReceiver, *,
                 ownership: PracticeOwnership | None = None,
                 on_failed: Callable[[], None] | None = None) -> None:
        self.receiver = receiver
        self._ownership = ownership
        self._on_failed = on_failed
        self._lock = threading.Lock()
        self._closed = False
        self.listening = False

    def start(self) -> None:
        """Follow the ownership from now on (at once on SQLite or without one)."""
        if self._ownership is None:
            self.follow(True)
        else:
            self._ownership.watch(self.follow)

    @property
    def url(self) -> str:
        return self.receiver.url

    def follow(self, held: bool) -> None:
        with self._lock:
            if held and not self.listening and not self._closed:
                try:
                    url = self.receiver.start()
                except Exception:  # a taken port: pull by cursor instead
                    log.exception("the notification receiver did not start; pulling instead")
                    if self._on_failed is not None:
                        self._on_failed()
                    return
                self.listening = True
                log.info("this desk receives the practice's CeR notifications at %s", url)
                self._note(url)
            elif not held and self.listening:
                self.receiver.stop()
                self.listening = False
                log.info("notification receiver stopped: another desk is the practice's CeR "
                         "client now")

    def _note(self, url: str | None) -> None:
        if self._ownership is not None:
            self._ownership.annotate(receiver=url)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self.listening:
                self.receiver.stop()
                self.listening = False
