"""Applying CeR's notifications to the local schedule: idempotent, order-proof, observable.

Notifications arrive twice over (push to the receiver, pull by cursor), duplicated and out of
order. They are first stored (``store_notification``: the UNIQUE CeR id drops duplicates), then
applied here, on the sync thread, by ``NotificationApplier``:

- every notification carries a snapshot of the visit with CeR's ``version``; a snapshot no newer
  than the version stored locally is *stale* and changes nothing, so an old booking arriving after
  its cancellation cannot bring the visit back (the cancellation is kept as a cancelled visit - a
  tombstone - even when the booking was never seen);
- a term the store does not know is read back from CeR (``read_slots``) and created locally; a
  patient the store does not know is registered from the snapshot;
- a portal cancellation frees the local slot (``VisitRepo.apply_from_cer``);
- a booking CeR accepted for a term the store holds for someone else is a *conflict*: nothing is
  overwritten, the change is reported (reconciliation lists it and the incident report names it);
- a booking that lands on a day its doctor is absent (CeR still offered the term: the absence's
  withdrawal had not reached CeR yet) is applied and *flagged* (``ON_ABSENCE``): the desk must
  move the visit and call the patient, and the visit stays listed until it does
  (``sync.absence_watch``).

What changed is handed to listeners as ``Change`` values (plain data, no connection, no PESEL),
so the GUI can show a toast and refresh its views, and the log of changes can be built from
``NotificationRepo.recent``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from recepcja.cer.errors import CerError
from recepcja.cer.types import CerNotification, CerPatient, CerVisit, NotificationKind
from recepcja.crashpoints import crash_point
from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import WARSAW, DocumentType, TermKind, Urgency, VisitSource, VisitState
from recepcja.i18n import _
from recepcja.store.working_records import NotificationRecord, VisitRecord
from recepcja.sync.absence_watch import slot_on_absence

if TYPE_CHECKING:
    from recepcja.cer.port import CerPort
    from recepcja.store.repos import Repositories

log = logging.getLogger("recepcja.sync.notifications")

CER_USER = "CeR"


class Outcome(StrEnum):
    """What applying one notification did (stored in ``notifications.outcome``)."""

    APPLIED = "applied"  # the local schedule now shows the change
    ON_ABSENCE = "on_absence"  # applied, but the doctor is absent that day: flagged to the desk
    STALE = "stale"  # an older version than the one stored: nothing to do
    CONFLICT = "conflict"  # the term is held locally by another visit: listed for a human
    UNKNOWN_SCHEDULE = "unknown_schedule"  # a schedule this practice does not have locally
    INVALID = "invalid"  # the stored payload cannot be read (a bug): listed for a human


@dataclass(frozen=True, slots=True)
class Change:
    """One applied notification, as the GUI shows it (no PESEL: toasts are seen by anyone
    near the screen)."""

    notification_id: int
    cer_notification_id: str
    kind: NotificationKind | None
    outcome: Outcome
    visit_cer_id: str | None = None
    visit_id: int | None = None
    slot_id: int | None = None
    schedule_id: int | None = None
    start: dt.datetime | None = None
    patient_name: str = ""
    detail: str = ""

    @property
    def changed_schedule(self) -> bool:
        """Whether a view showing the schedule should refresh."""
        return self.outcome in (Outcome.APPLIED, Outcome.ON_ABSENCE)

    @property
    def needs_the_desk(self) -> bool:
        """Whether a person must act on it (the window keeps it in view)."""
        return self.outcome in (Outcome.ON_ABSENCE, Outcome.CONFLICT, Outcome.INVALID)

    def message(self) -> str:
        """One translated line for a toast or the log of changes."""
        when = self.start.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M") if self.start else "?"
        if self.outcome == Outcome.STALE:
            return _("An outdated notification from CeR was ignored ({when}).").format(when=when)
        if self.outcome == Outcome.CONFLICT:
            return _(
                "CeR booked the term {when} that is held here by another visit: check the "
                "reconciliation report."
            ).format(when=when)
        if self.outcome == Outcome.UNKNOWN_SCHEDULE:
            return _("CeR reported a change in a schedule this practice does not have.")
        if self.outcome == Outcome.INVALID:
            return _("A notification from CeR could not be read.")
        template = {
            NotificationKind.PORTAL_BOOKING: _("Booked in IKP: {patient}, {when}."),
            NotificationKind.PORTAL_CANCEL: _("Cancelled in IKP: {patient}, {when}."),
            NotificationKind.OTHER_PROVIDER_BOOKING: _(
                "Booked by another provider: {patient}, {when}."
            ),
            NotificationKind.WAITING_ROOM_BOOKING: _(
                "Booked from the waiting room: {patient}, {when}."
            ),
        }.get(self.kind, _("Changed in CeR: {patient}, {when}."))  # type: ignore[arg-type]
        text = template.format(patient=self.patient_name, when=when)
        if self.outcome == Outcome.ON_ABSENCE:
            text += " " + _("The doctor is absent that day: move the visit and call the "
                            "patient.")
        return text


ChangeListener = Callable[[list[Change]], None]


# ----------------------------------------------------------------------------------------------
# The stored form of a notification (``notifications.payload``): JSON of the CeR values.


def notification_to_payload(notification: CerNotification) -> str:
    visit = notification.visit
    patient = visit.patient
    ident = patient.identifier
    return json.dumps(
        {
            "id": notification.id,
            "kind": str(notification.kind),
            "at": notification.at.isoformat(),
            "place": notification.place_cer_id,
            "visit": {
                "cer_id": visit.cer_id,
                "visit_uid": visit.visit_uid,
                "schedule": visit.schedule_cer_id,
                "slot": visit.slot_cer_id,
                "start": visit.start.isoformat(),
                "end": visit.end.isoformat(),
                "patient": {
                    "pesel": ident.pesel,
                    "document_type": None
                    if ident.document_type is None
                    else str(ident.document_type),
                    "document_number": ident.document_number,
                    "first_name": patient.first_name,
                    "last_name": patient.last_name,
                    "phone": patient.phone,
                    "birth_date": None
                    if patient.birth_date is None
                    else patient.birth_date.isoformat(),
                },
                "urgency": None if visit.urgency is None else str(visit.urgency),
                "central_request_id": visit.central_request_id,
                "referral_id": visit.referral_id,
                "source": str(visit.source),
                "cancelled": visit.cancelled,
                "version": visit.version,
                "changed_at": visit.changed_at.isoformat(),
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def notification_from_payload(payload: str) -> CerNotification:
    data = json.loads(payload)
    v: dict[str, Any] = data["visit"]
    p: dict[str, Any] = v["patient"]
    identifier = PatientIdentifier(
        pesel=p.get("pesel"),
        document_type=DocumentType(p["document_type"]) if p.get("document_type") else None,
        document_number=p.get("document_number"),
    )
    patient = CerPatient(
        identifier=identifier,
        first_name=p["first_name"],
        last_name=p["last_name"],
        phone=p.get("phone"),
        birth_date=dt.date.fromisoformat(p["birth_date"]) if p.get("birth_date") else None,
    )
    visit = CerVisit(
        cer_id=v["cer_id"],
        visit_uid=v.get("visit_uid"),
        schedule_cer_id=v["schedule"],
        slot_cer_id=v["slot"],
        start=dt.datetime.fromisoformat(v["start"]),
        end=dt.datetime.fromisoformat(v["end"]),
        patient=patient,
        urgency=Urgency(v["urgency"]) if v.get("urgency") else None,
        central_request_id=v.get("central_request_id"),
        referral_id=v.get("referral_id"),
        source=VisitSource(v["source"]),
        cancelled=bool(v["cancelled"]),
        version=int(v["version"]),
        changed_at=dt.datetime.fromisoformat(v["changed_at"]),
    )
    return CerNotification(
        id=data["id"],
        kind=NotificationKind(data["kind"]),
        at=dt.datetime.fromisoformat(data["at"]),
        place_cer_id=data["place"],
        visit=visit,
    )


def store_notification(repos: Repositories, notification: CerNotification, channel: str) -> bool:
    """Store one notification durably (one transaction). False for a duplicate."""
    return repos.notifications.store(
        notification.id,
        str(notification.kind),
        notification_to_payload(notification),
        channel=channel,
        cer_version=str(notification.visit.version),
        cer_timestamp=notification.visit.changed_at,
    )


# ----------------------------------------------------------------------------------------------
# Shared with reconciliation: making the local store hold what CeR holds.


def patient_id_for(repos: Repositories, patient: CerPatient) -> int:
    """The local patient CeR means (by PESEL or document), registered from CeR's data if new."""
    ident = patient.identifier
    if ident.pesel:
        found = repos.patients.by_pesel(ident.pesel)
    else:
        assert ident.document_type is not None and ident.document_number is not None
        found = repos.patients.by_document(ident.document_type, ident.document_number)
    if found is not None and found.id is not None:
        return repos.patients.merged_into(found.id) or found.id
    new = Patient(
        identifier=ident,
        first_name=patient.first_name,
        last_name=patient.last_name,
        phone=patient.phone,
        birth_date=patient.birth_date,
    )
    return repos.patients.add(new, CER_USER)


