"""The e-referral (e-skierowanie) at the desk: its identifiers, its life cycle, and the rules the
desk checks before it books a visit on one. Pure: no I/O, no clock.

A referral lives in P1. The desk finds it by its **key** (44 digits: the barcode on the printout,
which a scanner types followed by Enter) or by its **access code** (4 digits the patient got by
SMS, e-mail or on paper) together with the patient's PESEL. Its status:

- ``ISSUED`` (WYSTAWIONE): any provider may read it and take it into realisation;
- ``HELD`` (U_REALIZATORA): one provider (its *holder*) took it; only the holder sees it, gives it
  back (it is ``ISSUED`` again) or marks it realised;
- ``REALISED`` (ZREALIZOWANE) and ``CANCELLED`` (ANULOWANE, by its issuer): final.

``action_problem`` says whether an action on a referral can succeed as P1 would decide it;
``desk_check`` adds what only the desk knows: the patient in front of it and the scope of the
term being booked (``Scope.referral_specialties``: which target specialties a scope accepts).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import WARSAW, Scope, TermKind
from recepcja.domain.pesel import is_valid_pesel
from recepcja.domain.scopes import ScopeRegistry

KEY_DIGITS = 44
CODE_DIGITS = 4
MIN_REFUSAL_COMMENT = 5
# What a printout or a person may put between the digits: spaces, hyphens.
_SEPARATORS = re.compile(r"[\s\-]+")


class ReferralStatus(StrEnum):
    ISSUED = "issued"  # WYSTAWIONE
    HELD = "held"  # U_REALIZATORA
    REALISED = "realised"  # ZREALIZOWANE
    CANCELLED = "cancelled"  # ANULOWANE


STATUS_LABELS = MappingProxyType({
    ReferralStatus.ISSUED: N_("issued, not taken into realisation"),
    ReferralStatus.HELD: N_("taken into realisation"),
    ReferralStatus.REALISED: N_("already realised"),
    ReferralStatus.CANCELLED: N_("cancelled by the issuer"),
})


class ReferralAction(StrEnum):
    TAKE = "take"  # przyjęcie do realizacji
    REFUSE = "refuse"  # odmowa przyjęcia
    GIVE_BACK = "give_back"  # rezygnacja z realizacji
    REALISE = "realise"  # zakończenie realizacji


class ReferralProblem(StrEnum):
    """Why a referral cannot be used (or found); each has one Polish line for the desk."""

    NOT_FOUND = "not_found"
    WRONG_CODE_OR_PESEL = "wrong_code_or_pesel"
    HELD_ELSEWHERE = "held_elsewhere"
    CANCELLED = "cancelled"
    REALISED = "realised"
    NOT_TAKEN = "not_taken"
    HELD_BY_US = "held_by_us"
    COMMENT_TOO_SHORT = "comment_too_short"
    OTHER_SPECIALTY = "other_specialty"
    OTHER_PATIENT = "other_patient"
    FIRST_VISIT_NEEDS_REFERRAL = "first_visit_needs_referral"


PROBLEM_MESSAGES = MappingProxyType({
    ReferralProblem.NOT_FOUND: N_("No e-referral with this key exists."),
    ReferralProblem.WRONG_CODE_OR_PESEL: N_(
        "No e-referral matches this access code and PESEL: check both with the patient."),
    ReferralProblem.HELD_ELSEWHERE: N_(
        "This e-referral is being realised by another provider: the patient must first ask "
        "them to give it back."),
    ReferralProblem.CANCELLED: N_("This e-referral was cancelled by the doctor who issued it."),
    ReferralProblem.REALISED: N_("This e-referral has already been realised."),
    ReferralProblem.NOT_TAKEN: N_("This e-referral has not been taken into realisation here."),
    ReferralProblem.HELD_BY_US: N_(
        "This e-referral is already being realised here: give it back before refusing it."),
    ReferralProblem.COMMENT_TOO_SHORT: N_(
        "The reason for refusing an e-referral must have at least 5 characters."),
    ReferralProblem.OTHER_SPECIALTY: N_(
        "This e-referral is for {specialty}, not for {scope}."),
    ReferralProblem.OTHER_PATIENT: N_("This e-referral was issued for another patient."),
    ReferralProblem.FIRST_VISIT_NEEDS_REFERRAL: N_(
        "A first visit needs an e-referral: scan its key or enter its access code with the "
        "patient's PESEL."),
})


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral as P1 shows it to this provider."""

    key: str
    status: ReferralStatus
    issued_on: dt.date
    issuer: str  # the issuing provider's name
    patient_pesel: str
    patient_first_name: str
    patient_last_name: str
    specialty_code: str  # target clinic's specialty (RPWDL part VIII), e.g. "1100"
    specialty_name: str
    refunded: bool  # R (NFZ) or N (paid in full)
    doctor: str | None = None
    held_by_us: bool = False  # this provider is its holder
    holder_refunded: bool | None = None  # what the holder stated when taking it
    visit_date: dt.date | None = None
    realised_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ReferralLookup:
    """How the desk asks for a referral: by key, or by access code and PESEL."""

    key: str | None = None
    code: str | None = None
    pesel: str | None = None

    @property
    def by_key(self) -> bool:
        return self.key is not None


