"""The replay's rules with a scripted gateway (the HTTP path is in tests/integration/emergency):
read back before any resend, backoff on temporary failures, rejections stop one entry, a taken
term moves the visit, no term at all ends on the waiting list."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from services_support import NOW

from recepcja.cer.errors import (
    MINOR_TERM_TAKEN,
    MINOR_VISIT_ID_USED,
    CerConflict,
    CerRejected,
    CerTemporary,
    CerUnreachable,
)
from recepcja.cer.types import (
    CerPatient,
    CerSlot,
    CerSlotState,
    CerVisit,
    VisitSource,
    WaitingListPlacement,
)
from recepcja.domain.entities import PatientIdentifier
from recepcja.domain.model import SlotState, TermKind, Urgency, VisitState
from recepcja.services import booking
from recepcja.services.call_list import call_list
from recepcja.store.records import OutboxState
from recepcja.sync.monitor import ConnectionState, ConnectivityMonitor
from recepcja.sync.replay import Replayer
from recepcja.sync.replay_report import backoff_seconds


class ScriptedGateway:
    """Answers from a script; records every call. ``book_errors`` are raised in turn."""

    def __init__(self, repos) -> None:
        self.repos = repos
        self.calls: list[tuple[str, object]] = []
        self.book_errors: list[Exception] = []
        self.cer: dict[str, CerVisit] = {}  # by visit_uid
        self.taken: set[str] = set()
        self.status_error: Exception | None = None

    def _visit(self, slot_cer_id: str, visit_uid: str, urgency: Urgency) -> CerVisit:
        slot = self.repos.slots.by_cer_id(slot_cer_id)
        return CerVisit(
            cer_id=f"WIZ-{len(self.cer) + 1}", visit_uid=visit_uid, schedule_cer_id="HRM-1",
            slot_cer_id=slot_cer_id, start=slot.start, end=slot.end,
            patient=CerPatient(PatientIdentifier(pesel="44051401359"), "Jan", "Kowalski"),
            urgency=urgency, central_request_id=None, referral_id=None,
            source=VisitSource.DESK, cancelled=False, version=1, changed_at=NOW)

    def book(self, slot_cer_id, visit_uid, patient, urgency, **_):
        self.calls.append(("book", slot_cer_id))
        if self.book_errors:
            error = self.book_errors.pop(0)
            if getattr(error, "commit", False):
                self.cer[visit_uid] = self._visit(slot_cer_id, visit_uid, urgency)
            raise error
        if visit_uid in self.cer:
            raise CerConflict("used", major="x", code=MINOR_VISIT_ID_USED, description="")
        if slot_cer_id in self.taken:
            raise CerConflict("taken", major="x", code=MINOR_TERM_TAKEN, description="")
        self.taken.add(slot_cer_id)
        self.cer[visit_uid] = self._visit(slot_cer_id, visit_uid, urgency)
        return self.cer[visit_uid]

    def read_visit(self, cer_id=None, visit_uid=None):
        self.calls.append(("read", visit_uid))
        return self.cer.get(visit_uid)

    def change_term(self, cer_id, slot_cer_id, reason):
        self.calls.append(("change", slot_cer_id))
        [(uid, visit)] = [(u, v) for u, v in self.cer.items() if v.cer_id == cer_id]
        if slot_cer_id != visit.slot_cer_id:
            if slot_cer_id in self.taken:
                raise CerConflict("taken", major="x", code=MINOR_TERM_TAKEN, description="")
            self.taken.discard(visit.slot_cer_id)
            self.taken.add(slot_cer_id)
            self.cer[uid] = replace(visit, slot_cer_id=slot_cer_id, version=visit.version + 1)
        return self.cer[uid]

    def read_slots(self, schedule_cer_id, start, end):
        """CeR's terms of a schedule: taken ones booked (``taken``), the rest free."""
        self.calls.append(("read_slots", schedule_cer_id))
        schedule = self.repos.schedules.by_cer_id(schedule_cer_id)
        return [
            CerSlot(slot.cer_id, str(slot.id), schedule_cer_id, slot.start, slot.end,
                    TermKind.DEFAULT_PROCEDURE,
                    CerSlotState.BOOKED if slot.cer_id in self.taken else CerSlotState.FREE)
            for slot in self.repos.slots.for_days(schedule.id, start.date(), end.date())
            if slot.cer_id and start <= slot.start < end
        ]

    def place_on_waiting_list(self, place, entry_uid, scope, patient, urgency, **_):
        self.calls.append(("waiting_list", entry_uid))
        return WaitingListPlacement("WPIS-1", 3)

    def status(self):
        if self.status_error is not None:
            raise self.status_error
        return NOW