def local_visit_for(repos: Repositories, visit: CerVisit) -> VisitRecord | None:
    found = repos.visits.by_cer_id(visit.cer_id)
    if found is None and visit.visit_uid:
        found = repos.visits.by_uid(visit.visit_uid)
    return found


def is_stale(local: VisitRecord | None, visit: CerVisit) -> bool:
    """True when the store already holds this version of the visit or a newer one."""
    if local is None or not local.cer_version:
        return False
    try:
        return int(local.cer_version) >= visit.version
    except ValueError:
        return False


def store_cer_visit(
    repos: Repositories,
    visit: CerVisit,
    slot_id: int | None,
    local: VisitRecord | None,
) -> int:
    """Make the store hold ``visit`` as CeR has it (on ``slot_id``); returns the visit id.
    Raises ConflictError when the slot is held by another live visit."""
    patient_id = patient_id_for(repos, visit.patient)
    crash_point("notifications.after_patient")
    live = not visit.cancelled
    if local is None:
        new = Visit(
            visit_uid=visit.visit_uid or f"cer-{visit.cer_id}",
            patient_id=patient_id,
            slot_id=slot_id,
            urgency=visit.urgency or Urgency.STABLE,
            central_request_id=visit.central_request_id,
            referral_id=visit.referral_id,
            state=VisitState.CONFIRMED if live else VisitState.CANCELLED,
            cer_id=visit.cer_id,
        )
        return repos.visits.record_from_cer(
            new, slot_id, visit.source, cer_version=str(visit.version)
        )
    repos.visits.apply_from_cer(
        local.id,
        slot_id=slot_id,
        live=live,
        cer_id=visit.cer_id,
        cer_version=str(visit.version),
        patient_id=patient_id,
    )
    return local.id


