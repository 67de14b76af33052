"""Outbox rows left ``sent``: CeR answered, but the process died before the answer was applied.

Nothing picks such a row up by itself (the replay settles ``ambiguous`` rows and sends due
ones), and it holds back every later row of its visit - a cancellation would wait behind it
forever. Reconciliation reads CeR back anyway: once it has made the visit what CeR holds, the
row's work is proven done, and ``finish_sent_rows`` closes it in the same transaction, with the
outcome the replay would have recorded (so a patient the replay had moved stays on the call
list).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from recepcja.domain.errors import ConflictError
from recepcja.store.db import atomic
from recepcja.store.records import OutboxOp, OutboxState
from recepcja.store.working_records import VisitRecord
from recepcja.sync.replay_report import Outcome

if TYPE_CHECKING:
    from recepcja.cer.types import CerVisit
    from recepcja.store.repos import Repositories

log = logging.getLogger("recepcja.sync.reconcile")

SETTLED_BY = "reconcile"


def finish_sent_rows(repos: Repositories, visit_id: int, cer_visit: CerVisit) -> int:
    """Finish the visit's ``sent`` rows whose effect CeR shows (inside the caller's
    transaction, after the visit was made what CeR holds). Returns how many."""
    finished = 0
    for entry in repos.outbox.for_visit(visit_id):
        if entry.state != OutboxState.SENT:
            continue
        result: dict[str, Any] = {**(entry.result or {}), "cer_id": cer_visit.cer_id,
                                  "slot_cer_id": cer_visit.slot_cer_id,
                                  "settled_by": SETTLED_BY}
        if entry.op == OutboxOp.BOOK and not cer_visit.cancelled:
            original = (entry.result or {}).get("original_slot_id", entry.payload.get("slot_id"))
            booked = repos.slots.get(int(original)) if original is not None else None
            moved = booked is not None and booked.cer_id != cer_visit.slot_cer_id
            result["outcome"] = str(Outcome.MOVED if moved else Outcome.BOOKED)
        elif entry.op == OutboxOp.CHANGE:
            target = repos.slots.get(int(entry.payload.get("to_slot_id") or 0))
            if target is None or target.cer_id != cer_visit.slot_cer_id:
                continue  # CeR does not show this change: not proven, left for a person
            result["outcome"] = str(Outcome.CHANGED)
        else:
            continue
        if repos.outbox.mark_done(entry.id, result):
            finished += 1
    return finished


def settle_proven(repos: Repositories, visit: VisitRecord, cer_visit: CerVisit, *,
                  version: str | None = None) -> int | None:
    """CeR holds our visit: record its CeR id here (a pending visit becomes confirmed) and
    finish the rows left ``sent`` that CeR's state proves done - one transaction. Returns how
    many rows were finished; None (nothing written) when CeR's id is on another visit here."""
    try:
        with atomic(repos.db):
            if visit.cer_id in (None, cer_visit.cer_id):
                repos.visits.confirm(visit.id, cer_visit.cer_id, version)
            return finish_sent_rows(repos, visit.id, cer_visit)
    except ConflictError:  # CeR's id is on another visit here: reconciliation lists that
        log.warning("visit %s: CeR's id %s is held by another visit", visit.id, cer_visit.cer_id)
        return None


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
