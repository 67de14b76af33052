"""Every status rule of P1's e-referral service, against the simulator over loopback HTTP.

The table of the issue (resources/p1-referral/README.md): read by key or by access code + PESEL,
only WYSTAWIONE readable by a provider that does not hold it, take -> U_REALIZATORA, refusal with
a comment of at least 5 characters (status stays), give back only by the holder, mark realised
not while WYSTAWIONE, ZREALIZOWANE, ANULOWANE or held by another provider. Through the app's
gateway (so the client's mapping is tested too) and, where the wire matters, in raw SOAP.
"""

from __future__ import annotations

import datetime as dt

import pytest
from referral_support import (
    OTHER_PESEL,
    OURS,
    PESEL,
    ROOT,
    THEIRS,
    envelope,
    post,
    read_by_key,
)

from recepcja.cer.referrals import ReferralRejected
from recepcja.domain.referral import (
    ReferralAction,
    ReferralProblem,
    ReferralStatus,
    action_problem,
    make_lookup,
)

UNKNOWN_KEY = "9" * 44


def by_key(key: str):
    return make_lookup(key=key)


def problem_of(call) -> ReferralProblem | None:
    try:
        call()
    except ReferralRejected as error:
        assert error.problem is not None, error
        return error.problem
    return None


# -- reading ------------------------------------------------------------------------------------

def test_an_issued_referral_is_read_by_key_and_by_code_with_pesel_without_a_change(
        referrals, ours, theirs):
    issued = referrals.issue(first_name="Anna", last_name="Zielińska", refunded=False,
                             issued="2026-05-04")
    for gateway in (ours, theirs):  # any provider may read an issued referral
        for lookup in (by_key(issued["key"]), make_lookup(code=issued["code"], pesel=PESEL)):
            referral = gateway.read(lookup)
            assert referral.key == issued["key"]
            assert referral.status == ReferralStatus.ISSUED
            assert referral.patient_pesel == PESEL
            assert (referral.patient_first_name, referral.patient_last_name) == (
                "Anna", "Zielińska")
            assert referral.issued_on == dt.date(2026, 5, 4)
            assert referral.specialty_code == "1100"
            assert referral.specialty_name == "Poradnia kardiologiczna"
            assert referral.refunded is False
            assert referral.issuer and not referral.held_by_us
    state = referrals.state(issued["key"])
    assert state["status"] == "WYSTAWIONE" and state["holder"] is None
    assert [h["operation"] for h in state["history"]] == ["wystawienie"]  # reading changed nothing


def test_a_wrong_access_code_or_pesel_says_only_that(referrals, ours):
    issued = referrals.issue()
    other = referrals.issue(pesel=OTHER_PESEL)
    wrong_code = f"{(int(issued['code']) + 1) % 10000:04d}"
    for lookup in (make_lookup(code=wrong_code, pesel=PESEL),
                   make_lookup(code=issued["code"], pesel=OTHER_PESEL),
                   make_lookup(code=other["code"], pesel=PESEL) if other["code"] != issued["code"]
                   else make_lookup(code=wrong_code, pesel=OTHER_PESEL)):
        assert problem_of(lambda lookup=lookup: ours.read(lookup)) == (
            ReferralProblem.WRONG_CODE_OR_PESEL)


def test_an_unknown_key_is_not_found(ours):
    assert problem_of(lambda: ours.read(by_key(UNKNOWN_KEY))) == ReferralProblem.NOT_FOUND