def local_slot_for(
    repos: Repositories, visit: CerVisit, gateway: CerPort | None
) -> tuple[int | None, int | None]:
    """(schedule id, slot id) of the visit's term locally; a known schedule's unknown term is
    read back from CeR (its kind) and created. (None, None): the schedule is not ours."""
    slot = repos.slots.by_cer_id(visit.slot_cer_id)
    if slot is not None:
        return slot.schedule_id, slot.id
    schedule = repos.schedules.by_cer_id(visit.schedule_cer_id)
    if schedule is None or schedule.id is None:
        return None, None
    start, end, kind = visit.start, visit.end, TermKind.DEFAULT_PROCEDURE
    if gateway is not None:
        try:
            for cer_slot in gateway.read_slots(visit.schedule_cer_id, visit.start, visit.end):
                if cer_slot.cer_id == visit.slot_cer_id:
                    start, end, kind = cer_slot.start, cer_slot.end, cer_slot.term_kind
                    break
        except CerError as error:  # CeR unreachable now: the snapshot's times will do
            log.info(
                "read-back of %s failed (%s); using the notification",
                visit.slot_cer_id,
                type(error).__name__,
            )
    slot_id = repos.slots.adopt_from_cer(
        schedule.id, start, end, term_kind=kind, cer_id=visit.slot_cer_id
    )
    return schedule.id, slot_id


def change_log(repos: Repositories, limit: int = 100) -> list[Change]:
    """The log of changes CeR told us about, newest first (the GUI's log view): one ``Change``
    per applied notification (those still waiting to be applied follow once they are)."""
    changes: list[Change] = []
    for record in repos.notifications.recent(limit):
        if record.applied_at is None or not record.outcome:
            continue
        try:
            notification = notification_from_payload(record.payload)
        except (KeyError, TypeError, ValueError):
            changes.append(Change(record.id, record.cer_notification_id, None, Outcome.INVALID))
            continue
        visit = notification.visit
        outcome, _sep, detail = record.outcome.partition(": ")
        changes.append(
            Change(
                record.id,
                record.cer_notification_id,
                notification.kind,
                Outcome(outcome) if outcome in {str(o) for o in Outcome} else Outcome.INVALID,
                visit_cer_id=visit.cer_id,
                start=visit.start,
                patient_name=f"{visit.patient.first_name} {visit.patient.last_name}",
                detail=detail,
            )
        )
    return changes