def _book(repos, practice, patient_id, index=0, urgency=Urgency.STABLE):
    return booking.book(repos, patient_id, practice.slot_ids[index], urgency, user="ania",
                        emergency=True, referral_id="SK-1")


def test_crash_while_sending_is_settled_by_reading_back(repos, practice, patient_id):
    result = _book(repos, practice, patient_id)
    gateway = ScriptedGateway(repos)
    # The previous process sent the booking, CeR committed it, the process died.
    gateway.cer[result.visit.visit_uid] = gateway._visit(
        f"SLT-{practice.slot_ids[0]}", result.visit.visit_uid, Urgency.STABLE)
    repos.outbox.mark_sending(result.outbox_id, "lease-of-the-dead-process")
    report = Replayer(repos, gateway).run()
    assert [name for name, _ in gateway.calls] == ["read"]  # never a second booking
    assert report.recovered == 1 and report.settled == 1 and report.done == 1
    visit = repos.visits.get(result.visit.id)
    assert visit.state == VisitState.CONFIRMED and visit.cer_id == "WIZ-1"


def test_dropped_answer_then_read_back_not_found_resends(repos, practice, patient_id):
    result = _book(repos, practice, patient_id)
    gateway = ScriptedGateway(repos)
    gateway.book_errors = [CerTemporary("lost", may_have_committed=True)]
    first = Replayer(repos, gateway).run()
    assert first.stopped_by and repos.outbox.get(result.outbox_id).state == OutboxState.AMBIGUOUS
    Replayer(repos, gateway).run()
    assert [name for name, _ in gateway.calls] == ["book", "read", "book"]
    assert repos.visits.get(result.visit.id).state == VisitState.CONFIRMED


def test_reused_identifier_is_read_back_not_booked_twice(repos, practice, patient_id):
    result = _book(repos, practice, patient_id)
    gateway = ScriptedGateway(repos)
    error = CerTemporary("lost", may_have_committed=True)
    error.commit = True
    gateway.book_errors = [error]
    Replayer(repos, gateway).run()
    # Somebody requeued the ambiguous row by hand: CeR says the identifier is used.
    repos.outbox.requeue(result.outbox_id)
    Replayer(repos, gateway).run()
    assert [name for name, _ in gateway.calls] == ["book", "book", "read"]
    assert len(gateway.cer) == 1
    assert repos.visits.get(result.visit.id).cer_id == "WIZ-1"


def test_temporary_failure_backs_off_and_stops_the_pass(repos, practice, patient_id, clock):
    first = _book(repos, practice, patient_id, 0)
    _book(repos, practice, patient_id, 1)
    gateway = ScriptedGateway(repos)
    gateway.book_errors = [CerUnreachable("down")]
    report = Replayer(repos, gateway).run()
    assert report.stopped_by and len(gateway.calls) == 1  # the second is not tried
    entry = repos.outbox.get(first.outbox_id)
    assert entry.state == OutboxState.FAILED
    assert entry.next_attempt_at == NOW + dt.timedelta(seconds=1)
    assert [backoff_seconds(n, cap=60) for n in (1, 2, 3, 7, 8)] == [1, 2, 4, 60, 60]
    clock.now = NOW + dt.timedelta(seconds=2)
    assert Replayer(repos, gateway).run().done == 2