def test_only_an_issued_referral_is_readable_by_a_provider_that_does_not_hold_it(
        referrals, ours, theirs):
    held = referrals.issue(status="U_REALIZATORA", holder=OURS)
    assert ours.read(by_key(held["key"])).held_by_us  # the holder reads it
    assert problem_of(lambda: theirs.read(by_key(held["key"]))) == ReferralProblem.HELD_ELSEWHERE
    # ... by access code too: the status rule does not depend on how it is asked for
    assert problem_of(lambda: theirs.read(make_lookup(code=held["code"], pesel=PESEL))) == (
        ReferralProblem.HELD_ELSEWHERE)
    realised = referrals.issue(status="ZREALIZOWANE", holder=OURS)
    assert ours.read(by_key(realised["key"])).status == ReferralStatus.REALISED
    assert problem_of(lambda: theirs.read(by_key(realised["key"]))) == ReferralProblem.REALISED
    cancelled = referrals.issue(status="ANULOWANE")
    for gateway in (ours, theirs):
        assert problem_of(lambda g=gateway: g.read(by_key(cancelled["key"]))) == (
            ReferralProblem.CANCELLED)


# -- the life cycle -----------------------------------------------------------------------------

def test_taking_a_referral_makes_the_caller_its_holder_with_what_it_stated(referrals, ours):
    issued = referrals.issue(refunded=True)
    taken = ours.take(issued["key"], refunded=False, visit_date=dt.date(2026, 6, 1))
    assert taken.status == ReferralStatus.HELD and taken.held_by_us
    assert taken.holder_refunded is False and taken.refunded is True
    assert taken.visit_date == dt.date(2026, 6, 1)
    state = referrals.state(issued["key"])
    assert state["status"] == "U_REALIZATORA" and state["holder"] == [ROOT, OURS]
    assert state["holder_refunded"] == "N" and state["visit_date"] == "2026-06-01"


def test_taking_it_again_as_its_holder_is_answered_as_done_and_happens_once(referrals, ours):
    """A resend after a lost answer must not fail, nor take it twice."""
    issued = referrals.issue()
    first = ours.take(issued["key"], refunded=True)
    again = ours.take(issued["key"], refunded=True)
    assert first.status == again.status == ReferralStatus.HELD and again.held_by_us
    history = [h["operation"] for h in referrals.state(issued["key"])["history"]]
    assert history.count("przyjecie") == 1


def test_a_referral_held_by_another_provider_cannot_be_taken_given_back_realised_or_refused(
        referrals, ours):
    held = referrals.issue(status="U_REALIZATORA", holder=THEIRS)
    key = held["key"]
    for call in (lambda: ours.take(key, refunded=True), lambda: ours.give_back(key),
                 lambda: ours.realise(key), lambda: ours.refuse(key, "Brak terminów")):
        assert problem_of(call) == ReferralProblem.HELD_ELSEWHERE
    state = referrals.state(key)
    assert state["status"] == "U_REALIZATORA" and state["holder"] == [ROOT, THEIRS]
    assert state["refusals"] == []


def test_a_refusal_needs_a_comment_of_five_characters_and_leaves_the_referral_issued(
        referrals, ours, theirs):
    issued = referrals.issue()
    key = issued["key"]
    for short in ("abcd", "   x y   "):  # counted without the surrounding spaces
        assert problem_of(lambda s=short: ours.refuse(key, s)) == (
            ReferralProblem.COMMENT_TOO_SHORT)
    assert referrals.state(key)["refusals"] == []
    refused = ours.refuse(key, "Brak wolnych terminów w tym roku")
    assert refused.status == ReferralStatus.ISSUED
    state = referrals.state(key)
    assert state["status"] == "WYSTAWIONE" and state["holder"] is None
    assert [(r["provider"], r["comment"]) for r in state["refusals"]] == [
        ([ROOT, OURS], "Brak wolnych terminów w tym roku")]
    # still issued: another provider can take it
    assert theirs.take(key, refunded=True).held_by_us


def test_the_holder_gives_it_back_for_the_patient_to_use_elsewhere(referrals, ours, theirs):
    issued = referrals.issue()
    key = issued["key"]
    ours.take(key, refunded=True, visit_date=dt.date(2026, 6, 1))
    back = ours.give_back(key)
    assert back.status == ReferralStatus.ISSUED and not back.held_by_us
    assert back.visit_date is None
    state = referrals.state(key)
    assert state["status"] == "WYSTAWIONE" and state["holder"] is None
    assert theirs.read(by_key(key)).status == ReferralStatus.ISSUED  # readable elsewhere again
    # nothing left to give back
    assert problem_of(lambda: ours.give_back(key)) == ReferralProblem.NOT_TAKEN