# ----------------------------------------------------------------------------------------------


class NotificationApplier:
    """Applies stored notifications to the local store. Runs on the thread that owns
    ``repos`` (the sync thread); ``gateway`` (same thread) is used for read-backs, optional."""

    def __init__(
        self,
        repos: Repositories,
        gateway: CerPort | None = None,
        listeners: Iterable[ChangeListener] = (),
    ) -> None:
        self.repos = repos
        self.gateway = gateway
        self._listeners = list(listeners)

    def add_listener(self, listener: ChangeListener) -> None:
        """``listener(changes)`` is called after each batch, on the applying thread; a GUI
        wraps it into a Qt signal."""
        self._listeners.append(listener)

    def apply_pending(self, batch: int = 500) -> list[Change]:
        """Apply every stored, unapplied notification (oldest CeR change first)."""
        changes: list[Change] = []
        while True:
            records = self.repos.notifications.unapplied(batch)
            if not records:
                break
            done = [self.apply(record) for record in records]
            changes.extend(done)
            self._tell(done)
            if len(records) < batch:
                break
        return changes

    def apply(self, record: NotificationRecord) -> Change:
        """Apply one stored notification and mark it applied with its outcome."""
        try:
            notification = notification_from_payload(record.payload)
        except (KeyError, TypeError, ValueError) as error:
            log.error("notification %s unreadable: %s", record.cer_notification_id, error)
            self.repos.notifications.mark_applied(record.id, str(Outcome.INVALID))
            return Change(record.id, record.cer_notification_id, None, Outcome.INVALID)
        change = self._apply(record.id, notification)
        self.repos.notifications.mark_applied(
            record.id, change.outcome if not change.detail else f"{change.outcome}: {change.detail}"
        )
        crash_point("notifications.after_applied")
        return change

    def _apply(self, record_id: int, notification: CerNotification) -> Change:
        visit = notification.visit
        base = Change(record_id, notification.id, notification.kind, Outcome.APPLIED,
                      visit_cer_id=visit.cer_id, start=visit.start,
                      patient_name=f"{visit.patient.first_name} {visit.patient.last_name}")
        local = local_visit_for(self.repos, visit)
        if is_stale(local, visit):
            return replace(base, outcome=Outcome.STALE, visit_id=local.id if local else None)
        slot_id: int | None = None
        try:
            schedule_id, slot_id = local_slot_for(self.repos, visit, self.gateway)
            if schedule_id is None:
                return replace(
                    base, outcome=Outcome.UNKNOWN_SCHEDULE, detail=visit.schedule_cer_id
                )
            visit_id = store_cer_visit(self.repos, visit, slot_id, local)
            crash_point("notifications.after_store_visit")
        except ConflictError as error:
            return replace(base, outcome=Outcome.CONFLICT, slot_id=slot_id, detail=str(error))
        absence = None if visit.cancelled else slot_on_absence(self.repos, slot_id)
        if absence is not None:
            log.warning("CeR booked visit %s on a day its doctor is absent", visit.cer_id)
        return replace(
            base,
            outcome=Outcome.APPLIED if absence is None else Outcome.ON_ABSENCE,
            visit_id=visit_id,
            slot_id=slot_id,
            schedule_id=schedule_id,
            detail="" if absence is None else absence.reason,
        )

    def _tell(self, changes: list[Change]) -> None:
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:  # a broken view must not stop the sync thread
                log.exception("a notification listener failed")


# ----------------------------------------------------------------------------------------------


__all__ = [
    "CER_USER",
    "Change",
    "ChangeListener",
    "change_log",
    "NotificationApplier",
    "Outcome",
    "is_stale",
    "local_slot_for",
    "local_visit_for",
    "notification_from_payload",
    "notification_to_payload",
    "patient_id_for",
    "store_cer_visit",
    "store_notification",
]
