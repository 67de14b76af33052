"""The desk's check of an e-referral before booking on it (``services.referrals``), against the
simulator's P1 e-referral service over loopback HTTP and a real SQLite store: each refusal with
its reason in Polish, the key or the access code, the kind of reservation matching the term, and
what happens when P1 does not answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from referral_support import OTHER_PESEL, PESEL

from recepcja.cer.errors import CerUnreachable
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, TermKind
from recepcja.domain.referral import ReferralProblem
from recepcja.i18n import error_text
from recepcja.services.booking import check_first_visit
from recepcja.services.referrals import (
    ReferralRefused,
    check_for_booking,
)
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule


@pytest.fixture
def desk(tmp_path: Path):
    repos = Repositories.open(tmp_path / "recepcja.sqlite")
    repos.practice.save_provider(Provider("Przychodnia Serce"))
    place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
    doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "lek. Nowak"))
    schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "kardiologia"))
    start = dt.datetime(2030, 3, 4, 9, 0, tzinfo=WARSAW)
    repos.slots.add_many(schedule, [
        SlotSpec(start, start + dt.timedelta(minutes=20)),
        SlotSpec(start + dt.timedelta(hours=1), start + dt.timedelta(hours=1, minutes=20),
                 TermKind.CONTINUING_TREATMENT)])
    first, continuation = (slot.id for slot in repos.slots.for_days(
        schedule, start.date(), start.date()))
    patient_id = repos.patients.add(Patient(PatientIdentifier(pesel=PESEL), "Jan", "Kowalski"),
                                    "ania")
    yield repos, repos.patients.get(patient_id), first, continuation
    repos.close()


def check(ours, desk, text: str):
    repos, patient, first, _ = desk
    return check_for_booking(ours.read, repos, text=text, patient=patient, slot_id=first)


def refusal(ours, desk, text: str) -> tuple[ReferralProblem | None, str]:
    with pytest.raises(ReferralRefused) as raised:
        check(ours, desk, text)
    return raised.value.problem, error_text(raised.value)


def test_a_valid_referral_by_key_or_by_code_and_the_patients_pesel(referrals, ours, desk):
    referral = referrals.issue()
    by_key = check(ours, desk, " ".join(referral["key"][i:i + 11] for i in range(0, 44, 11)))
    by_code = check(ours, desk, referral["code"])
    assert by_key.key == by_code.key == referral["key"]
    assert by_key.referral is not None and by_key.referral.specialty_code == "1100"
    assert referrals.state(referral["key"])["status"] == "WYSTAWIONE"  # checking takes nothing


@pytest.mark.parametrize(("spec", "change", "problem", "polish"), [
    ({"specialty": "1200"}, None, ReferralProblem.OTHER_SPECIALTY,
     "To e-skierowanie jest do: Poradnia (kod 1200), a nie do: kardiologia."),
    ({"pesel": OTHER_PESEL}, None, ReferralProblem.OTHER_PATIENT,
     "To e-skierowanie wystawiono innemu pacjentowi."),
    ({}, "U_REALIZATORA", ReferralProblem.HELD_ELSEWHERE,
     "To e-skierowanie jest w realizacji u innego świadczeniodawcy"),
    ({}, "ANULOWANE", ReferralProblem.CANCELLED,
     "To e-skierowanie zostało anulowane przez lekarza, który je wystawił."),
    ({"status": "ZREALIZOWANE"}, None, ReferralProblem.REALISED,
     "To e-skierowanie zostało już zrealizowane."),
], ids=["other-specialty", "other-patient", "held-elsewhere", "cancelled", "realised"])
def test_each_refusal_with_its_reason_in_polish(referrals, ours, desk, spec, change, problem,
                                                polish):
    referral = referrals.issue(**spec)
    if change:
        referrals.change(referral["key"], change)
    found, message = refusal(ours, desk, referral["key"])
    assert found == problem
    assert message.startswith(polish), message


def test_an_unknown_key_and_a_wrong_code_are_refused(referrals, ours, desk):
    referrals.issue()
    assert refusal(ours, desk, "1" * 44)[0] == ReferralProblem.NOT_FOUND
    assert refusal(ours, desk, "0000")[0] == ReferralProblem.WRONG_CODE_OR_PESEL


def test_a_first_visit_needs_a_referral_and_a_continuation_does_not(desk):
    repos, _, first, continuation = desk
    with pytest.raises(ValidationError) as raised:
        check_first_visit(repos, repos.slots.get(first), has_referral=False)
    assert "to pierwsza wizyta (kardiologia) i wymaga skierowania" in error_text(raised.value)
    check_first_visit(repos, repos.slots.get(first), has_referral=True)
    check_first_visit(repos, repos.slots.get(continuation), has_referral=False)


def test_p1_away_keeps_a_key_for_the_replay_and_refuses_a_code(desk):
    repos, patient, first, _ = desk

    def away(_lookup):
        raise CerUnreachable("P1 away")

    kept = check_for_booking(away, repos, text="7" * 44, patient=patient, slot_id=first)
    assert kept.key == "7" * 44 and kept.referral is None
    with pytest.raises(ValidationError) as raised:
        check_for_booking(away, repos, text="1234", patient=patient, slot_id=first)
    assert "kod dostępu można odczytać tylko online" in error_text(raised.value)


def test_a_continuation_without_a_referral_is_not_moved_to_a_first_visit_term(desk):
    from recepcja.domain.model import Urgency
    from recepcja.services import booking

    repos, patient, first, continuation = desk
    visit = booking.book(repos, patient.id, continuation, Urgency.STABLE, user="ania").visit
    with pytest.raises(ValidationError) as raised:
        booking.reschedule(repos, visit.id, first, user="ania")
    assert error_text(raised.value).startswith("Pierwsza wizyta wymaga e-skierowania")
    assert repos.visits.get(visit.id).slot_id == continuation
    paper = booking.book(repos, patient.id, first, Urgency.STABLE, user="ania",
                         referral_id="SKIER-1").visit
    booking.cancel(repos, visit.id, "pomyłka", user="ania")
    booking.reschedule(repos, paper.id, continuation, user="ania")  # a referral needs no term
