"""E-referrals at the desk: the gateway to P1's e-referral service from the settings, and reading
a referral (``recepcja referral show``), and the desk's check of a referral before booking on it
(``check_for_booking``: the CLI, the booking dialog, the imports; the first-visit rule itself
is ``services.booking.check_first_visit``, which every booking goes through).

The e-referral service is a P1 service like CeR: the same provider identity, TLS client
certificate and signing certificate (``[cer]``, ``[provider]``; ``gateway_factory.p1_config``), its
own address (``[p1] environment`` + ``referral_url``) and P1's business role for reception staff
(``[p1] business_role``). Importing this module does not import zeep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from recepcja.cer.errors import CerError, CerRejected
from recepcja.cer.referrals import ReferralGateway, ReferralRejected
from recepcja.domain.entities import Patient
from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import Scope
from recepcja.domain.referral import (
    PROBLEM_MESSAGES,
    Referral,
    ReferralLookup,
    ReferralProblem,
    desk_check,
    known_scope,
    lookup_from_text,
    problem_params,
)
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import CerNotConfigured, p1_config
from recepcja.store.repos import Repositories

log = logging.getLogger("recepcja.services.referrals")


class ReferralServiceNotConfigured(CerNotConfigured):
    """No address for the e-referral service in the settings."""


class ReferralRefused(DomainError):
    """P1 refused the referral (not found, held by another provider, cancelled...): one line for
    the desk; ``problem`` says which, None for a refusal the model does not know."""

    def __init__(self, message: str, problem: ReferralProblem | None, **params: object) -> None:
        super().__init__(message, **params)
        self.problem = problem


def referral_gateway(ctx: AppContext) -> ReferralGateway:
    """A gateway to the e-referral service for the calling thread (close it after use)."""
    settings = ctx.settings
    url = settings.effective_referral_url()
    if not url:
        raise ReferralServiceNotConfigured(
            N_("No address of P1's e-referral service is configured: set [p1] referral_url "
               "(a full address, or a path with [p1] environment) in {path}."),
            path=str(ctx.paths.settings))
    return ReferralGateway(p1_config(ctx, url, business_role=settings.p1.business_role))


def refused(error: ReferralRejected) -> ReferralRefused:
    """P1's refusal as the desk's one-line error."""
    return ReferralRefused(error.message, error.problem, **error.params)


def read_referral(ctx: AppContext, lookup: ReferralLookup) -> Referral:
    """The referral as P1 shows it to this provider; ``ReferralRefused`` when P1 says no, the
    gateway's ``CerError`` when P1 cannot be asked."""
    with referral_gateway(ctx) as gateway:
        try:
            return gateway.read(lookup)
        except ReferralRejected as error:
            raise refused(error) from None


@dataclass(frozen=True, slots=True)
class CheckedReferral:
    """The e-referral a visit is about to be booked on: its key and, when P1 answered, the
    referral as read (None: P1 could not be asked; the replay checks it before taking it)."""

    key: str
    referral: Referral | None


def term_scope(repos: Repositories, slot_id: int) -> tuple[Scope | None, str | None]:
    """The scope of a term (when the practice knows it) and the term's kind."""
    slot = repos.slots.get(slot_id)
    if slot is None:
        raise ValidationError(N_("Term {slot} does not exist."), slot=slot_id)
    schedule = repos.schedules.get(slot.schedule_id)
    return known_scope(schedule.scope_code if schedule else None), str(slot.term_kind)




def problem_error(problem: ReferralProblem, referral: Referral | None,
                  scope: Scope | None) -> ReferralRefused:
    return ReferralRefused(PROBLEM_MESSAGES[problem], problem,
                           **problem_params(problem, referral, scope))


def check_for_booking(
    read: Callable[[ReferralLookup], Referral], repos: Repositories, *, text: str,
    patient: Patient, slot_id: int,
) -> CheckedReferral:
    """What the desk does with the key (or access code) a patient brings before booking
    ``slot_id``: read it from P1 (``read``, e.g. ``read_referral`` bound to the context) and
    refuse, with the reason, a referral that cannot be taken (held elsewhere, cancelled,
    realised), of another patient or for another specialty. P1 unreachable: a key is kept and
    checked at replay; an access code cannot be resolved without P1."""
    lookup = lookup_from_text(text, patient.identifier.pesel)
    scope, _kind = term_scope(repos, slot_id)
    try:
        referral = read(lookup)
    except ReferralRejected as error:
        raise refused(error) from None
    except CerError as error:
        if isinstance(error, CerRejected):
            raise
        if not lookup.by_key:
            raise ValidationError(N_(
                "P1's e-referral service does not answer: an access code can only be read "
                "online - scan or type the e-referral's key (44 digits).")) from None
        log.info("e-referral service unreachable: the key is checked at replay")
        return CheckedReferral(str(lookup.key), None)
    problem = desk_check(referral, patient_pesel=patient.identifier.pesel, scope=scope)
    if problem is not None:
        raise problem_error(problem, referral, scope)
    return CheckedReferral(referral.key, referral)


def is_e_referral(text: str | None) -> bool:
    """Whether what the desk typed is an e-referral (digits: a key or an access code) rather
    than a paper referral's number."""
    digits = "".join((text or "").replace("-", " ").split())
    return digits.isdigit()


def desk_referral(ctx: AppContext, repos: Repositories, text: str | None, patient: Patient,
                  slot_id: int) -> CheckedReferral | None:
    """``check_for_booking`` against P1 as configured, for an e-referral; None for no referral
    or a paper one."""
    if not text or not is_e_referral(text):
        return None
    return check_for_booking(lambda lookup: read_referral(ctx, lookup), repos, text=text,
                             patient=patient, slot_id=slot_id)