def test_only_the_holder_marks_it_realised_and_then_nobody_can_take_it(referrals, ours, theirs):
    issued = referrals.issue()
    key = issued["key"]
    assert problem_of(lambda: ours.realise(key)) == ReferralProblem.NOT_TAKEN  # WYSTAWIONE
    ours.take(key, refunded=True)
    assert problem_of(lambda: theirs.realise(key)) == ReferralProblem.HELD_ELSEWHERE
    done = ours.realise(key, dt.date(2026, 6, 2))
    assert done.status == ReferralStatus.REALISED and done.realised_on == dt.date(2026, 6, 2)
    assert problem_of(lambda: ours.realise(key)) == ReferralProblem.REALISED
    assert problem_of(lambda: theirs.take(key, refunded=True)) == ReferralProblem.REALISED
    assert problem_of(lambda: ours.give_back(key)) == ReferralProblem.REALISED
    history = [h["operation"] for h in referrals.state(key)["history"]]
    assert history == ["wystawienie", "przyjecie", "zakonczenie"]


def test_a_cancelled_referral_refuses_every_operation(referrals, ours):
    key = referrals.issue(status="ANULOWANE")["key"]
    for call in (lambda: ours.take(key, refunded=True), lambda: ours.give_back(key),
                 lambda: ours.realise(key), lambda: ours.refuse(key, "Anulowane wcześniej")):
        assert problem_of(call) == ReferralProblem.CANCELLED
    assert referrals.state(key)["status"] == "ANULOWANE"


def test_operations_on_an_unknown_key_are_not_found(ours):
    for call in (lambda: ours.take(UNKNOWN_KEY, refunded=True),
                 lambda: ours.give_back(UNKNOWN_KEY), lambda: ours.realise(UNKNOWN_KEY),
                 lambda: ours.refuse(UNKNOWN_KEY, "Nie ma takiego")):
        assert problem_of(call) == ReferralProblem.NOT_FOUND


# -- the domain's rules agree with the service, status by status --------------------------------

HOLDERS = {"nobody": None, "us": OURS, "them": THEIRS}
CASES = [
    (status, holder, action)
    for status, holder in [("WYSTAWIONE", "nobody"), ("U_REALIZATORA", "us"),
                           ("U_REALIZATORA", "them"), ("ZREALIZOWANE", "us"),
                           ("ZREALIZOWANE", "them"), ("ANULOWANE", "nobody")]
    for action in ReferralAction
]


@pytest.mark.parametrize(("status", "holder", "action"), CASES,
                         ids=[f"{s}-{h}-{a}" for s, h, a in CASES])
def test_the_desks_rules_predict_the_services_answer(referrals, ours, status, holder, action):
    """``domain.referral.action_problem`` (what the desk and the replay decide on) says exactly
    what the service answers, for every status, holder and action."""
    key = referrals.issue(status=status, **({"holder": HOLDERS[holder]} if HOLDERS[holder]
                                            else {}))["key"]
    seen = ours.read(by_key(key)) if (status == "WYSTAWIONE" or holder == "us") else None
    if seen is not None:
        predicted = action_problem(action, seen)
    else:  # what the desk knows from the refused read
        predicted = {"U_REALIZATORA": ReferralProblem.HELD_ELSEWHERE,
                     "ZREALIZOWANE": ReferralProblem.REALISED,
                     "ANULOWANE": ReferralProblem.CANCELLED}[status]
    call = {
        ReferralAction.TAKE: lambda: ours.take(key, refunded=True),
        ReferralAction.REFUSE: lambda: ours.refuse(key, "Brak miejsc w poradni"),
        ReferralAction.GIVE_BACK: lambda: ours.give_back(key),
        ReferralAction.REALISE: lambda: ours.realise(key),
    }[action]
    assert problem_of(call) == predicted