def normalise_key(text: str) -> str:
    """The 44 digits of a key, spaces and hyphens removed; ValidationError otherwise (which
    never echoes the input: it may be a PESEL typed into the wrong field)."""
    digits = _SEPARATORS.sub("", text or "")
    if len(digits) != KEY_DIGITS or not digits.isdigit():
        raise ValidationError(
            N_("An e-referral key has 44 digits (characters given: {count})."),
            count=len(digits))
    return digits


def normalise_code(text: str) -> str:
    """The 4 digits of an access code; ValidationError otherwise."""
    digits = _SEPARATORS.sub("", text or "")
    if len(digits) != CODE_DIGITS or not digits.isdigit():
        raise ValidationError(
            N_("An e-referral access code has 4 digits (characters given: {count})."),
            count=len(digits))
    return digits


def make_lookup(key: str | None = None, code: str | None = None,
                pesel: str | None = None) -> ReferralLookup:
    """A lookup by key, or by access code with a valid PESEL — exactly one of the two."""
    if key and (code or pesel):
        raise ValidationError(N_("Give an e-referral's key, or its access code with the "
                                 "patient's PESEL - not both."))
    if key:
        return ReferralLookup(key=normalise_key(key))
    if not code or not pesel:
        raise ValidationError(N_("Give an e-referral's key (44 digits), or its access code "
                                 "(4 digits) with the patient's PESEL."))
    pesel = pesel.strip()
    if not is_valid_pesel(pesel):
        raise ValidationError(N_("The PESEL given with the access code is not valid."))
    return ReferralLookup(code=normalise_code(code), pesel=pesel)


def lookup_from_text(text: str, pesel: str | None) -> ReferralLookup:
    """What the desk typed or scanned into one field: 44 digits are a key, 4 digits an access
    code (read with the patient's PESEL)."""
    digits = _SEPARATORS.sub("", text or "")
    if len(digits) == CODE_DIGITS:
        return make_lookup(code=digits, pesel=pesel)
    return make_lookup(key=digits)


def split_referral(text: str | None) -> tuple[str | None, str | None]:
    """What an import's referral column carries: (a paper referral's number, None) for text,
    (None, the key) for an e-referral's key - digits only (a 4-digit access code needs P1 and
    the patient at the desk: ValidationError)."""
    value = (text or "").strip()
    if not value:
        return None, None
    digits = _SEPARATORS.sub("", value)
    if digits.isdigit():
        return None, normalise_key(digits)
    return value, None


def action_problem(action: ReferralAction, referral: Referral) -> ReferralProblem | None:
    """Why P1 would refuse ``action`` on ``referral`` as it stands, or None when it can succeed.
    Taking a referral this provider already holds succeeds (it is already done)."""
    status = referral.status
    if status == ReferralStatus.CANCELLED:
        return ReferralProblem.CANCELLED
    if status == ReferralStatus.REALISED:
        return ReferralProblem.REALISED
    if status == ReferralStatus.HELD and not referral.held_by_us:
        return ReferralProblem.HELD_ELSEWHERE
    held_here = status == ReferralStatus.HELD
    if action in (ReferralAction.GIVE_BACK, ReferralAction.REALISE) and not held_here:
        return ReferralProblem.NOT_TAKEN
    if action == ReferralAction.REFUSE and held_here:
        return ReferralProblem.HELD_BY_US
    return None


