"""After a sync pass: the terms CeR gave to somebody else are shown taken at once.

When the replay finds a locally booked term taken in CeR (a portal patient booked it during
the outage), it moves the desk's patient to the nearest allowed term or onto the central waiting
list and frees the lost term locally - where the day view would show it "wolny" until a
reconciliation brings the portal visit. CeR's answer already says the term is not free, so it is
marked booked (no visit of ours holds it; the portal visit lands on it when it arrives, and a
free term reported by CeR frees it again).
"""

from __future__ import annotations

from collections.abc import Iterable

from recepcja.domain.model import SlotState
from recepcja.store.db import atomic
from recepcja.store.repos import Repositories
from recepcja.sync.replay_report import CALL_OUTCOMES


def mark_lost_terms_taken(repos: Repositories, entry_ids: Iterable[int]) -> list[int]:
    """The slot ids marked taken (one transaction)."""
    outcomes = {str(outcome) for outcome in CALL_OUTCOMES}
    marked = []
    with atomic(repos.db):
        for entry_id in entry_ids:
            entry = repos.outbox.get(entry_id)
            result = entry.result if entry is not None else None
            if not result or result.get("outcome") not in outcomes:
                continue
            slot_id = result.get("original_slot_id")
            slot = repos.slots.get(int(slot_id)) if slot_id is not None else None
            if (slot is None or slot.id is None or slot.state != SlotState.FREE
                    or repos.visits.live_for_slot(slot.id) is not None):
                continue
            repos.slots.set_state(slot.id, SlotState.BOOKED)
            marked.append(slot.id)
    return marked
