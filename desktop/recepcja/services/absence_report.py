"""How far an applied absence has got: read from its outbox rows, never assumed.

``absence_progress`` tells the window's result view and ``recepcja absence`` what CeR has of
it - each move in CeR, waiting for CeR or refused by CeR (with CeR's reason), the free terms
withdrawn from CeR, refused there, or still waiting - and whom to call. It only reads the local
store, so the window can refresh it on the UI thread whenever the sync engine finishes a row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from recepcja.i18n import _, ngettext
from recepcja.services.absence import AppliedAbsence, AppliedMove
from recepcja.store.records import OutboxState
from recepcja.store.repos import Repositories


class InCer(StrEnum):
    DONE = "done"  # CeR has it
    WAITING = "waiting"  # queued: the sync sends it (CeR unreachable, or not tried yet)
    REFUSED = "refused"  # CeR said no: the desk must act


@dataclass(frozen=True, slots=True)
class MoveProgress:
    move: AppliedMove
    state: InCer
    reason: str = ""  # CeR's refusal, or why it is still waiting


@dataclass(frozen=True, slots=True)
class Call:
    """One patient to call: moved (``to`` is the new term) or left without a new term."""

    name: str
    phone: str | None
    was: dt.datetime
    to: dt.datetime | None
    doctor: str
    state: InCer | None  # of the move in CeR; None: not moved


@dataclass(slots=True)
class AbsenceProgress:
    applied: AppliedAbsence
    moves: list[MoveProgress] = field(default_factory=list)
    withdrawn: int = 0  # free terms CeR withdrew
    withdrawal_waiting: int = 0  # withdrawal rows not finished yet
    withdrawal_refused: list[str] = field(default_factory=list)  # "start: reason" per term
    terms_still_in_cer: int = 0  # blocked terms of this absence CeR still offers

    @property
    def complete(self) -> bool:
        """Everything reached CeR and nothing was refused."""
        return (all(m.state == InCer.DONE for m in self.moves) and not self.withdrawal_waiting
                and not self.withdrawal_refused and not self.terms_still_in_cer)

    @property
    def refused_moves(self) -> list[MoveProgress]:
        return [m for m in self.moves if m.state == InCer.REFUSED]

    def calls(self) -> list[Call]:
        """Whom the desk calls: every moved patient (CeR notifies them too) and every patient
        left without a new term, in the order of their lost terms."""
        items = [Call(f"{m.move.patient.last_name} {m.move.patient.first_name}",
                      m.move.patient.phone, m.move.was, m.move.to.start, m.move.to.resource_name,
                      m.state) for m in self.moves]
        items += [Call(f"{v.patient.last_name} {v.patient.first_name}", v.patient.phone,
                       v.start, None, "", None) for v in self.applied.unresolved]
        return sorted(items, key=lambda call: call.was)

    def left_to_do(self) -> list[str]:
        """What is not done yet, one plain sentence each (empty when complete)."""
        lines = []
        waiting = [m for m in self.moves if m.state == InCer.WAITING]
        if waiting:
            lines.append(ngettext(
                "{count} move waits for CeR; it is queued and will be sent automatically.",
                "{count} moves wait for CeR; they are queued and will be sent automatically.",
                len(waiting)).format(count=len(waiting)))
        for move in self.refused_moves:
            lines.append(_("CeR refused to move {patient}: {reason} Choose another term for "
                           "this patient.").format(
                patient=f"{move.move.patient.last_name} {move.move.patient.first_name}",
                reason=move.reason))
        still = max(0, self.terms_still_in_cer - len(self.withdrawal_refused))
        if self.withdrawal_waiting or still:
            lines.append(ngettext(
                "{count} free term of the absent doctor is still offered in CeR; its "
                "withdrawal is queued and will be retried automatically.",
                "{count} free terms of the absent doctor are still offered in CeR; their "
                "withdrawal is queued and will be retried automatically.", still)
                .format(count=still))
        if self.withdrawal_refused:
            lines.append(ngettext(
                "CeR did not withdraw {count} term: a patient holds it in CeR. It is listed "
                "as a visit on an absent doctor's day.",
                "CeR did not withdraw {count} terms: patients hold them in CeR. They are listed "
                "as visits on an absent doctor's day.", len(self.withdrawal_refused)).format(
                count=len(self.withdrawal_refused)))
        if self.applied.unresolved:
            lines.append(ngettext(
                "{count} visit has no new term: call the patient.",
                "{count} visits have no new term: call these patients.",
                len(self.applied.unresolved)).format(count=len(self.applied.unresolved)))
        return lines


def state_text(state: InCer | None) -> str:
    """The state of a move as the desk reads it."""
    return {
        InCer.DONE: _("in CeR"),
        InCer.WAITING: _("waiting for CeR"),
        InCer.REFUSED: _("refused by CeR"),
        None: _("no new term: call the patient"),
    }[state]


def absence_progress(repos: Repositories, applied: AppliedAbsence) -> AbsenceProgress:
    progress = AbsenceProgress(applied)
    for move in applied.moves:
        entry = repos.outbox.get(move.change_id)
        state, reason = InCer.WAITING, ""
        if entry is None or entry.state == OutboxState.DONE:
            state = InCer.DONE
        elif entry.state == OutboxState.REJECTED:
            state, reason = InCer.REFUSED, entry.last_error or ""
        elif entry.last_error:
            reason = entry.last_error
        progress.moves.append(MoveProgress(move, state, reason))
    wanted: set[int] = set()
    for entry_id in applied.withdrawal_ids:
        entry = repos.outbox.get(entry_id)
        if entry is None:
            continue
        wanted.update(int(i) for i in entry.payload.get("slot_ids", []))
        if entry.state == OutboxState.DONE:
            result = entry.result or {}
            progress.withdrawn += int(result.get("withdrawn", 0))
            progress.withdrawal_refused += [f"{r.get('start', '?')}: {r.get('message', '')}"
                                            for r in result.get("refused", [])]
        elif entry.state == OutboxState.REJECTED:
            progress.withdrawal_refused.append(entry.last_error or "")
        else:
            progress.withdrawal_waiting += 1
    schedules = {slot.schedule_id for slot_id in wanted
                 if (slot := repos.slots.get(slot_id)) is not None}
    offered = {s.id for schedule_id in schedules for s in repos.slots.to_withdraw(schedule_id)}
    progress.terms_still_in_cer = len(offered & wanted)
    return progress