def test_rejection_stops_only_that_entry(repos, practice, patient_id):
    first = _book(repos, practice, patient_id, 0)
    second = _book(repos, practice, patient_id, 1)
    gateway = ScriptedGateway(repos)
    gateway.book_errors = [CerRejected("no", major="x", code="urn:x:NiedozwolonyStan",
                                       description="nie")]
    report = Replayer(repos, gateway).run()
    assert report.rejected == 1 and report.done == 1
    assert repos.outbox.get(first.outbox_id).state == OutboxState.REJECTED
    assert repos.visits.get(second.visit.id).state == VisitState.CONFIRMED


def test_taken_term_moves_to_the_next_allowed_one_and_onto_the_call_list(
        repos, practice, patient_id):
    result = _book(repos, practice, patient_id, 0)
    _book(repos, practice, patient_id, 1)  # the next term is held locally
    gateway = ScriptedGateway(repos)
    gateway.taken = {f"SLT-{practice.slot_ids[0]}", f"SLT-{practice.slot_ids[2]}"}
    report = Replayer(repos, gateway).run()
    visit = repos.visits.get(result.visit.id)
    assert visit.slot_id == practice.slot_ids[3] and visit.state == VisitState.CONFIRMED
    assert report.moved == 1
    # CeR gave the lost term to somebody else: taken here too, not "wolny" (sync.lost_terms)
    assert repos.slots.get(practice.slot_ids[0]).state == SlotState.BOOKED
    assert repos.visits.live_for_slot(practice.slot_ids[0]) is None
    [item] = call_list(repos)
    assert item.visit_id == visit.id and item.lost_term == repos.slots.get(
        practice.slot_ids[0]).start and item.new_term == repos.slots.get(visit.slot_id).start


def test_no_allowed_term_ends_on_the_waiting_list(repos, practice, patient_id):
    result = _book(repos, practice, patient_id, 0, Urgency.URGENT)
    gateway = ScriptedGateway(repos)
    gateway.taken = {f"SLT-{slot_id}" for slot_id in practice.slot_ids}
    report = Replayer(repos, gateway).run()
    assert report.waiting_list == 1
    visit = repos.visits.get(result.visit.id)
    assert visit.state == VisitState.WAITING_LIST and visit.slot_id is None
    assert ("waiting_list", visit.visit_uid) in gateway.calls
    [item] = call_list(repos)
    assert item.on_waiting_list and item.waiting_list_position == 3
    assert repos.outbox.count_pending() == 0


def test_monitor_states_backoff_and_manual_switch(repos):
    gateway = ScriptedGateway(repos)
    monitor = ConnectivityMonitor(repos, offline_after=3, backoff_cap=4)
    changes = []
    monitor.add_listener(lambda old, new, manual: changes.append((old, new, manual)))
    gateway.status_error = CerTemporary("timeout", may_have_committed=True)
    delays = []
    for _ in range(5):
        monitor.probe(gateway)
        delays.append(monitor.backoff())
    assert delays == [1, 2, 4, 4, 4]
    assert [c[1] for c in changes] == [ConnectionState.DEGRADED, ConnectionState.OFFLINE]
    assert monitor.emergency and booking.in_emergency(repos)
    gateway.status_error = None
    assert monitor.probe(gateway) and monitor.state == ConnectionState.ONLINE
    [outage] = repos.outages.list()
    assert outage.failed_calls == 5 and outage.ended_at is not None
    monitor.set_manual_emergency(True, "ania")
    assert ConnectivityMonitor(repos).manual_emergency  # persisted
    assert booking.in_emergency(repos) and repos.outages.current().state == "manual"
    monitor.set_manual_emergency(False, "ania")
    assert repos.outages.current() is None and not booking.in_emergency(repos)


def test_lost_terms_are_handed_out_urgent_first(repos, practice, patient_id):
    stable = _book(repos, practice, patient_id, 0, Urgency.STABLE)
    urgent = _book(repos, practice, patient_id, 1, Urgency.URGENT)
    gateway = ScriptedGateway(repos)
    gateway.taken = {f"SLT-{practice.slot_ids[0]}", f"SLT-{practice.slot_ids[1]}"}
    chunks = []
    report = Replayer(repos, gateway, on_chunk=lambda: chunks.append(1)).run()
    assert report.moved == 2 and chunks
    # The stable patient was queued first, but the urgent one gets the nearest free term.
    assert repos.visits.get(urgent.visit.id).slot_id == practice.slot_ids[2]
    assert repos.visits.get(stable.visit.id).slot_id == practice.slot_ids[3]


