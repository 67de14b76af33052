"""Taking blocked terms out of CeR as an outbox operation (``withdraw_slots``).

A doctor's absence blocks her free terms locally; CeR must stop offering them too, or portal
patients book the absent doctor. The withdrawal is queued in the SAME transaction that blocks
the terms (``queue_withdrawal``), so it survives a CeR outage and a crash like any booking, and
the outbox replay sends it (``withdraw_slots``, dispatched by ``Replayer.process``):

- only terms still blocked here, known to CeR and not withdrawn yet are sent (``usunSloty``);
  a term booked meanwhile is left alone;
- what CeR accepts (or no longer knows) is marked withdrawn locally in the transaction that
  finishes the row; what it refuses (a patient holds the term in CeR) is listed in the row's
  result and stays on ``SlotRepo.to_withdraw``, so the next ``publish`` tries again - and a
  patient holding a term of an absent doctor is flagged to the desk (``sync.absence_watch``);
- a resend is harmless: a term already withdrawn is not sent again, and CeR answers "not found"
  for one withdrawn by an attempt whose answer was lost.

A term a moved visit leaves is queued with that visit's id, so the outbox sends it only after
the visit's ``change`` (CeR refuses to withdraw a term a visit still holds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from recepcja.cer.errors import MINOR_NOT_FOUND
from recepcja.domain.entities import Slot
from recepcja.domain.model import WARSAW, SlotState
from recepcja.store.records import OutboxOp
from recepcja.store.working_records import OutboxEntry

if TYPE_CHECKING:
    from recepcja.cer.port import CerPort
    from recepcja.cer.types import ItemResult
    from recepcja.store.repos import Repositories


Call = Callable[[Callable[[], Any]], Any]  # the replay's guarded CeR call


def queue_withdrawal(
    repos: Repositories, slots: Iterable[Slot], *, user: str, visit_id: int | None = None,
    reason: str = "absence",
) -> int | None:
    """Queue the withdrawal of ``slots`` from CeR (inside the caller's transaction). Only terms
    CeR knows are queued; returns the row's id, or None when there is nothing to withdraw."""
    ids = sorted({slot.id for slot in slots if slot.id is not None and slot.cer_id})
    if not ids:
        return None
    return repos.outbox.enqueue(
        OutboxOp.WITHDRAW_SLOTS, {"slot_ids": ids, "reason": reason}, user=user,
        visit_id=visit_id,
    )


def withdraw_slots(
    repos: Repositories, gateway: CerPort, entry: OutboxEntry, call: Call
) -> tuple[dict[str, Any], Callable[[], None]]:
    """Send one ``withdraw_slots`` row: returns (the row's result, the local write to make in
    the transaction that finishes the row). CeR failures propagate through ``call``."""
    wanted = {int(slot_id) for slot_id in entry.payload.get("slot_ids", [])}
    by_schedule: dict[int, list[Slot]] = {}
    for slot_id in sorted(wanted):
        slot = repos.slots.get(slot_id)
        if slot is not None and slot.state == SlotState.BLOCKED and slot.cer_id:
            by_schedule.setdefault(slot.schedule_id, []).append(slot)
    done: list[int] = []
    refused: list[dict[str, Any]] = []
    for schedule_id, blocked in by_schedule.items():
        schedule = repos.schedules.get(schedule_id)
        offered = {s.id for s in repos.slots.to_withdraw(schedule_id)}
        slots = [s for s in blocked if s.id in offered]
        if schedule is None or not schedule.cer_id or not slots:
            continue
        cer_ids = [s.cer_id for s in slots if s.cer_id]
        results = call(_delete(gateway, schedule.cer_id, cer_ids))
        _sort(results, slots, done, refused)
    detail = {"withdrawn": len(done), "slot_ids": done, "refused": refused,
              "not_needed": len(wanted) - len(done) - len(refused)}

    def apply() -> None:
        if done:
            repos.slots.mark_withdrawn(done)

    return detail, apply


def _delete(gateway: CerPort, schedule_cer_id: str, cer_ids: list[str]) -> Callable[[], Any]:
    return lambda: gateway.delete_slots(schedule_cer_id, cer_ids)


def sort_withdrawals(
    results: Iterable[ItemResult], by_cer: Mapping[str | None, Slot]
) -> tuple[list[Slot], list[tuple[Slot, ItemResult]]]:
    """CeR's per-item answer to ``usunSloty`` as (withdrawn slots, refused slots with CeR's
    item). "Not found" counts as withdrawn: an earlier attempt whose answer was lost did it.
    The answer names a slot by its local id when it has one, and carries the CeR id."""
    withdrawn: list[Slot] = []
    refused: list[tuple[Slot, ItemResult]] = []
    for item in results:
        slot = by_cer.get(item.cer_id) or by_cer.get(item.local_id)
        if slot is None or slot.id is None:
            continue
        if item.accepted or item.code == MINOR_NOT_FOUND:
            withdrawn.append(slot)
        else:
            refused.append((slot, item))
    return withdrawn, refused


def _sort(results: Iterable[ItemResult], slots: list[Slot], done: list[int],
          refused: list[dict[str, Any]]) -> None:
    withdrawn, not_withdrawn = sort_withdrawals(results, {s.cer_id: s for s in slots})
    done.extend(int(slot.id or 0) for slot in withdrawn)
    refused.extend({
        "slot_id": slot.id, "start": slot.start.astimezone(WARSAW).isoformat(),
        "code": (item.code or "?").rsplit(":", 1)[-1], "message": item.message or "",
    } for slot, item in not_withdrawn)
