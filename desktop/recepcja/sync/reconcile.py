"""Reconciliation: read CeR back and prove - or restore - that it and the local store agree.

For every active schedule CeR knows, the terms of the published horizon are read back
(``read_slots``) and compared slot by slot with the local store. Drift is classified:

=====================  ========================================================================
visit_missing_locally  CeR has a live visit on the term, the store does not (the FAQ's "patient
                       holds a CeR-confirmed visit the facility cannot see")
visit_missing_in_cer   the store has a live visit CeR does not have on that term
patient_differs        both have a visit on the term, for different patients / different visits
slot_state_differs     the term is booked on one side and free (or blocked) on the other
slot_missing_locally   CeR holds a term the store does not know
slot_missing_in_cer    the store thinks CeR holds a term CeR does not return
visit_unconfirmed      CeR has our visit, the store still waits for its confirmation
overbooked             CeR holds several live visits on one term (an incident: ``incidents``)
visit_on_absence       a live visit on a day its doctor is absent (``sync.absence_watch``): a
                       portal booking that landed there, or a visit left for a phone call
=====================  ========================================================================

What is safe is repaired at once: CeR is authoritative for portal, other-provider and
waiting-room bookings and for cancellations made there (the store is made to hold what CeR
holds); a desk visit CeR never received is queued in the outbox again and sent (``Replayer``);
a term free here while a live visit holds it is booked again; a visit CeR holds that still waits
for its confirmation here is confirmed. Changes still on their way (an outbox row the replay
will pick up) are *in flight*, not drift - but a row left ``sent`` (CeR answered, the answer was
never applied: a crash in between) goes nowhere by itself, so it is not in flight: the visit is
made what CeR holds and the row finished in the same transaction. Everything else is listed for
a human. ``ReconcileReport.to_json`` is what ``recepcja reconcile --json``
prints and the GUI shows.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recepcja.cer.types import CerSlot, CerSlotState, CerVisit
from recepcja.crashpoints import crash_point
from recepcja.domain.entities import Slot
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import WARSAW, SlotState, VisitSource, VisitState
from recepcja.store.db import atomic
from recepcja.store.records import OUTBOX_TERMINAL, OutboxOp, OutboxState
from recepcja.store.working_records import VisitRecord
from recepcja.sync.absence_watch import absence_items
from recepcja.sync.incidents import IncidentReport, find_cer_incidents, find_local_incidents
from recepcja.sync.notifications import (
    is_stale,
    local_slot_for,
    local_visit_for,
    store_cer_visit,
)
from recepcja.sync.reconcile_report import (
    Drift,
    DriftItem,
    ReconcileReport,
    Resolution,
    Term,
    VisitIds,
)
from recepcja.sync.stuck_rows import finish_sent_rows, settle_proven, supersede_sent_rows

if TYPE_CHECKING:
    from recepcja.cer.port import CerPort
    from recepcja.store.day_sheets import LiveVisitRow
    from recepcja.store.repos import Repositories

log = logging.getLogger("recepcja.sync.reconcile")

LAST_RUN_KEY = "reconcile.last_at"
OPEN_ITEMS_KEY = "reconcile.open_items"
LAST_INCIDENT_KEY = "reconcile.last_incident_report"
RECONCILE_USER = "reconcile"
DEFAULT_HORIZON_DAYS = 3 * 31 + 14  # the publishing horizon (3 months) plus its margin

# Visits the practice itself made: CeR learns them from us, so a missing one is resent.
OUR_SOURCES = frozenset({VisitSource.DESK, VisitSource.EMERGENCY_IMPORT})


Resender = Callable[["Repositories", "CerPort", int], bool]  # (repos, gateway, entry) -> sent


def replay_entry(repos: Repositories, gateway: CerPort, entry_id: int) -> bool:
    """Send one outbox row now with the outbox replay (``sync.replay``); True when CeR has the
    visit afterwards."""
    from recepcja.sync.replay import Replayer

    Replayer(repos, gateway, user=RECONCILE_USER).run_entry(entry_id)
    entry = repos.outbox.get(entry_id)
    return entry is not None and str(entry.state) == "done"


class Reconciler:
    """One reconciliation pass over ``repos`` (this thread's) and ``gateway`` (same thread)."""

    def __init__(
        self,
        repos: Repositories,
        gateway: CerPort,
        *,
        horizon_days: int = DEFAULT_HORIZON_DAYS,
        incident_folder: Path | None = None,
        resend: Resender | None = replay_entry,
        today: dt.date | None = None,
        provider: str = "",
        make_gateway: Callable[[], CerPort] | None = None,
        fetch_threads: int = 2,
    ) -> None:
        """``make_gateway`` (optional) lets schedules be read back by ``fetch_threads`` helper
        threads, each with its own gateway, while this thread compares: CeR's time and ours
        overlap instead of adding up. Without it everything runs on ``gateway``."""
        self.repos = repos
        self.gateway = gateway
        self.make_gateway = make_gateway
        self.fetch_threads = max(1, fetch_threads)
        self.horizon_days = horizon_days
        self.incident_folder = incident_folder
        self.resend = resend
        self.today = today
        self.provider = provider

    def run(self) -> ReconcileReport:
        clock = self.repos.sync_state.clock
        started = clock()
        tick = time.perf_counter()
        first_day = self.today or started.astimezone(WARSAW).date()
        schedules = [s for s in self.repos.schedules.list(active_only=True) if s.cer_id]
        last_day = first_day + dt.timedelta(days=self.horizon_days)
        for schedule in schedules:
            latest = self.repos.slots.last_published_start(schedule.id or 0)
            if latest is not None:
                last_day = max(last_day, latest.astimezone(WARSAW).date())
        report = ReconcileReport(started_at=started, first_day=first_day, last_day=last_day)
        window_start = dt.datetime.combine(first_day, dt.time(0), WARSAW)
        window_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), WARSAW)
        cer_slots: dict[str, list[CerSlot]] = {}
        local_rows: list[tuple[Any, str, LiveVisitRow]] = []
        place_ids: set[int] = set()
        fetched = self._read_back([s.cer_id or "" for s in schedules], window_start, window_end)
        for schedule, slots in zip(schedules, fetched, strict=False):
            assert schedule.id is not None and schedule.cer_id is not None
            cer_slots[schedule.cer_id] = slots
            self._compare_schedule(schedule.id, schedule.cer_id, slots, report)
            place_ids.add(schedule.place_id)
            label = schedule.name or schedule.cer_id
            local_rows.extend(
                (schedule.resource_id, label, row)
                for row in self.repos.visits.live_in_schedule(schedule.id, first_day, last_day)
            )
            report.schedules += 1
        report.items += absence_items(self.repos, schedules, now=started, until=last_day)
        incidents = find_cer_incidents(cer_slots) + find_local_incidents(local_rows)
        if incidents:
            places = [self.repos.practice.place(pid) for pid in sorted(place_ids)]
            report.incidents = IncidentReport(
                incidents,
                created_at=started,
                provider=self.provider,
                place_cer_id=", ".join(p.cer_id for p in places if p is not None and p.cer_id),
            )
            if self.incident_folder is not None:
                paths = report.incidents.write(self.incident_folder)
                self.repos.sync_state.set(LAST_INCIDENT_KEY, str(paths[0]))
        report.finished_at = clock()
        report.seconds = time.perf_counter() - tick
        self.repos.sync_state.set_time(LAST_RUN_KEY, report.finished_at)
        self.repos.sync_state.set(OPEN_ITEMS_KEY, str(len(report.open_items)))
        return report

    def _read_back(
        self, schedule_ids: list[str], start: dt.datetime, end: dt.datetime
    ) -> Iterator[list[CerSlot]]:
        """CeR's terms per schedule, in order; fetched ahead by helper threads when possible."""
        if self.make_gateway is None or len(schedule_ids) < 2:
            for schedule_id in schedule_ids:
                yield self.gateway.read_slots(schedule_id, start, end)
            return
        local = threading.local()
        opened: list[CerPort] = []
        lock = threading.Lock()

        def fetch(schedule_id: str) -> list[CerSlot]:
            gateway = getattr(local, "gateway", None)
            if gateway is None:
                assert self.make_gateway is not None
                gateway = local.gateway = self.make_gateway()
                with lock:
                    opened.append(gateway)
            return gateway.read_slots(schedule_id, start, end)

        pool = ThreadPoolExecutor(self.fetch_threads, thread_name_prefix="recepcja-reconcile")
        futures: list[Future[list[CerSlot]]] = []
        try:
            futures = [pool.submit(fetch, schedule_id) for schedule_id in schedule_ids]
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True)
            for gateway in opened:
                gateway.close()

    # -- one schedule -------------------------------------------------------------------------

    def _compare_schedule(
        self,
        schedule_id: int,
        schedule_cer_id: str,
        cer_slots: list[CerSlot],
        report: ReconcileReport,
    ) -> None:
        first_day, last_day = report.first_day, report.last_day
        local = self.repos.slots.with_publication(schedule_id, first_day, last_day)
        by_cer_id = {slot.cer_id: (slot, live) for slot, live in local if slot.cer_id}
        by_start = {slot.start: slot for slot, _live in local}
        visits = {
            row.visit.slot_id: row
            for row in self.repos.visits.live_in_schedule(schedule_id, first_day, last_day)
        }
        seen: set[int] = set()
        for cer_slot in cer_slots:
            if cer_slot.state == CerSlotState.DELETED:
                continue
            report.slots_compared += 1
            found = by_cer_id.get(cer_slot.cer_id)
            slot = found[0] if found else None
            if slot is None:
                slot = self._adopt_slot(
                    schedule_id, schedule_cer_id, cer_slot, by_start=by_start, report=report
                )
                if slot is None:
                    continue
            assert slot.id is not None
            seen.add(slot.id)
            live = [visit for visit in cer_slot.visits if not visit.cancelled]
            item = Term(schedule_cer_id, cer_slot.start, cer_slot.cer_id, slot.id)
            if len(live) > 1:
                report.items.append(
                    DriftItem.at(
                        Drift.OVERBOOKED,
                        Resolution.HUMAN,
                        item,
                        detail=", ".join(v.cer_id for v in live),
                    )
                )
                continue
            self._compare_slot(
                slot.state, live[0] if live else None, visits.get(slot.id), item, report
            )
        for slot, published in local:
            if slot.id in seen or not slot.cer_id or not published:
                continue
            row = visits.get(slot.id)
            report.items.append(
                DriftItem(
                    Drift.SLOT_MISSING_IN_CER,
                    Resolution.HUMAN,
                    schedule_cer_id,
                    start=slot.start,
                    slot_cer_id=slot.cer_id,
                    slot_id=slot.id,
                    visit_id=row.visit.id if row else None,
                    visit_uid=row.visit.visit_uid if row else None,
                    detail="CeR does not return this term (withdrawn or deleted there)",
                )
            )

    def _adopt_slot(
        self,
        schedule_id: int,
        schedule_cer_id: str,
        cer_slot: CerSlot,
        *,
        by_start: dict[dt.datetime, Slot],
        report: ReconcileReport,
    ) -> Slot | None:
        """A term CeR holds that the store does not know (under this CeR id): create or link it."""
        item = Term(schedule_cer_id, cer_slot.start, cer_slot.cer_id)
        try:
            slot_id = self.repos.slots.adopt_from_cer(
                schedule_id,
                cer_slot.start,
                cer_slot.end,
                term_kind=cer_slot.term_kind,
                cer_id=cer_slot.cer_id,
            )
            crash_point("reconcile.after_adopt_slot")
        except ConflictError as error:
            report.items.append(
                DriftItem.at(Drift.SLOT_MISSING_LOCALLY, Resolution.HUMAN, item, detail=str(error))
            )
            return None
        linked = by_start.get(cer_slot.start)
        report.items.append(
            DriftItem.at(
                Drift.SLOT_MISSING_LOCALLY,
                Resolution.REPAIRED,
                replace(item, slot_id=slot_id),
                detail="linked to the local term" if linked is not None else "created locally",
            )
        )
        return self.repos.slots.get(slot_id)

    def _compare_slot(
        self,
        slot_state: SlotState,
        cer_visit: CerVisit | None,
        row: LiveVisitRow | None,
        item: Term,
        report: ReconcileReport,
    ) -> None:
        if row is not None and slot_state != SlotState.BOOKED:
            self._book_held_slot(item, report)
        assert item.slot_id is not None  # a compared term is always the store's too
        if cer_visit is None and row is None:
            if slot_state == SlotState.BOOKED:
                self.repos.slots.set_state(item.slot_id, SlotState.FREE)
                crash_point("reconcile.after_slot_repair")
                report.items.append(
                    DriftItem.at(
                        Drift.SLOT_STATE_DIFFERS,
                        Resolution.REPAIRED,
                        item,
                        detail="booked here without a visit; free in CeR",
                    )
                )
            return
        if cer_visit is not None and row is None:
            missing = self._missing_locally(cer_visit, item)
            if missing is not None:
                report.items.append(missing)
            return
        assert row is not None
        if cer_visit is None:
            fresh = self.repos.visits.get(row.visit.id)
            if (
                fresh is None
                or fresh.slot_id != row.visit.slot_id
                or fresh.state not in (VisitState.PENDING, VisitState.CONFIRMED)
            ):
                return  # already repaired earlier in this pass (moved by CeR's data)
            report.items.append(self._missing_in_cer(fresh, item))
            return
        local = row.visit
        same = local.cer_id == cer_visit.cer_id or (
            cer_visit.visit_uid is not None and local.visit_uid == cer_visit.visit_uid
        )
        ids = VisitIds(cer_visit.cer_id, local.visit_uid, local.id)
        if not same:
            resolution = Resolution.IN_FLIGHT if self._in_flight(local) else Resolution.HUMAN
            report.items.append(
                DriftItem.at(
                    Drift.PATIENT_DIFFERS,
                    resolution,
                    item,
                    ids,
                    detail=f"here visit {local.id} ({local.visit_uid}), in CeR {cer_visit.cer_id}",
                )
            )
            return
        if local.cer_id is None or local.state == VisitState.PENDING:
            # CeR holds our visit on this very term: confirming it is true whatever its outbox
            # row does (the replay then finishes a queued row without calling CeR again).
            stuck = settle_proven(self.repos, local, cer_visit, version=str(cer_visit.version))
            crash_point("reconcile.after_confirm")
            if stuck is None:
                resolution, detail = Resolution.HUMAN, "CeR's id is on another visit here"
            else:
                resolution = Resolution.REPAIRED
                detail = "confirmed; its outbox row, left after CeR's answer, finished" \
                    if stuck else "confirmed"
            report.items.append(
                DriftItem.at(Drift.VISIT_UNCONFIRMED, resolution, item, ids, detail=detail)
            )
            return
        if row.patient_key != cer_visit.patient.identifier.key:
            if local.source in OUR_SOURCES or self._in_flight(local):
                report.items.append(
                    DriftItem.at(
                        Drift.PATIENT_DIFFERS,
                        Resolution.HUMAN,
                        item,
                        ids,
                        detail="another patient in CeR",
                    )
                )
                return
            self._follow_cer(cer_visit, item.slot_id, local)
            crash_point("reconcile.after_patient_repair")
            report.items.append(
                DriftItem.at(Drift.PATIENT_DIFFERS, Resolution.REPAIRED, item, ids)
            )

    def _book_held_slot(self, item: Term, report: ReconcileReport) -> None:
        """A term free (or blocked) here while a live visit holds it: booked again, or the
        desk would offer it to somebody else."""
        assert item.slot_id is not None
        held = self.repos.visits.live_for_slot(item.slot_id)
        slot = self.repos.slots.get(item.slot_id)
        if held is None or slot is None or slot.state == SlotState.BOOKED:
            return
        self.repos.slots.set_state(item.slot_id, SlotState.BOOKED)
        report.items.append(DriftItem.at(
            Drift.SLOT_STATE_DIFFERS,
            Resolution.REPAIRED,
            item,
            VisitIds(visit_id=held.id, visit_uid=held.visit_uid, visit_cer_id=held.cer_id),
            detail=f"{slot.state} here while visit {held.id} holds it; booked again",
        ))

    def _follow_cer(self, cer_visit: CerVisit, slot_id: int | None,
                    local: VisitRecord | None) -> int:
        """Make the store hold ``cer_visit`` and finish the outbox rows it proves done, in
        one transaction; returns the visit id."""
        with atomic(self.repos.db):
            visit_id = store_cer_visit(self.repos, cer_visit, slot_id, local)
            finish_sent_rows(self.repos, visit_id, cer_visit)
        return visit_id

    def _missing_locally(self, cer_visit: CerVisit, item: Term) -> DriftItem | None:
        local = local_visit_for(self.repos, cer_visit)
        if (
            local is not None
            and local.slot_id == item.slot_id
            and local.state in (VisitState.PENDING, VisitState.CONFIRMED)
            and local.cer_version == str(cer_visit.version)
        ):
            return None  # already moved here earlier in this pass
        ids = VisitIds(cer_visit.cer_id, cer_visit.visit_uid, local.id if local else None)
        if local is not None and not cer_visit.cancelled and settle_proven(
            self.repos, local, cer_visit
        ):
            # its booking's row was left 'sent' and held back the changes behind it
            local = self.repos.visits.get(local.id) or local
        if local is not None and self._in_flight(local):
            return DriftItem.at(Drift.VISIT_MISSING_LOCALLY, Resolution.IN_FLIGHT, item, ids)
        if local is not None and is_stale(local, cer_visit):
            return DriftItem.at(
                Drift.VISIT_MISSING_LOCALLY,
                Resolution.HUMAN,
                item,
                ids,
                detail="the store holds a newer version than CeR",
            )
        try:
            visit_id = self._follow_cer(cer_visit, item.slot_id, local)
            crash_point("reconcile.after_restore")
        except ConflictError as error:
            return DriftItem.at(
                Drift.VISIT_MISSING_LOCALLY, Resolution.HUMAN, item, ids, detail=str(error)
            )
        ids = replace(ids, visit_id=visit_id)
        detail = "restored from CeR" if local is None else "updated from CeR"
        return DriftItem.at(
            Drift.VISIT_MISSING_LOCALLY, Resolution.REPAIRED, item, ids, detail=detail
        )

    def _missing_in_cer(self, local: VisitRecord, item: Term) -> DriftItem:
        ids = VisitIds(local.cer_id, local.visit_uid, local.id)
        if self._in_flight(local):
            return DriftItem.at(Drift.VISIT_MISSING_IN_CER, Resolution.IN_FLIGHT, item, ids)
        if local.cer_id is not None:
            found = self.gateway.read_visit(cer_id=local.cer_id)
        else:
            found = self.gateway.read_visit(visit_uid=local.visit_uid)
        if found is not None:
            if is_stale(local, found):
                return DriftItem.at(
                    Drift.VISIT_MISSING_IN_CER,
                    Resolution.HUMAN,
                    item,
                    ids,
                    detail="CeR has an older version elsewhere",
                )
            # CeR moved or cancelled it (the patient, or an earlier change of ours): follow CeR.
            try:
                _schedule_id, slot_id = local_slot_for(self.repos, found, self.gateway)
                self._follow_cer(found, slot_id, local)
                crash_point("reconcile.after_follow_cer")
            except ConflictError as error:
                return DriftItem.at(
                    Drift.VISIT_MISSING_IN_CER, Resolution.HUMAN, item, ids, detail=str(error)
                )
            state = "cancelled" if found.cancelled else f"moved to {found.slot_cer_id}"
            return DriftItem.at(
                Drift.VISIT_MISSING_IN_CER, Resolution.REPAIRED, item, ids, detail=f"{state} in CeR"
            )
        if local.source not in OUR_SOURCES or local.cer_id is not None:
            return DriftItem.at(
                Drift.VISIT_MISSING_IN_CER,
                Resolution.HUMAN,
                item,
                ids,
                detail="CeR does not know this visit",
            )
        return self._resend(local, item, ids)

    def _resend(self, local: VisitRecord, item: Term, ids: VisitIds) -> DriftItem:
        """A desk visit CeR never received: queue its booking again and send it now."""
        with atomic(self.repos.db):
            supersede_sent_rows(self.repos, local.id)
            entry_id = self._requeue(local)
        if self.resend is None:
            return DriftItem.at(Drift.VISIT_MISSING_IN_CER, Resolution.REQUEUED, item, ids)
        return self._resent(local, entry_id, item, ids)

    def _requeue(self, local: VisitRecord) -> int:
        return self.repos.outbox.enqueue(
            OutboxOp.BOOK,
            {
                "visit_uid": local.visit_uid,
                "patient_id": local.patient_id,
                "slot_id": local.slot_id,
                "urgency": str(local.urgency),
                "central_request_id": local.central_request_id,
                "referral_id": local.referral_id,
                "reason": "reconciliation",
            },
            user=RECONCILE_USER,
            visit_id=local.id,
            idempotency_key=f"book:{local.visit_uid}:reconcile:{self.repos.sync_state.clock().isoformat()}",
        )

    def _resent(self, local: VisitRecord, entry_id: int, item: Term,
                ids: VisitIds) -> DriftItem:
        crash_point("reconcile.after_requeue")
        assert self.resend is not None  # ``_resend`` comes here only with a resender
        try:
            sent = self.resend(self.repos, self.gateway, entry_id)
        except Exception as error:  # the replay is another module: report, do not abort
            log.warning("resend of visit %s failed: %s", local.id, type(error).__name__)
            sent = False
        after = self.repos.visits.get(local.id)
        if sent and after is not None and after.state == VisitState.CONFIRMED:
            moved = after.slot_id != local.slot_id
            return DriftItem.at(
                Drift.VISIT_MISSING_IN_CER,
                Resolution.RESENT,
                item,
                replace(ids, visit_cer_id=after.cer_id),
                detail="resent; the term was taken, moved" if moved else "resent",
            )
        entry = self.repos.outbox.get(entry_id)
        if entry is not None and entry.state not in OUTBOX_TERMINAL:
            return DriftItem.at(Drift.VISIT_MISSING_IN_CER, Resolution.REQUEUED, item, ids)
        return DriftItem.at(
            Drift.VISIT_MISSING_IN_CER,
            Resolution.HUMAN,
            item,
            ids,
            detail=f"resending failed: {entry.last_error if entry else '?'}",
        )

    def _in_flight(self, visit: VisitRecord) -> bool:
        """An outbox row of the visit the replay will still pick up. Not a row left ``sent``
        (nothing moves it: reconciliation finishes it) nor the withdrawal of a term the visit
        left (it says nothing about where the visit is)."""
        return any(
            entry.state not in OUTBOX_TERMINAL and entry.state != OutboxState.SENT
            and entry.op != OutboxOp.WITHDRAW_SLOTS
            for entry in self.repos.outbox.for_visit(visit.id)
        )


def reconcile(
    repos: Repositories,
    gateway: CerPort,
    **options: Any,
) -> ReconcileReport:
    """One reconciliation pass (see ``Reconciler`` for the options)."""
    return Reconciler(repos, gateway, **options).run()


__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "Drift",
    "DriftItem",
    "LAST_INCIDENT_KEY",
    "LAST_RUN_KEY",
    "OPEN_ITEMS_KEY",
    "Reconciler",
    "ReconcileReport",
    "Resolution",
    "reconcile",
    "replay_entry",
]
