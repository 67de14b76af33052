"""Pulling notifications by cursor: the way in when the receiver is off or unreachable.

CeR keeps every notification available to ``pobierzNotyfikacje`` whatever happened to its push,
so pulling is also the safety net behind the receiver. Order of steps, chosen so that a crash at
any point loses nothing and duplicates nothing that matters:

1. fetch the notifications after the stored cursor;
2. store each (``store_notification``; a duplicate - already pushed - is dropped by its id);
3. save the new cursor (``SyncState``), then acknowledge it to CeR.

A crash between 2 and 3 fetches the same batch again next time: stored once, by its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recepcja.sync.notifications import store_notification

if TYPE_CHECKING:
    from recepcja.cer.port import CerPort
    from recepcja.store.repos import Repositories

CURSOR_KEY = "notifications.cursor"
LAST_PULL_KEY = "notifications.last_pull"


@dataclass(frozen=True, slots=True)
class PullResult:
    received: int
    stored: int  # new ones (received - duplicates)
    cursor: int

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def pull_notifications(
    gateway: CerPort, repos: Repositories, *, limit: int = 500, max_batches: int = 100
) -> PullResult:
    """Fetch and store everything after the saved cursor (up to ``max_batches`` × ``limit``),
    save and acknowledge the cursor. Raises the gateway's typed errors (CeR unreachable: try
    again later; nothing was lost)."""
    cursor = int(repos.sync_state.get(CURSOR_KEY, "0") or 0)
    received = stored = 0
    for _batch in range(max_batches):
        notifications, next_cursor = gateway.pull_notifications(cursor, limit)
        for notification in notifications:
            received += 1
            stored += store_notification(repos, notification, "pull")
        if next_cursor != cursor:
            repos.sync_state.set(CURSOR_KEY, str(next_cursor))
            gateway.ack_notifications(next_cursor)
            cursor = next_cursor
        if len(notifications) < limit:
            break
    repos.sync_state.set_time(LAST_PULL_KEY, repos.sync_state.clock())
    return PullResult(received=received, stored=stored, cursor=cursor)
