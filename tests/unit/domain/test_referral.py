"""The e-referral's rules at the desk (domain/referral.py): key and access code, lookups, what each
status allows, and the desk's check before booking."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from recepcja.domain.errors import ValidationError
from recepcja.domain.referral import (
    PROBLEM_MESSAGES,
    STATUS_LABELS,
    Referral,
    ReferralAction,
    ReferralProblem,
    ReferralStatus,
    action_problem,
    desk_check,
    lookup_from_text,
    make_lookup,
    normalise_code,
    normalise_key,
    refusal_comment,
    specialty_fits,
)
from recepcja.domain.scopes import ScopeRegistry

KEY = "1234567890" * 4 + "1234"
PESEL = "44051401359"
OTHER_PESEL = "02070803628"
SCOPES = ScopeRegistry.default()
CARDIOLOGY = SCOPES.get("cardiology")
MAMMOGRAPHY = SCOPES.get("mammography")


def referral(status: ReferralStatus = ReferralStatus.ISSUED, *, ours: bool = False,
             specialty: str = "1100", pesel: str = PESEL) -> Referral:
    return Referral(key=KEY, status=status, issued_on=dt.date(2026, 5, 4), issuer="POZ",
                    patient_pesel=pesel, patient_first_name="Jan", patient_last_name="Kowalski",
                    specialty_code=specialty, specialty_name="Poradnia", refunded=True,
                    held_by_us=ours)


# -- identifiers --------------------------------------------------------------------------------

def test_a_key_is_44_digits_and_a_scanner_or_a_printout_may_group_them():
    assert normalise_key(KEY) == KEY
    grouped = " ".join(KEY[i:i + 4] for i in range(0, 44, 4))
    assert normalise_key(grouped) == KEY
    assert normalise_key(f"  {KEY[:20]}-{KEY[20:]}\n") == KEY
    for bad in (KEY[:-1], KEY + "5", KEY[:-1] + "x", "", PESEL):
        with pytest.raises(ValidationError) as raised:
            normalise_key(bad)
        assert bad not in str(raised.value) or not bad  # the input is never echoed


def test_an_access_code_is_4_digits():
    assert normalise_code("0042") == "0042"
    assert normalise_code(" 12 34 ") == "1234"
    for bad in ("123", "12345", "12a4", ""):
        with pytest.raises(ValidationError):
            normalise_code(bad)


def test_a_lookup_is_by_key_or_by_code_with_a_valid_pesel_never_both():
    assert make_lookup(key=KEY).key == KEY and make_lookup(key=KEY).by_key
    by_code = make_lookup(code="0042", pesel=PESEL)
    assert (by_code.code, by_code.pesel, by_code.by_key) == ("0042", PESEL, False)
    for bad in ({}, {"code": "0042"}, {"pesel": PESEL}, {"key": KEY, "code": "0042"},
                {"key": KEY, "pesel": PESEL}, {"code": "0042", "pesel": "44051401358"}):
        with pytest.raises(ValidationError):
            make_lookup(**bad)


def test_what_one_field_holds_decides_key_or_code():
    """The scanner types 44 digits; a patient reads out 4."""
    assert lookup_from_text(KEY, PESEL).key == KEY
    assert lookup_from_text("0042", PESEL).code == "0042"
    with pytest.raises(ValidationError):
        lookup_from_text("0042", None)  # a code without the patient's PESEL
    with pytest.raises(ValidationError):
        lookup_from_text("12345", PESEL)


# -- the status rules ---------------------------------------------------------------------------

EXPECTED = {
    # (status, ours): {action: problem}
    (ReferralStatus.ISSUED, False): {
        ReferralAction.TAKE: None, ReferralAction.REFUSE: None,
        ReferralAction.GIVE_BACK: ReferralProblem.NOT_TAKEN,
        ReferralAction.REALISE: ReferralProblem.NOT_TAKEN},
    (ReferralStatus.HELD, True): {
        ReferralAction.TAKE: None, ReferralAction.REFUSE: ReferralProblem.HELD_BY_US,
        ReferralAction.GIVE_BACK: None, ReferralAction.REALISE: None},
    (ReferralStatus.HELD, False): dict.fromkeys(ReferralAction, ReferralProblem.HELD_ELSEWHERE),
    (ReferralStatus.REALISED, True): dict.fromkeys(ReferralAction, ReferralProblem.REALISED),
    (ReferralStatus.REALISED, False): dict.fromkeys(ReferralAction, ReferralProblem.REALISED),
    (ReferralStatus.CANCELLED, False): dict.fromkeys(ReferralAction, ReferralProblem.CANCELLED),
}


@pytest.mark.parametrize(("status", "ours"), list(EXPECTED), ids=str)
def test_each_action_is_allowed_or_refused_by_status_and_holder(status, ours):
    found = {action: action_problem(action, referral(status, ours=ours))
             for action in ReferralAction}
    assert found == EXPECTED[(status, ours)]


def test_the_desk_books_on_an_issued_referral_of_this_patient_for_the_scope():
    assert desk_check(referral(), patient_pesel=PESEL, scope=CARDIOLOGY) is None
    # held here already (e.g. the visit is being moved): still fine
    assert desk_check(referral(ReferralStatus.HELD, ours=True), patient_pesel=PESEL,
                      scope=CARDIOLOGY) is None


def test_the_desk_refuses_each_reason_in_order():
    cases = [
        (referral(ReferralStatus.CANCELLED, pesel=OTHER_PESEL), ReferralProblem.CANCELLED),
        (referral(ReferralStatus.REALISED, ours=True), ReferralProblem.REALISED),
        (referral(ReferralStatus.HELD), ReferralProblem.HELD_ELSEWHERE),
        (referral(pesel=OTHER_PESEL, specialty="1010"), ReferralProblem.OTHER_PATIENT),
        (referral(specialty="1010"), ReferralProblem.OTHER_SPECIALTY),
    ]
    for item, problem in cases:
        assert desk_check(item, patient_pesel=PESEL, scope=CARDIOLOGY) == problem


def test_the_specialty_is_checked_only_where_the_scope_needs_a_referral():
    assert specialty_fits(CARDIOLOGY, "1100") and specialty_fits(CARDIOLOGY, " 1100 ")
    assert not specialty_fits(CARDIOLOGY, "1010")
    assert not MAMMOGRAPHY.referral_required
    assert desk_check(referral(specialty="1010"), patient_pesel=PESEL, scope=MAMMOGRAPHY) is None
    assert desk_check(referral(specialty="1010"), patient_pesel=None, scope=None) is None


def test_a_practice_adds_target_specialties_to_a_scope_in_its_settings():
    merged = SCOPES.merged([{"code": "cardiology", "name_pl": "kardiologia",
                             "referral_required": True,
                             "referral_specialties": ["1100", "1101", "1100"]}])
    assert merged.get("cardiology").referral_specialties == ("1100", "1101")
    assert desk_check(referral(specialty="1101"), patient_pesel=PESEL,
                      scope=merged.get("cardiology")) is None
    for bad in ("1100", ["11"], [1100], ["kard"]):
        with pytest.raises(ValidationError):
            SCOPES.merged([{"code": "cardiology", "name_pl": "kardiologia",
                            "referral_specialties": bad}])


def test_a_refusal_needs_five_characters_without_the_surrounding_spaces():
    assert refusal_comment("  Brak miejsc  ") == "Brak miejsc"
    assert refusal_comment("abcde") == "abcde"
    for short in ("abcd", "   ab   ", ""):
        with pytest.raises(ValidationError):
            refusal_comment(short)


def test_every_problem_and_status_has_a_line_for_the_desk():
    assert set(PROBLEM_MESSAGES) == set(ReferralProblem)
    assert set(STATUS_LABELS) == set(ReferralStatus)


def test_a_referral_is_a_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        referral().status = ReferralStatus.HELD  # type: ignore[misc]
