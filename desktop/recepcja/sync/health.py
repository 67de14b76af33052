"""Sync health: what ``recepcja status --json`` (key ``sync``) and the window's sync view show.

Proof that the local schedule and CeR are kept in step: when CeR last told us something, when
the two were last compared, what is still open, and what CeR has not confirmed yet - and the
ALARMS a person must act on:

- ``stale_outbox``: changes that have waited for CeR longer than ``[sync] outbox_alarm_minutes``
  (default 30), whatever their state, each with who queued it and what it is (operation,
  patient masked as the logs mask him, term) - a stuck row is never silent;
- ``visits_on_absence``: live visits on a day their doctor is absent (a portal booking that
  landed there, a visit left for a phone call), see ``sync.absence_watch``.

Local store only: the status answers during a CeR outage too.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from recepcja.domain.entities import Patient
from recepcja.domain.model import WARSAW, VisitState
from recepcja.domain.pesel import mask_pesel
from recepcja.i18n import _
from recepcja.store.records import OutboxOp, OutboxState
from recepcja.store.working_records import OutboxEntry
from recepcja.sync.absence_watch import visits_on_absence
from recepcja.sync.pull import CURSOR_KEY, LAST_PULL_KEY
from recepcja.sync.reconcile import LAST_INCIDENT_KEY, LAST_RUN_KEY, OPEN_ITEMS_KEY

if TYPE_CHECKING:
    from recepcja.store.repos import Repositories

DEFAULT_OUTBOX_ALARM_MINUTES = 30
_OPEN = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.SENT, OutboxState.FAILED,
         OutboxState.AMBIGUOUS)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _local(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(WARSAW).isoformat(timespec="minutes")


def masked_patient(patient: Patient | None) -> str:
    """``L-000012, 440514*****`` - the local ID and the identifier masked as in the logs."""
    if patient is None:
        return "?"
    ident = patient.identifier
    if ident.pesel:
        shown = mask_pesel(ident.pesel)
    else:
        number = ident.document_number or ""
        shown = f"{ident.document_type}:{number[:2]}{'*' * max(0, len(number) - 2)}"
    return f"{patient.local_id}, {shown}" if patient.local_id else shown


def sync_health(
    repos: Repositories, *, receiver_enabled: bool = False, now: dt.datetime | None = None,
    alarm_minutes: int = DEFAULT_OUTBOX_ALARM_MINUTES,
) -> dict[str, Any]:
    state = repos.sync_state
    open_items = state.get(OPEN_ITEMS_KEY)
    now = now or dt.datetime.now(dt.UTC)
    stale = stale_outbox(repos, now=now, minutes=alarm_minutes)
    absent = [_absent_json(repos, item) for item in visits_on_absence(repos, now=now)]
    alarms = [name for name, found in (("stale_outbox", stale), ("visits_on_absence", absent))
              if found]
    return {
        "receiver_enabled": receiver_enabled,
        "last_notification_at": _iso(repos.notifications.last_received_at()),
        "unapplied_notifications": repos.notifications.count_unapplied(),
        "notification_cursor": int(state.get(CURSOR_KEY, "0") or 0),
        "last_pull_at": _iso(state.get_time(LAST_PULL_KEY)),
        "last_reconciliation_at": _iso(state.get_time(LAST_RUN_KEY)),
        "open_drift_items": None if open_items is None else int(open_items),
        "last_incident_report": state.get(LAST_INCIDENT_KEY),
        "unconfirmed_local_visits": repos.visits.count(VisitState.PENDING),
        "pending_outbox": repos.outbox.count_pending(),
        "terms_to_withdraw": sum(len(repos.slots.to_withdraw(int(s.id or 0)))
                                 for s in repos.schedules.list(active_only=False)),
        "outbox_alarm_minutes": alarm_minutes,
        "stale_outbox": stale,
        "visits_on_absence": absent,
        "alarms": alarms,
    }


def stale_outbox(repos: Repositories, *, now: dt.datetime, minutes: int) -> list[dict[str, Any]]:
    """Rows not finished ``minutes`` after they were queued, oldest first."""
    cutoff = now - dt.timedelta(minutes=minutes)
    return [_entry_json(repos, entry, now) for entry in repos.outbox.in_states(_OPEN)
            if entry.created_at <= cutoff]


def _entry_json(repos: Repositories, entry: OutboxEntry, now: dt.datetime) -> dict[str, Any]:
    visit = repos.visits.get(entry.visit_id) if entry.visit_id is not None else None
    patient = repos.patients.get(visit.patient_id) if visit is not None else None
    slot_ids = entry.payload.get("slot_ids") or []
    if entry.op == OutboxOp.WITHDRAW_SLOTS:
        slot_id = slot_ids[0] if slot_ids else None
    elif entry.op == OutboxOp.CHANGE:
        slot_id = entry.payload.get("to_slot_id")
    else:
        slot_id = visit.slot_id if visit is not None and visit.slot_id else \
            entry.payload.get("slot_id")
    slot = repos.slots.get(int(slot_id)) if slot_id is not None else None
    schedule = repos.schedules.get(slot.schedule_id) if slot is not None else None
    return {
        "entry_id": entry.id,
        "op": str(entry.op),
        "state": str(entry.state),
        "created_at": entry.created_at.isoformat(),
        "created_by": entry.created_by,
        "age_minutes": int((now - entry.created_at).total_seconds() // 60),
        "patient": masked_patient(patient) if entry.visit_id is not None else None,
        "term": _local(slot.start) if slot is not None else None,
        "terms": len(slot_ids) if entry.op == OutboxOp.WITHDRAW_SLOTS else None,
        "schedule": schedule.name if schedule is not None else None,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
    }


def _absent_json(repos: Repositories, item: Any) -> dict[str, Any]:
    return {
        "visit_id": item.visit.id,
        "visit_uid": item.visit.visit_uid,
        "visit_cer_id": item.visit.cer_id,
        "source": str(item.visit.source),
        "patient": masked_patient(repos.patients.get(item.visit.patient_id)),
        "start": _local(item.start),
        "schedule": item.schedule_name,
        "reason": item.reason,
    }


# --- words for the alarms (the CLI's ``status`` and the window's sync view) ------------------


def op_label(op: str) -> str:
    return {"book": _("booking"), "cancel": _("cancellation"), "change": _("change of term"),
            "waiting_list": _("waiting list"),
            "withdraw_slots": _("withdrawal of free terms")}.get(op, op)


def stale_headline(health: dict[str, Any]) -> str:
    return _("ALARM: {count} change(s) have waited for CeR longer than {minutes} min:").format(
        count=len(health["stale_outbox"]), minutes=health["outbox_alarm_minutes"])


def stale_line(row: dict[str, Any]) -> str:
    """One stuck change: which, what, whose, when queued and by whom, where it stands."""
    what = op_label(row["op"]) + (f" ({row['terms']})" if row["terms"] else "")
    return _("#{entry} {what}, {patient}, term {term}, queued {at} by {user}, "
             "state {state}{error}").format(
        entry=row["entry_id"], what=what, patient=row["patient"] or "-",
        term=(row["term"] or "-").replace("T", " ")[:16],
        at=(_local(dt.datetime.fromisoformat(row["created_at"])) or "-").replace("T", " ")[:16],
        user=row["created_by"], state=row["state"],
        error=f": {row['last_error']}" if row["last_error"] else "")


def absence_headline(health: dict[str, Any]) -> str:
    return _("ALARM: {count} visit(s) on a day their doctor is absent - move them and call "
             "the patients:").format(count=len(health["visits_on_absence"]))


def absence_line(row: dict[str, Any]) -> str:
    return f"{(row['start'] or '-').replace('T', ' ')[:16]}  {row['schedule']}  " \
           f"{row['patient']}  ({row['reason'] or '-'})"


def alarm_lines(health: dict[str, Any]) -> list[str]:
    """The alarms as plain lines, headline first (empty when there is none)."""
    lines = []
    if health["stale_outbox"]:
        lines += [stale_headline(health), *("  " + stale_line(r) for r in health["stale_outbox"])]
    if health["visits_on_absence"]:
        lines += [absence_headline(health),
                  *("  " + absence_line(r) for r in health["visits_on_absence"])]
    return lines
