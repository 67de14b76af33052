"""E-referrals through the outbox (issue 19): booked in emergency mode with the key kept, checked
and taken into realisation at replay against the simulator's P1 e-referral service over loopback
HTTP; given back on cancel; realised on attendance when the setting says so."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import soap_raw
from emergency_support import add_patient, gateway, mirror_practice, pesels

from recepcja.cer.referrals import ReferralGateway
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.domain.model import Attendance, Urgency
from recepcja.services import booking
from recepcja.services.call_list import call_list
from recepcja.store.records import OutboxOp
from recepcja.sync.replay import Replayer

ELSEWHERE = "w realizacji u innego świadczeniodawcy"
CANCELLED = "anulowane przez lekarza"


class P1:
    def __init__(self, base_url: str) -> None:
        self.base = base_url

    def issue(self, pesel: str, **spec: Any) -> str:
        answer = requests.post(f"{self.base}/_control/referrals", json={"pesel": pesel, **spec},
                               timeout=15)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["key"])

    def change(self, key: str, status: str) -> None:
        answer = requests.post(f"{self.base}/_control/referral-change",
                               json={"key": key, "status": status}, timeout=15)
        assert answer.status_code == 200, answer.text

    def state(self, key: str) -> dict[str, Any]:
        referrals = requests.get(f"{self.base}/_control/state?sections=referrals",
                                 timeout=15).json()["referrals"]
        return next(r for r in referrals if r["key"] == key)


def referral_gateway(base_url: str) -> ReferralGateway:
    ctx = soap_raw.DEFAULT_CONTEXT
    return ReferralGateway(GatewayConfig(
        url=base_url + "/p1/skierowania", connect_timeout=2.0, read_timeout=5.0,
        context=CallContext(ctx["idPodmiotuOidRoot"], ctx["idPodmiotuOidExt"],
                            ctx["rolaBiznesowa"], ctx["idUzytkownikaOidExt"], "")))


@pytest.fixture
def desk(repos, onboarded_simulator):
    local = mirror_practice(repos, onboarded_simulator.place, scope="cardiology")
    slots = [slot for schedule in local.schedule_ids
             for slot in repos.slots.for_days(schedule, *_days(onboarded_simulator.place))]
    return local, [slot.id for slot in slots if slot.state == "free"]


def _days(place) -> tuple:
    starts = [start for triples in place.slots.values() for _, start, _ in triples]
    return min(starts).date(), max(starts).date()


def patients_with_referrals(repos, p1: P1, count: int, start: int) -> tuple[list[int], list[str]]:
    """``count`` new patients, each with an e-referral issued in P1: (patient ids, keys)."""
    people = pesels(count, start=start)
    return ([add_patient(repos, pesel, index) for index, pesel in enumerate(people)],
            [p1.issue(pesel) for pesel in people])


def sync(repos, sim) -> None:
    with gateway(sim.soap_url) as cer:
        report = Replayer(repos, cer, referrals=lambda: referral_gateway(sim.url)).run()
    assert report.stopped_by is None, report
    assert not repos.outbox.count_pending(), report


def _done_takes(repos, visits) -> list[tuple[int, dict[str, Any]]]:
    """(visit id, result) of the visits' take rows, all finished."""
    rows = [row for visit in visits for row in repos.outbox.for_visit(visit)
            if row.op == OutboxOp.REFERRAL_TAKE]
    assert all(row.state == "done" for row in rows), rows
    return [(row.visit_id, row.result or {}) for row in rows]


def test_three_referrals_checked_at_replay_after_an_outage(repos, onboarded_simulator, desk):
    sim = onboarded_simulator
    _, free = desk
    p1 = P1(sim.url)
    patients, keys = patients_with_referrals(repos, p1, 3, 300)
    # CeR and P1 away: the desk books on the keys the patients bring (emergency mode).
    visits = [booking.book(repos, patient, free[index], Urgency.STABLE, user="ania",
                           emergency=True, referral_key=key).visit.id
              for index, (patient, key) in enumerate(zip(patients, keys, strict=True))]
    # Meanwhile, in P1: the second taken by another provider, the third cancelled.
    p1.change(keys[1], "U_REALIZATORA")
    p1.change(keys[2], "ANULOWANE")

    sync(repos, sim)

    outcomes = dict(_done_takes(repos, visits))
    assert outcomes[visits[0]]["outcome"] == "referral_taken"
    assert outcomes[visits[1]]["outcome"] == "referral_refused"
    assert ELSEWHERE in outcomes[visits[1]]["reason"]
    assert outcomes[visits[2]]["outcome"] == "referral_refused"
    assert CANCELLED in outcomes[visits[2]]["reason"]
    taken = p1.state(keys[0])
    assert taken["status"] == "U_REALIZATORA"
    assert taken["holder"] == [soap_raw.DEFAULT_CONTEXT["idPodmiotuOidRoot"],
                               soap_raw.DEFAULT_CONTEXT["idPodmiotuOidExt"]]
    assert p1.state(keys[1])["holder"] != taken["holder"]
    # The call list: the two whose referral is unusable, each with its reason; not the first.
    lines = {item.visit_id: item for item in call_list(repos)}
    assert set(lines) == {visits[1], visits[2]}
    assert ELSEWHERE in (lines[visits[1]].reason or "")
    assert CANCELLED in (lines[visits[2]].reason or "")
    assert not lines[visits[1]].on_waiting_list
    # The bookings themselves reached CeR.
    assert all(repos.visits.get(visit).cer_id for visit in visits)