def test_a_pass_stopped_while_handing_out_lost_terms_loses_nothing(repos, practice, patient_id):
    first = _book(repos, practice, patient_id, 0)
    second = _book(repos, practice, patient_id, 1)
    gateway = ScriptedGateway(repos)
    gateway.taken = {f"SLT-{practice.slot_ids[0]}", f"SLT-{practice.slot_ids[1]}"}
    original_book = gateway.book
    calls = {"n": 0}

    def failing_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise CerUnreachable("down")
        return original_book(*args, **kwargs)

    gateway.book = failing_third
    report = Replayer(repos, gateway).run()
    assert report.stopped_by
    states = {repos.outbox.get(r.outbox_id).state for r in (first, second)}
    assert states <= {OutboxState.QUEUED, OutboxState.FAILED}
    assert repos.outbox.in_states([OutboxState.SENDING]) == []
    gateway.book = original_book
    Replayer(repos, gateway).run()
    repos.outbox.db.conn.execute("UPDATE outbox SET next_attempt_at = NULL")
    Replayer(repos, gateway).run()
    assert repos.outbox.count_pending() == 0
    assert {repos.visits.get(r.visit.id).state for r in (first, second)} == {
        VisitState.CONFIRMED}
    assert len(gateway.cer) == 2


def test_a_reschedule_refused_by_cer_puts_the_visit_back_where_cer_has_it(
        repos, practice, patient_id):
    result = _book(repos, practice, patient_id, 0)
    gateway = ScriptedGateway(repos)
    Replayer(repos, gateway).run()
    cer_visit = gateway.cer[result.visit.visit_uid]

    def change_term(cer_id, slot_cer_id, reason):
        gateway.calls.append(("change", slot_cer_id))
        raise CerConflict("taken", major="x", code=MINOR_TERM_TAKEN, description="")

    gateway.change_term = change_term
    gateway.read_visit = lambda cer_id=None, visit_uid=None: cer_visit
    booking.reschedule(repos, result.visit.id, practice.slot_ids[5], user="ania")
    report = Replayer(repos, gateway).run()
    assert report.rejected == 1
    visit = repos.visits.get(result.visit.id)
    assert visit.slot_id == practice.slot_ids[0]  # where CeR still has it
    assert repos.slots.get(practice.slot_ids[5]).state == SlotState.FREE
    assert repos.outbox.count_pending() == 0


def test_terms_taken_beyond_any_fixed_count_do_not_send_the_patient_to_the_waiting_list(
        repos, practice, patient_id):
    """30 terms taken in CeR that the desk does not know of: the urgent patient is booked on
    the first term CeR has free - found by reading CeR's terms, not by 30 booking calls."""
    result = _book(repos, practice, patient_id, 0, Urgency.URGENT)
    gateway = ScriptedGateway(repos)
    gateway.taken = {f"SLT-{slot_id}" for slot_id in practice.slot_ids[:31]}
    report = Replayer(repos, gateway).run()
    visit = repos.visits.get(result.visit.id)
    assert report.waiting_list == 0 and report.moved == 1
    assert visit.state == VisitState.CONFIRMED and visit.slot_id == practice.slot_ids[31]
    calls = [name for name, _ in gateway.calls]
    assert calls.count("book") == 2 and "waiting_list" not in calls


def test_a_booking_moved_at_the_desk_before_it_was_sent_is_not_on_the_call_list(
        repos, practice, patient_id):
    """The replay's ``moved`` means the replay changed the term; the desk's own reschedule of a
    booking still waiting for CeR is not a change the patient needs a call about."""
    result = _book(repos, practice, patient_id, 0)
    booking.reschedule(repos, result.visit.id, practice.slot_ids[4], user="ania")
    gateway = ScriptedGateway(repos)
    report = Replayer(repos, gateway).run()
    assert report.moved == 0 and repos.outbox.count_pending() == 0
    assert repos.visits.get(result.visit.id).slot_id == practice.slot_ids[4]
    assert call_list(repos) == []
