"""The replay against the simulator over HTTP: exactly once, read back before resending."""

from __future__ import annotations

import datetime as dt

from emergency_support import add_patient, cer_visits, gateway, pesels

from recepcja.domain.model import Urgency, VisitState
from recepcja.services import booking
from recepcja.store.records import OutboxState
from recepcja.sync.monitor import ConnectionState, ConnectivityMonitor
from recepcja.sync.replay import Replayer


def _free_slots(repos, schedule_id, count):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    return [slot.id for slot in repos.slots.free_from(schedule_id, start, count)]


def test_booking_replays_to_cer_with_its_id_written_back(repos, local, onboarded_simulator):
    patient = add_patient(repos, pesels(1)[0], 0)
    slot_id = _free_slots(repos, local.schedule_ids[0], 1)[0]
    result = booking.book(repos, patient, slot_id, Urgency.STABLE, user="ania")
    assert result.visit.state == VisitState.PENDING
    with gateway(onboarded_simulator.soap_url) as gw:
        report = Replayer(repos, gw).run()
    assert report.done == 1
    visit = repos.visits.get(result.visit.id)
    assert visit.state == VisitState.CONFIRMED and visit.cer_id
    [cer] = [v for v in cer_visits(onboarded_simulator) if v["visit_uid"] == visit.visit_uid]
    assert cer["id"] == visit.cer_id
    assert cer["slot"] == repos.slots.get(slot_id).cer_id
    assert repos.outbox.count_pending() == 0


def test_commit_then_dropped_answer_gives_exactly_one_visit(repos, local, onboarded_simulator):
    sim = onboarded_simulator
    patient = add_patient(repos, pesels(1)[0], 0)
    slot_id = _free_slots(repos, local.schedule_ids[0], 1)[0]
    result = booking.book(repos, patient, slot_id, Urgency.URGENT, user="ania")
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "drop_response",
                                    "count": 1})
    with gateway(sim.soap_url) as gw:
        first = Replayer(repos, gw).run()
        assert first.stopped_by  # the answer was lost: the row is ambiguous, not resent
        assert repos.outbox.get(result.outbox_id).state == OutboxState.AMBIGUOUS
        second = Replayer(repos, gw).run()
    assert second.settled == 1 and second.done == 1
    mine = [v for v in cer_visits(sim) if v["visit_uid"] == result.visit.visit_uid]
    assert len(mine) == 1
    visit = repos.visits.get(result.visit.id)
    assert visit.cer_id == mine[0]["id"] and visit.state == VisitState.CONFIRMED
    assert repos.outbox.get(result.outbox_id).state == OutboxState.DONE


def test_taken_term_moves_the_visit_to_the_nearest_allowed_term(repos, local,
                                                                 onboarded_simulator):
    sim = onboarded_simulator
    patient = add_patient(repos, pesels(1)[0], 0)
    slot_id = _free_slots(repos, local.schedule_ids[0], 1)[0]
    result = booking.book(repos, patient, slot_id, Urgency.STABLE, user="ania",
                          emergency=True)
    sim.control("POST", "portal-booking", {"slot": repos.slots.get(slot_id).cer_id,
                                            "pesel": pesels(1, 500)[0]})
    with gateway(sim.soap_url) as gw:
        report = Replayer(repos, gw).run()
    assert report.moved == 1
    visit = repos.visits.get(result.visit.id)
    assert visit.state == VisitState.CONFIRMED and visit.slot_id != slot_id
    mine = [v for v in cer_visits(sim) if v["visit_uid"] == visit.visit_uid]
    assert len(mine) == 1 and mine[0]["slot"] == repos.slots.get(visit.slot_id).cer_id


def test_monitor_goes_offline_and_back_with_an_outage_logged(repos, local, onboarded_simulator):
    sim = onboarded_simulator
    monitor = ConnectivityMonitor(repos, offline_after=2)
    sim.control("POST", "faults", {"operation": "*", "kind": "down"})
    with gateway(sim.soap_url) as gw:
        assert not monitor.probe(gw)
        assert monitor.state == ConnectionState.DEGRADED
        assert not monitor.probe(gw)
        assert monitor.state == ConnectionState.OFFLINE and monitor.emergency
        assert booking.in_emergency(repos)
        sim.control("DELETE", "faults")
        assert monitor.probe(gw)
    assert monitor.state == ConnectionState.ONLINE
    [outage] = repos.outages.list()
    assert outage.ended_at is not None and outage.failed_calls == 2 and outage.state == "offline"
    assert "CerTemporary" in (outage.error or "")


def test_a_rejected_replay_keeps_its_reason_in_polish_for_the_queue_export(
        repos, local, onboarded_simulator, monkeypatch):
    """CeR refuses a booking on a term it no longer has (withdrawn meanwhile): the row is
    rejected and the reason the desk reads in the queue export is Polish, not the English
    source message."""
    from recepcja.services import emergency

    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    patient = add_patient(repos, pesels(1, start=40)[0], 40)
    slot_id = _free_slots(repos, local.schedule_ids[0], 1)[0]
    result = booking.book(repos, patient, slot_id, Urgency.STABLE, user="ania", emergency=True)
    slot = repos.slots.get(slot_id)
    schedule = repos.schedules.get(local.schedule_ids[0])
    with gateway(onboarded_simulator.soap_url) as gw:
        [withdrawn] = gw.delete_slots(schedule.cer_id, [slot.cer_id])
        assert withdrawn.accepted
        report = Replayer(repos, gw).run()
    entry = repos.outbox.get(result.outbox_id)
    assert entry.state == OutboxState.REJECTED, report
    reason = entry.last_error
    assert reason and "CeR" in reason
    english = {"rejected", "request", "term", "unknown", "the"}
    assert not english & set(reason.lower().replace(".", " ").replace(":", " ").split()), reason
    [row] = [emergency.queue_row(1, e)
             for e in emergency.queue_entries(repos, include_finished=True)
             if e.visit_uid == result.visit.visit_uid]
    assert reason in row