# -- concurrency: one referral, two providers, at once --------------------------------------------

def test_two_providers_taking_the_same_referral_at_once_leave_exactly_one_holder(referrals):
    from concurrent.futures import ThreadPoolExecutor

    from referral_support import gateway

    key = referrals.issue()["key"]
    providers = [f"0000000{n:05d}" for n in range(1, 9)]

    def take(ext: str) -> ReferralProblem | None:
        with gateway(referrals.soap_url, ext) as mine:
            return problem_of(lambda: mine.take(key, refunded=True))

    with ThreadPoolExecutor(len(providers)) as pool:
        outcomes = list(pool.map(take, providers))
    assert outcomes.count(None) == 1
    assert set(outcomes) - {None} == {ReferralProblem.HELD_ELSEWHERE}
    winner = providers[outcomes.index(None)]
    state = referrals.state(key)
    assert state["holder"] == [ROOT, winner]
    assert [h["operation"] for h in state["history"]].count("przyjecie") == 1


# -- on the wire ----------------------------------------------------------------------------------

def test_a_refusal_on_the_wire_is_a_business_fault_with_the_services_code(referrals):
    held = referrals.issue(status="U_REALIZATORA", holder=THEIRS)
    answer = post(referrals.soap_url, envelope(read_by_key(held["key"])))
    assert answer.status == 500 and answer.fault["code"] == "soap:Client"
    assert answer.fault["major"] == "urn:csioz:p1:kod:major:BladBiznesowy"
    assert answer.minor == "SkierowanieUInnegoRealizatora"
    answer = post(referrals.soap_url, envelope(read_by_key(referrals.issue()["key"])))
    assert answer.status == 200 and answer.text("skierowanie/status") == "WYSTAWIONE"
    assert answer.payload.find("skr:skierowanie/skr:realizator",
                               {"skr": "urn:recepcja:model:csioz:p1:skierowania:v1"}) is None


def test_access_codes_are_unique_per_patient_and_keys_unique(referrals):
    codes = [referrals.issue()["code"] for _ in range(12)]
    assert len(set(codes)) == len(codes)
    first = referrals.issue(code="1234", key="1" * 44)
    referrals.control("referrals", {"pesel": PESEL, "code": "1234"}, expect=409)
    referrals.control("referrals", {"pesel": OTHER_PESEL, "key": first["key"]}, expect=409)
    assert referrals.issue(pesel=OTHER_PESEL, code="1234")["code"] == "1234"  # another patient
    for bad in ({"key": "123"}, {"code": "12a4"}, {"specialty": "11"}, {"status": "NOWE"},
                {"refunded": "R"}, {"pesel": "12345678901"}):
        referrals.control("referrals", {"pesel": PESEL, **bad}, expect=400)


def test_the_control_api_changes_a_referral_meanwhile(referrals, ours):
    """What part of the world does elsewhere (cancel, another provider takes it) is set through
    the control API, with the holder named."""
    key = referrals.issue()["key"]
    changed = referrals.change(key, "U_REALIZATORA", THEIRS)
    assert changed["holder"] == [ROOT, THEIRS]
    assert problem_of(lambda: ours.read(by_key(key))) == ReferralProblem.HELD_ELSEWHERE
    referrals.change(key, "ANULOWANE")
    assert problem_of(lambda: ours.read(by_key(key))) == ReferralProblem.CANCELLED
    referrals.control("referral-change", {"key": key, "status": "WYSTAWIONE",
                                          "holder": THEIRS}, expect=400)
    referrals.control("referral-change", {"key": UNKNOWN_KEY, "status": "ANULOWANE"},
                      expect=404)


def test_referrals_survive_a_restart_and_a_reset_empties_them(simulator, referrals, ours):
    key = referrals.issue()["key"]
    ours.take(key, refunded=True)
    simulator.restart()
    again = type(referrals)(simulator.url)
    assert again.state(key)["status"] == "U_REALIZATORA"
    simulator.control("POST", "reset")
    assert simulator.state(sections="referrals")["referrals"] == []