def test_cancel_gives_back_and_attendance_realises_once(repos, onboarded_simulator, desk):
    sim = onboarded_simulator
    _, free = desk
    p1 = P1(sim.url)
    patients, keys = patients_with_referrals(repos, p1, 2, 400)
    first, second = (booking.book(repos, patient, free[index], Urgency.STABLE, user="ania",
                                  referral_key=key).visit.id
                     for index, (patient, key) in enumerate(zip(patients, keys, strict=True)))
    sync(repos, sim)
    assert p1.state(keys[0])["status"] == "U_REALIZATORA"

    booking.cancel(repos, first, "pacjent rezygnuje", user="ania")
    booking.mark_attendance(repos, second, Attendance.ARRIVED, user="ania",
                            realise_referral=True)
    sync(repos, sim)
    assert p1.state(keys[0])["status"] == "WYSTAWIONE"
    assert p1.state(keys[1])["status"] == "ZREALIZOWANE"
    history = p1.state(keys[1])["history"]
    assert [step["operation"] for step in history].count("przyjecie") == 1
    # Nothing is sent twice: another pass finds nothing to do.
    sync(repos, sim)
    assert p1.state(keys[1])["history"] == history


def test_a_booking_cancelled_before_replay_never_takes_its_referral(repos, onboarded_simulator,
                                                                     desk):
    sim = onboarded_simulator
    _, free = desk
    p1 = P1(sim.url)
    (patient,), (key,) = patients_with_referrals(repos, p1, 1, 500)
    visit = booking.book(repos, patient, free[0], Urgency.STABLE, user="ania", emergency=True,
                         referral_key=key).visit.id
    booking.cancel(repos, visit, "pomyłka", user="ania")
    sync(repos, sim)
    assert p1.state(key)["status"] == "WYSTAWIONE"
    assert [result["outcome"] for _, result in _done_takes(repos, [visit])] == ["skipped"]


def test_without_p1_the_referral_waits_and_cers_rows_go_on(repos, onboarded_simulator, desk):
    sim = onboarded_simulator
    _, free = desk
    (patient,), (key,) = patients_with_referrals(repos, P1(sim.url), 1, 600)
    visit = booking.book(repos, patient, free[0], Urgency.STABLE, user="ania",
                         referral_key=key).visit.id
    with gateway(sim.soap_url) as cer:
        report = Replayer(repos, cer).run()  # no e-referral service on this workstation
    assert report.stopped_by is None and report.retry_later == 1
    assert repos.visits.get(visit).cer_id  # the booking reached CeR
    take = repos.outbox.by_key(f"referral_take:{repos.visits.get(visit).visit_uid}")
    assert take.state == "failed"
    assert take.last_error.startswith("Usługa e-skierowań P1 nie jest skonfigurowana")


def test_a_booking_moved_at_replay_takes_its_referral_with_the_new_date(repos,
                                                                        onboarded_simulator,
                                                                        desk):
    from recepcja.domain.model import WARSAW

    sim = onboarded_simulator
    _, free = desk
    p1 = P1(sim.url)
    (patient,), (key,) = patients_with_referrals(repos, p1, 1, 700)
    visit = booking.book(repos, patient, free[0], Urgency.STABLE, user="ania", emergency=True,
                         referral_key=key).visit
    # Meanwhile a portal patient took that term in CeR.
    taken = requests.post(f"{sim.url}/_control/portal-booking", timeout=15, json={
        "slot": repos.slots.get(free[0]).cer_id, "pesel": pesels(1, start=800)[0]})
    assert taken.status_code == 200, taken.text
    with gateway(sim.soap_url) as cer:
        Replayer(repos, cer, referrals=lambda: referral_gateway(sim.url)).run()
    moved = repos.visits.get(visit.id)
    assert moved.slot_id != free[0] and moved.cer_id  # booked on another term
    take = repos.outbox.by_key(f"referral_take:{visit.visit_uid}")
    # Rows of a visit go in order: the referral waits for the booking's final term.
    assert take.state == "queued"
    assert p1.state(key)["status"] == "WYSTAWIONE"
    with gateway(sim.soap_url) as cer:
        Replayer(repos, cer, referrals=lambda: referral_gateway(sim.url)).run()
    assert repos.outbox.get(take.id).result["outcome"] == "referral_taken"
    day = repos.slots.get(moved.slot_id).start.astimezone(WARSAW).date().isoformat()
    assert p1.state(key)["visit_date"] == day
