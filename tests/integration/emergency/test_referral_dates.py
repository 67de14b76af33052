"""P1's visit date follows a moved visit (issue 19), against the simulator's P1 e-referral
service over loopback HTTP: the desk's reschedule sends the new date exactly once; a move the
replay makes (the new term refused in CeR: the visit back where CeR holds it) leaves P1 with
the date of the term the visit really has."""

from __future__ import annotations

import requests
from emergency_support import gateway, pesels
from test_referral_replay import (  # noqa: F401  (desk: a fixture)
    P1,
    desk,
    patients_with_referrals,
    referral_gateway,
    sync,
)

from recepcja.domain.model import WARSAW, Urgency
from recepcja.services import booking
from recepcja.store.records import OutboxOp
from recepcja.sync.replay import Replayer


def _day(repos, slot_id: int) -> str:
    return repos.slots.get(slot_id).start.astimezone(WARSAW).date().isoformat()


def _other_day(repos, free: list[int], than: int) -> int:
    return next(slot for slot in free if _day(repos, slot) != _day(repos, than))


def _date_changes(p1: P1, key: str) -> int:
    return [step["operation"] for step in p1.state(key)["history"]].count("zmiana_daty_wizyty")


def _booked_and_taken(repos, sim, slot_id: int, start: int) -> tuple[P1, int, str]:
    """A visit booked on a new e-referral, sent: CeR has it, P1 has it taken with its day."""
    p1 = P1(sim.url)
    (patient,), (key,) = patients_with_referrals(repos, p1, 1, start)
    visit = booking.book(repos, patient, slot_id, Urgency.STABLE, user="ania",
                         referral_key=key).visit.id
    sync(repos, sim)
    assert p1.state(key)["visit_date"] == _day(repos, slot_id)
    return p1, visit, key


def test_a_reschedule_moves_p1s_visit_date_once(repos, onboarded_simulator, desk):  # noqa: F811
    sim = onboarded_simulator
    _, free = desk
    p1, visit, key = _booked_and_taken(repos, sim, free[0], 1000)

    target = _other_day(repos, free, free[0])
    booking.reschedule(repos, visit, target, user="ania")
    dates = [row for row in repos.outbox.for_visit(visit) if row.op == OutboxOp.REFERRAL_DATE]
    assert len(dates) == 1  # queued with the move, in its transaction
    sync(repos, sim)
    state = p1.state(key)
    assert state["visit_date"] == _day(repos, target) and state["status"] == "U_REALIZATORA"
    assert _date_changes(p1, key) == 1
    assert repos.outbox.get(dates[0].id).result["outcome"] == "referral_date_set"
    # Nothing is sent twice: another pass finds nothing to do.
    sync(repos, sim)
    assert _date_changes(p1, key) == 1


def test_a_move_by_the_replay_leaves_p1_with_the_visits_real_date(repos, onboarded_simulator,
                                                                   desk):  # noqa: F811
    sim = onboarded_simulator
    _, free = desk
    p1, visit, key = _booked_and_taken(repos, sim, free[0], 1100)
    first_day = _day(repos, free[0])
    # CeR away: the desk moves the visit to another day; meanwhile a portal patient takes
    # that term in CeR.
    target = _other_day(repos, free, free[0])
    booking.reschedule(repos, visit, target, user="ania")
    taken = requests.post(f"{sim.url}/_control/portal-booking", timeout=15, json={
        "slot": repos.slots.get(target).cer_id, "pesel": pesels(1, start=1200)[0]})
    assert taken.status_code == 200, taken.text
    with gateway(sim.soap_url) as cer:
        Replayer(repos, cer, referrals=lambda: referral_gateway(sim.url)).run()
    with gateway(sim.soap_url) as cer:
        Replayer(repos, cer, referrals=lambda: referral_gateway(sim.url)).run()
    # The replay put the visit back where CeR holds it: P1 keeps that day, never got the other.
    assert repos.visits.get(visit).slot_id == free[0]
    assert p1.state(key)["visit_date"] == first_day
    assert _date_changes(p1, key) == 0
    rows = [row for row in repos.outbox.for_visit(visit) if row.op == OutboxOp.REFERRAL_DATE]
    assert len(rows) == 2 and {row.state for row in rows} == {"done"}
    assert {row.result["outcome"] for row in rows} == {"skipped"}
