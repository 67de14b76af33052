"""A visit on an e-referral that went to CeR's central waiting list and later got its term there:
P1's visit date follows the new term, exactly once, as it does for a moved visit - against the
simulator's CeR and P1 services over loopback HTTP and a real SQLite store."""

from __future__ import annotations

import requests
from emergency_support import gateway, mirror_practice
from test_first_visit_rule import cardiology  # noqa: F401  (a fixture)
from test_referral_replay import P1, patients_with_referrals, referral_gateway

from recepcja.domain.model import WARSAW, SlotState, Urgency, VisitState
from recepcja.services import booking
from recepcja.store.records import OutboxOp
from recepcja.sync.notifications import NotificationApplier
from recepcja.sync.pull import pull_notifications
from recepcja.sync.replay import Replayer


def _day(repos, slot_id: int) -> str:
    return repos.slots.get(slot_id).start.astimezone(WARSAW).date().isoformat()


def _replay(repos, sim) -> None:
    with gateway(sim.soap_url) as cer:
        report = Replayer(repos, cer, referrals=lambda: referral_gateway(sim.url)).run()
    assert report.stopped_by is None, report


def _date_rows(repos, visit: int) -> list:
    return [row for row in repos.outbox.for_visit(visit) if row.op == OutboxOp.REFERRAL_DATE]


def test_a_waiting_list_entry_given_its_term_moves_p1s_visit_date_once(
        repos, cardiology):  # noqa: F811
    sim = cardiology
    local = mirror_practice(repos, sim.place, scope="cardiology")
    slots = [slot.id for slot in repos.slots.for_days(
        local.schedule_ids[0], *_span(sim)) if slot.state == SlotState.FREE]
    p1 = P1(sim.url)
    (patient,), (key,) = patients_with_referrals(repos, p1, 1, 2500)
    # An outage: the desk books the patient on the key they bring.
    visit = booking.book(repos, patient, slots[0], Urgency.STABLE, user="ania",
                         emergency=True, referral_key=key).visit.id
    # Meanwhile a portal patient took that term in CeR, and no other allowed term is free here.
    taken = requests.post(f"{sim.url}/_control/portal-booking", timeout=15, json={
        "slot": repos.slots.get(slots[0]).cer_id, "pesel": "44051401359"})
    assert taken.status_code == 200, taken.text
    for other in slots[1:]:
        repos.slots.set_state(other, SlotState.BLOCKED)
    _replay(repos, sim)
    _replay(repos, sim)  # the referral's row, held behind the booking's lost term
    # CeR's waiting list holds the patient; P1 took the referral, with no visit day (the
    # booking row went first: the visit had lost its term).
    assert repos.visits.get(visit).state == VisitState.WAITING_LIST
    assert p1.state(key)["status"] == "U_REALIZATORA" and p1.state(key)["visit_date"] is None
    [entry] = sim.state(sections="waiting_list")["waiting_list"]

    # A term of another day is freed and CeR gives it to the waiting-list entry.
    target = next(slot for slot in slots if _day(repos, slot) != _day(repos, slots[0]))
    repos.slots.set_state(target, SlotState.FREE)
    given = requests.post(f"{sim.url}/_control/waiting-list-term", timeout=15, json={
        "entry": entry["id"], "slot": repos.slots.get(target).cer_id})
    assert given.status_code == 200, given.text
    assert not sim.state(sections="waiting_list")["waiting_list"]
    with gateway(sim.soap_url) as cer:
        pull_notifications(cer, repos)
        NotificationApplier(repos, cer).apply_pending()
    record = repos.visits.get(visit)
    assert record.state == VisitState.CONFIRMED and record.slot_id == target
    assert len(_date_rows(repos, visit)) == 1  # queued with the term, in its transaction

    _replay(repos, sim)
    state = p1.state(key)
    assert state["visit_date"] == _day(repos, target) and state["status"] == "U_REALIZATORA"
    history = [step["operation"] for step in state["history"]]
    assert history.count("zmiana_daty_wizyty") == 1
    # The same notification again (pulled twice, pushed too): nothing more.
    with gateway(sim.soap_url) as cer:
        NotificationApplier(repos, cer).apply_pending()
    _replay(repos, sim)
    assert len(_date_rows(repos, visit)) == 1
    assert [step["operation"] for step in p1.state(key)["history"]].count(
        "zmiana_daty_wizyty") == 1


def _span(sim):
    starts = [start for triples in sim.place.slots.values() for _, start, _ in triples]
    return min(starts).date(), max(starts).date()
