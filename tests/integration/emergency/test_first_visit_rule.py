"""The first-visit rule (a first visit of a scope with referrals needs one) where CeR would
otherwise be the first to say so: the simulator refuses it over real SOAP like CeR
(``BrakSkierowania``), the replay reports that as a rejection with its reason in Polish, and the
booking service refuses it before anything is written - the CLI's and the window's path alike."""

from __future__ import annotations

import datetime as dt

import pytest
import soap_raw
from emergency_support import add_patient, gateway, mirror_practice, pesels

from recepcja.domain.entities import Visit
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import SlotState, Urgency
from recepcja.i18n import error_text
from recepcja.services import booking
from recepcja.store.records import OutboxState
from recepcja.sync.replay import Replayer

CONTINUATION = "KONTYNUACJA_LECZENIA"


@pytest.fixture
def cardiology(simulator):
    """A place onboarded in the simulator under Recepcja's own scope code (``cardiology``, which
    the simulator's rule knows), with two continuation terms added to its first schedule."""
    simulator.place = soap_raw.onboard(simulator.soap_url, schedules=1, scope="cardiology")
    schedule = simulator.place.schedule_ids[0]
    start = simulator.place.slots[schedule][-1][2] + dt.timedelta(days=1)
    terms = [(f"k-{i}", start + dt.timedelta(minutes=30 * i),
              start + dt.timedelta(minutes=30 * (i + 1))) for i in range(2)]
    body = (f"<cer:zapiszSloty><cer:idHarmonogramu>{schedule}</cer:idHarmonogramu>"
            + "".join(soap_raw.slot(*term, kind=CONTINUATION) for term in terms)
            + "</cer:zapiszSloty>")
    answer = simulator.call(body)
    assert answer.ok, answer.fault
    simulator.continuations = [str(item["idCer"]) for item in answer.items()]
    return simulator


def test_the_simulator_refuses_a_first_visit_without_a_referral(cardiology):
    sim = cardiology
    first, second = sim.place.slot_ids()[:2]
    refused = sim.call(soap_raw.book(first, "REC-NOREF-1"))
    assert refused.minor == "BrakSkierowania", refused.fault
    assert refused.fault["major"] == soap_raw.MAJOR + "BladBiznesowy"
    assert "wymaga skierowania" in refused.fault["opis"]
    assert not sim.state(sections="visits")["visits"]  # nothing booked
    # With a referral, and a continuation without one: booked.
    with_referral = sim.call(soap_raw.book(
        second, "REC-REF-1", extra="<cer:idSkierowania>SKIER-1</cer:idSkierowania>"))
    assert with_referral.ok, with_referral.fault
    continuation = sim.call(soap_raw.book(sim.continuations[0], "REC-CONT-1",
                                          pesel=soap_raw.PESEL_B))
    assert continuation.ok, continuation.fault
    # Moving the continuation onto a first-visit term: it has no referral either.
    moved = sim.call(f"<cer:zmienTermin><cer:idWizyty>{continuation.text('wizyta/idWizyty')}"
                     f"</cer:idWizyty><cer:idSlotuNowego>{first}</cer:idSlotuNowego>"
                     "<cer:powod>Zmiana terminu</cer:powod></cer:zmienTermin>")
    assert moved.minor == "BrakSkierowania", moved.fault


def test_the_desk_reports_cers_refusal_as_a_rejection(repos, cardiology):
    """A first visit without a referral that reached the outbox past the service (a row from
    before the rule, another path): CeR refuses it, the replay rejects the row with the reason
    in Polish - never "sent" or "booked"."""
    sim = cardiology
    local = mirror_practice(repos, sim.place, scope="cardiology")
    [slot, *_] = [s for s in repos.slots.for_days(local.schedule_ids[0], *_span(sim))
                  if s.state == SlotState.FREE]
    patient = add_patient(repos, pesels(1, start=2300)[0], 0)
    booked = repos.visits.book(Visit(visit_uid="REC-NOREF-2", patient_id=patient,
                                     slot_id=slot.id, urgency=Urgency.STABLE), slot.id, "ania")
    with gateway(sim.soap_url) as cer:
        report = Replayer(repos, cer).run()
    assert report.rejected == 1 and report.done == 0, report
    row = repos.outbox.get(booked.outbox_id)
    assert row.state == OutboxState.REJECTED
    assert "CeR odrzucił pierwszą wizytę bez skierowania" in (row.last_error or ""), row
    visit = repos.visits.get(booked.visit_id)
    assert visit.cer_id is None and visit.state != "confirmed"
    assert not sim.state(sections="visits")["visits"]


def test_the_service_refuses_it_before_anything_is_written(repos, cardiology):
    sim = cardiology
    local = mirror_practice(repos, sim.place, scope="cardiology")
    free = [s for s in repos.slots.for_days(local.schedule_ids[0], *_span(sim))
            if s.state == SlotState.FREE]
    patient = add_patient(repos, pesels(1, start=2400)[0], 0)
    before = repos.outbox.counts()
    with pytest.raises(ValidationError) as raised:
        booking.book(repos, patient, free[0].id, Urgency.STABLE, user="ania")
    assert "to pierwsza wizyta (kardiologia) i wymaga skierowania" in error_text(raised.value)
    assert repos.outbox.counts() == before and repos.visits.count() == 0
    assert repos.slots.get(free[0].id).state == SlotState.FREE
    # A paper referral's number is a referral: booked, and CeR takes it.
    booking.book(repos, patient, free[0].id, Urgency.STABLE, user="ania", referral_id="SK-7")
    with gateway(sim.soap_url) as cer:
        report = Replayer(repos, cer).run()
    assert report.done == 1 and report.rejected == 0, report


def _span(sim) -> tuple[dt.date, dt.date]:
    starts = [start for triples in sim.place.slots.values() for _, start, _ in triples]
    return min(starts).date(), max(starts).date()
