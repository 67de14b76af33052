"""E-referrals at the desk: the gateway to P1's e-referral service from the settings, and reading
a referral (``recepcja referral show``; the booking dialog and the outbox build on these).

The e-referral service is a P1 service like CeR: the same provider identity, TLS client
certificate and signing certificate (``[cer]``, ``[provider]``; ``gateway_factory.p1_config``), its
own address (``[p1] environment`` + ``referral_url``) and P1's business role for reception staff
(``[p1] business_role``). Importing this module does not import zeep.
"""

from __future__ import annotations

from recepcja.cer.referrals import ReferralGateway, ReferralRejected
from recepcja.domain.errors import N_, DomainError
from recepcja.domain.referral import Referral, ReferralLookup, ReferralProblem
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import CerNotConfigured, p1_config


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
