"""Outbox rows left ``sent``: CeR answered, but the process died before the answer was applied.

Nothing picks such a row up by itself (the replay settles ``ambiguous`` rows and sends due
ones), and it holds back every later row of its visit - a cancellation would wait behind it
forever. Reconciliation reads CeR back anyway: once it has made the visit what CeR holds, the
row's work is proven done, and ``finish_sent_rows`` closes it in the same transaction, with the
outcome the replay would have recorded (so a patient the replay had moved stays on the call
list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recepcja.store.records import OutboxOp, OutboxState
from recepcja.sync.replay_report import BOOKED, CHANGED, MOVED

if TYPE_CHECKING:
    from recepcja.cer.types import CerVisit
    from recepcja.store.repos import Repositories

SETTLED_BY = "reconcile"


def finish_sent_rows(repos: Repositories, visit_id: int, cer_visit: CerVisit) -> int:
    """Finish the visit's ``sent`` rows whose effect CeR shows (inside the caller's
    transaction, after the visit was made what CeR holds). Returns how many."""
    visit = repos.visits.get(visit_id)
    if visit is None:
        return 0
    finished = 0
    for entry in repos.outbox.for_visit(visit_id):
        if entry.state != OutboxState.SENT:
            continue
        result: dict[str, Any] = {**(entry.result or {}), "cer_id": cer_visit.cer_id,
                                  "slot_cer_id": cer_visit.slot_cer_id,
                                  "settled_by": SETTLED_BY}
        if entry.op == OutboxOp.BOOK and not cer_visit.cancelled:
            original = (entry.result or {}).get("original_slot_id", entry.payload.get("slot_id"))
            moved = original is not None and visit.slot_id != original
            result["outcome"] = MOVED if moved else BOOKED
            if moved:
                result.setdefault("original_slot_id", original)
        elif entry.op == OutboxOp.CHANGE:
            target = repos.slots.get(int(entry.payload.get("to_slot_id") or 0))
            if target is None or target.cer_id != cer_visit.slot_cer_id:
                continue  # CeR does not show this change: not proven, left for a person
            result["outcome"] = CHANGED
        else:
            continue
        if repos.outbox.mark_done(entry.id, result):
            finished += 1
    return finished


def supersede_sent_rows(repos: Repositories, visit_id: int) -> int:
    """A booking CeR does not have after all is sent again: its old ``sent`` rows are closed
    first (inside the caller's transaction), or the new row would wait behind them forever."""
    finished = 0
    for entry in repos.outbox.for_visit(visit_id):
        if entry.state == OutboxState.SENT and repos.outbox.mark_done(
            entry.id, {**(entry.result or {}), "outcome": "superseded",
                       "settled_by": SETTLED_BY}):
            finished += 1
    return finished