def specialty_fits(scope: Scope, specialty_code: str) -> bool:
    """Whether a referral to ``specialty_code`` may be realised on a term of ``scope``."""
    return specialty_code.strip() in scope.referral_specialties


def desk_check(referral: Referral, *, patient_pesel: str | None,
               scope: Scope | None) -> ReferralProblem | None:
    """What the desk checks before booking a visit on ``referral``: that it can be taken, that
    it is this patient's, and that it is for the scope of the term (when the scope needs a
    referral). None: book it."""
    problem = action_problem(ReferralAction.TAKE, referral)
    if problem is not None:
        return problem
    if patient_pesel is not None and patient_pesel != referral.patient_pesel:
        return ReferralProblem.OTHER_PATIENT
    if scope is not None and scope.referral_required and not specialty_fits(
            scope, referral.specialty_code):
        return ReferralProblem.OTHER_SPECIALTY
    return None


def problem_params(problem: ReferralProblem, referral: Referral | None,
                   scope: Scope | None) -> dict[str, str]:
    """The values ``PROBLEM_MESSAGES[problem]`` names (the specialties of OTHER_SPECIALTY)."""
    if problem != ReferralProblem.OTHER_SPECIALTY:
        return {}
    return {"specialty": referral.specialty_name if referral else "?",
            "scope": scope.name_pl if scope else "?"}


def known_scope(code: str | None) -> Scope | None:
    """The scope ``code`` names among the scopes Recepcja knows (``ScopeRegistry.default``),
    None when unknown: its rules are then not checked."""
    if not code:
        return None
    try:
        return ScopeRegistry.default().get(code)
    except DomainError:
        return None


def takes_referral(scope: Scope | None, term_kind: str | None) -> bool:
    """Whether a visit on a term of ``term_kind`` in ``scope`` is realised on an e-referral: a
    first visit (the default procedure) of a scope that needs one. A continuation does not."""
    return bool(scope is not None and scope.referral_required
                and term_kind == TermKind.DEFAULT_PROCEDURE)


def kind_problem(scope: Scope | None, term_kind: str | None,
                 has_referral: bool) -> ReferralProblem | None:
    """The kind of reservation must match the term: a first visit of a scope with referrals
    needs one (CeR refuses it without); anything else needs none."""
    if takes_referral(scope, term_kind) and not has_referral:
        return ReferralProblem.FIRST_VISIT_NEEDS_REFERRAL
    return None


def move_problem(scope: Scope | None, from_kind: str | None, to_kind: str | None,
                 has_referral: bool) -> ReferralProblem | None:
    """A visit moved from a term of ``from_kind`` to one of ``to_kind``: onto a first visit of a
    scope with referrals from another kind of term, it needs a referral (CeR refuses the move
    without); a move between terms of one kind keeps what the visit was booked with."""
    if from_kind == to_kind:
        return None
    return kind_problem(scope, to_kind, has_referral)


# The first-visit rule as a refusal of a booking (``require_referral``): any caller, the desk's
# dialog, the CLI or a future path, gets the same one line, and nothing is written.
FIRST_VISIT_WITHOUT_REFERRAL = N_(
    "The term {term} is a first visit of {scope} and needs a referral: give the e-referral's "
    "key or access code, or the paper referral's number, or choose a continuation term.")


def require_referral(scope: Scope | None, term_kind: str | None, has_referral: bool, *,
                     start: dt.datetime) -> None:
    """``kind_problem`` as the booking's refusal: ValidationError naming the term (``start``,
    shown in Polish local time) and its scope when a first visit of a scope with referrals
    comes without one."""
    if kind_problem(scope, term_kind, has_referral) is None:
        return
    local = start.astimezone(WARSAW) if start.tzinfo is not None else start
    raise ValidationError(FIRST_VISIT_WITHOUT_REFERRAL, term=local.strftime("%d.%m.%Y %H:%M"),
                          scope=scope.name_pl if scope is not None else "?")


def refusal_comment(text: str) -> str:
    """The reason for refusing a referral, trimmed; at least 5 characters."""
    comment = (text or "").strip()
    if len(comment) < MIN_REFUSAL_COMMENT:
        raise ValidationError(PROBLEM_MESSAGES[ReferralProblem.COMMENT_TOO_SHORT])
    return comment
