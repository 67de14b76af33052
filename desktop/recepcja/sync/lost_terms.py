"""The terms CeR gave to somebody else are shown taken as soon as CeR's answer is known.

When the replay finds a locally booked term taken in CeR (a portal patient booked it during
the outage), it moves the desk's patient to the nearest allowed term or onto the central waiting
list and frees the lost term locally - where the day view and ``recepcja slots`` would show it
"wolny" until a reconciliation brings the portal visit. CeR's answer already says the term is
not free, so the row's outcome is written together with the term marked booked (no visit of
ours holds it; the portal visit lands on it when it arrives, and a free term reported by CeR
frees it again). Every path that replays (the window's engine, ``recepcja sync``, ``sync
--once``, the immediate try of ``recepcja book``) writes outcomes through
``sync.replay_rows.RowSender``, which calls ``take_lost_term`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recepcja.domain.model import SlotState
from recepcja.store.repos import Repositories
from recepcja.sync.replay_report import CALL_OUTCOMES

_CALL_OUTCOMES = frozenset(str(outcome) for outcome in CALL_OUTCOMES)


def take_lost_term(repos: Repositories, result: Mapping[str, Any] | None) -> int | None:
    """Mark the term a row lost to somebody else in CeR as booked (call inside the
    transaction that writes the row's outcome); the slot id, or None when there is nothing to
    mark (not a lost term, already taken, or one of our visits holds it again)."""
    if not result or result.get("outcome") not in _CALL_OUTCOMES:
        return None
    slot_id = result.get("original_slot_id")
    slot = repos.slots.get(int(slot_id)) if slot_id is not None else None
    if (slot is None or slot.id is None or slot.state != SlotState.FREE
            or repos.visits.live_for_slot(slot.id) is not None):
        return None
    repos.slots.set_state(slot.id, SlotState.BOOKED)
    return slot.id
