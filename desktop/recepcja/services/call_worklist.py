"""The desk's call worklist: every patient the desk must phone, in one list she can finish.

Three sources, one list (the window's "Do telefonu" and ``recepcja calls list``):

- the replay: bookings whose term CeR had given away meanwhile (moved to the nearest allowed
  term, or onto the central waiting list) - ``services.call_list.call_list``;
- a doctor's absence: visits moved away from the absent day (the provider-side ``change``
  whose left term is now blocked) and visits still standing on an absent day;
- tomorrow's reminders: visits tomorrow CeR's own SMS does not cover - not in CeR (no CeR
  identifier yet) or the patient has no mobile number.

Each call is recorded in the patient's call history (``store.patient_card``: ``add_call``) with
its mark - "zadzwoniono" (reached), "nie odbiera" (no answer), "umówiono" (arranged) - and the
item's reason, so the worklist survives a restart and an item leaves the list only when the
patient was reached or a new term arranged; "nie odbiera" keeps it on the list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from recepcja.domain.model import WARSAW, SlotState
from recepcja.domain.phone import is_mobile
from recepcja.services.call_list import call_list
from recepcja.services.spreadsheet import excel_time, write_workbook
from recepcja.store.patient_card import CallOutcome, CallRecord, PatientCardRepo
from recepcja.store.records import OutboxOp, OutboxState
from recepcja.store.repos import Repositories

DONE_MARKS = frozenset({CallOutcome.REACHED, CallOutcome.ARRANGED})
LIVE_STATES = frozenset({"pending", "confirmed"})


class CallReason(StrEnum):
    """Why the patient is on the list (stored as the call's ``reason``)."""

    REPLAY_MOVED = "replay_moved"  # CeR gave the term away: booked on another one
    REPLAY_WAITING = "replay_waiting"  # no allowed term left: the central waiting list
    ABSENCE_MOVED = "absence_moved"  # the doctor is absent: moved to another term
    ABSENCE_LEFT = "absence_left"  # the doctor is absent: the visit still stands there
    REMINDER = "reminder"  # tomorrow's visit, not reminded by CeR's SMS
    REFERRAL_REFUSED = "referral_refused"  # the replay found the e-referral unusable (detail)


@dataclass(frozen=True, slots=True)
class WorkItem:
    reason: CallReason
    patient_id: int
    patient_name: str  # "Kowalska Anna"
    phone: str | None  # E.164 as stored
    visit_id: int | None
    term: dt.datetime | None  # the visit's term now (None: on the central waiting list)
    lost_term: dt.datetime | None  # the term it had before (moves)
    where: str  # schedule (doctor / device) of the term
    since: dt.datetime | None  # marks from this moment on count (None: any)
    waiting_list_position: int | None = None
    calls: tuple[CallRecord, ...] = field(default=())  # this item's calls, newest first
    detail: str = ""  # what the reason alone does not say (why the e-referral is unusable)

    @property
    def key(self) -> tuple[str, int | None, int]:
        return (str(self.reason), self.visit_id, self.patient_id)

    @property
    def last_mark(self) -> CallOutcome | None:
        return self.calls[0].outcome if self.calls else None

    @property
    def done(self) -> bool:
        return self.last_mark in DONE_MARKS

    def as_json(self) -> dict[str, Any]:
        return {
            "reason": str(self.reason), "patient_id": self.patient_id,
            "patient_name": self.patient_name, "phone": self.phone, "visit_id": self.visit_id,
            "term": self.term.isoformat() if self.term else None,
            "lost_term": self.lost_term.isoformat() if self.lost_term else None,
            "where": self.where, "waiting_list_position": self.waiting_list_position,
            "last_mark": str(self.last_mark) if self.last_mark else None, "done": self.done,
        }


def worklist(repos: Repositories, now: dt.datetime, *, include_done: bool = False,
             reminders_for: dt.date | None = None) -> list[WorkItem]:
    """Everybody to phone, the nearest term first (the waiting list last). ``reminders_for``:
    the day whose visits need a reminder call (default: tomorrow)."""
    day = reminders_for or (now.astimezone(WARSAW).date() + dt.timedelta(days=1))
    card = PatientCardRepo(repos.db)
    found: dict[tuple[str, int | None, int], WorkItem] = {}
    for item in [*_replay(repos), *_absence(repos, now), *_reminders(repos, day, now)]:
        found.setdefault(item.key, item)
    items = [_with_calls(item, card) for item in found.values()]
    if not include_done:
        items = [item for item in items if not item.done]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(items, key=lambda i: (i.term or far, i.patient_name, i.visit_id or 0))


def mark_call(repos: Repositories, item: WorkItem, outcome: CallOutcome | str, user: str, *,
              now: dt.datetime | None = None, note: str = "") -> int:
    """Record one call of the worklist in the patient's call history (at ``now``: the
    desk's clock, the one ``worklist`` was read with)."""
    return PatientCardRepo(repos.db).add_call(
        item.patient_id, outcome, user, visit_id=item.visit_id, reason=str(item.reason),
        note=note, at=now)


def _with_calls(item: WorkItem, card: PatientCardRepo) -> WorkItem:
    calls = tuple(
        call for call in card.calls(item.patient_id)
        if call.reason == str(item.reason) and call.visit_id == item.visit_id
        and (item.since is None or call.called_at >= item.since)
    )
    return WorkItem(item.reason, item.patient_id, item.patient_name, item.phone, item.visit_id,
                    item.term, item.lost_term, item.where, item.since,
                    item.waiting_list_position, calls, item.detail)


def _replay(repos: Repositories) -> list[WorkItem]:
    items = []
    for entry in call_list(repos):
        visit = repos.visits.get(entry.visit_id)
        if visit is None:
            continue
        reason = (CallReason.REFERRAL_REFUSED if entry.reason
                  else CallReason.REPLAY_WAITING if entry.on_waiting_list
                  else CallReason.REPLAY_MOVED)
        items.append(WorkItem(
            reason, visit.patient_id, f"{entry.last_name} {entry.first_name}".strip(),
            entry.phone, entry.visit_id, entry.new_term, entry.lost_term,
            _where(repos, visit.slot_id), entry.changed_at, entry.waiting_list_position,
            detail=entry.reason or ""))
    return items


def _absence(repos: Repositories, now: dt.datetime) -> list[WorkItem]:
    from recepcja.sync.absence_watch import visits_on_absence

    items = []
    for left in visits_on_absence(repos, now=now):
        items.append(_visit_item(repos, CallReason.ABSENCE_LEFT, left.visit.id, None, None))
    states = [OutboxState.QUEUED, OutboxState.SENDING, OutboxState.FAILED,
              OutboxState.AMBIGUOUS, OutboxState.DONE]
    for entry in repos.outbox.in_states(states):
        if entry.op != OutboxOp.CHANGE or entry.visit_id is None:
            continue
        from_slot = entry.payload.get("from_slot_id")
        slot = repos.slots.get(int(from_slot)) if from_slot is not None else None
        if slot is None or slot.state != SlotState.BLOCKED:
            continue  # an ordinary move at the desk: the patient asked for it
        item = _visit_item(repos, CallReason.ABSENCE_MOVED, entry.visit_id, slot.start,
                           entry.created_at)
        if item.term is not None and item.term > now:
            items.append(item)
    return [item for item in items if item.patient_id]


def _reminders(repos: Repositories, day: dt.date, now: dt.datetime) -> list[WorkItem]:
    items = []
    since = dt.datetime.combine(now.astimezone(WARSAW).date(), dt.time(0), WARSAW)
    for schedule in repos.schedules.list():
        for entry in repos.visits.day_sheet(int(schedule.id or 0), day):
            if entry.visit_id is None or entry.visit_state not in LIVE_STATES:
                continue
            visit = repos.visits.get(entry.visit_id)
            phone = entry.patient_phone
            if visit is not None and visit.cer_id and phone and is_mobile(phone):
                continue  # CeR reminds this patient by SMS itself
            items.append(_visit_item(repos, CallReason.REMINDER, entry.visit_id, None, since))
    return [item for item in items if item.patient_id]


def _visit_item(repos: Repositories, reason: CallReason, visit_id: int,
                lost: dt.datetime | None, since: dt.datetime | None) -> WorkItem:
    visit = repos.visits.get(visit_id)
    patient = repos.patients.get(visit.patient_id) if visit is not None else None
    slot = repos.slots.get(visit.slot_id) if visit is not None and visit.slot_id else None
    return WorkItem(
        reason, int(patient.id or 0) if patient else 0,
        f"{patient.last_name} {patient.first_name}".strip() if patient else "",
        patient.phone if patient else None, visit_id, slot.start if slot else None, lost,
        _where(repos, visit.slot_id if visit else None), since)


def _where(repos: Repositories, slot_id: int | None) -> str:
    slot = repos.slots.get(slot_id) if slot_id is not None else None
    schedule = repos.schedules.get(slot.schedule_id) if slot is not None else None
    return schedule.name if schedule is not None else ""


EXPORT_HEADERS = ("Lp.", "Pacjent", "Telefon", "Powód", "Termin", "Poprzedni termin", "Gdzie",
                  "Ostatni telefon")


def export_worklist(repos: Repositories, path: Path, now: dt.datetime, reasons: dict[str, str],
                    marks: dict[str, str], *, password: str | None = None,
                    overwrite: bool = False) -> int:
    """The worklist as an Excel sheet (the words of reasons and marks come from the caller)."""
    rows = (
        [number, item.patient_name, item.phone,
         reasons.get(str(item.reason), "") + (f": {item.detail}" if item.detail else ""),
         excel_time(item.term), excel_time(item.lost_term), item.where,
         marks.get(str(item.last_mark), "") if item.last_mark else ""]
        for number, item in enumerate(worklist(repos, now), 1)
    )
    return write_workbook(path, [("Do telefonu", EXPORT_HEADERS, rows)], password=password,
                          overwrite=overwrite)
