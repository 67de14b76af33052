"""Build a CeR gateway from the workstation's settings and keyring.

One place that turns ``settings.toml`` ([cer], [provider]) plus keyring passwords into a
``CerGateway``, so every use case (onboarding, publishing, the sync engine) talks to CeR with the
same identity, timeouts and certificates. Importing this module does not import zeep: the gateway
builds its client at the first call.
"""

from __future__ import annotations

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import CallContext, GatewayConfig, SigningConfig
from recepcja.config.secrets import SIGNING_KEY_PASSWORD, SecretStore
from recepcja.domain.errors import N_, ConfigurationError, DomainError
from recepcja.domain.transport import require_secure_url, url_is_loopback
from recepcja.services.context import AppContext

__all__ = ["CerNotConfigured", "PlainHttpRefused", "ProviderIdNotConfigured",
           "TlsVerificationRequired", "gateway_from_context", "p1_config"]


class CerNotConfigured(ConfigurationError):
    """No CeR address: neither ``[cer] url`` in the settings nor ``RECEPCJA_CER_URL``."""


class ProviderIdNotConfigured(CerNotConfigured):
    """``[provider] oid_extension`` is empty: every call's context names the provider by it,
    so a real CeR is not called until it is set (a local simulator accepts the placeholder)."""


class TlsVerificationRequired(ConfigurationError):
    """``verify_tls = false`` for an address that is not this computer: refused, because a
    man in the middle would then see patients' data and could answer for CeR."""


class PlainHttpRefused(TlsVerificationRequired):
    """A CeR address that is plain ``http://`` to another computer (domain.transport): as
    refused as ``verify_tls = false``, and handled the same way (a booking stays queued)."""


def gateway_from_context(ctx: AppContext, *, place_cer_id: str = "") -> CerGateway:
    """A gateway for the calling thread. ``place_cer_id`` fills ``idMiejscaPracy`` of the call
    context (empty while the place is not registered yet)."""
    settings = ctx.settings
    url = settings.effective_cer_url()
    if not url:
        raise CerNotConfigured(
            N_("No CeR address is configured: set [cer] url in {path} or RECEPCJA_CER_URL."),
            path=str(ctx.paths.settings),
        )
    return CerGateway(p1_config(ctx, url, business_role=settings.provider.business_role,
                                place_cer_id=place_cer_id))


def p1_config(ctx: AppContext, url: str, *, business_role: str,
              place_cer_id: str = "") -> GatewayConfig:
    """How this workstation calls a P1 service at ``url`` (CeR, the e-referral service): the
    provider's identity, TLS and signing certificates from ``[cer]`` and ``[provider]``."""
    cer = ctx.settings.cer
    provider = ctx.settings.provider
    try:
        require_secure_url(url)  # plain HTTP only to this computer, before anything is sent
    except DomainError as error:
        raise PlainHttpRefused(error.message, **error.params) from None
    context = CallContext(
        provider_oid_root=provider.oid_root,
        provider_oid_ext=provider.oid_extension or "0",
        business_role=business_role,
        user_id=provider.user or ctx.user,
        place_id=place_cer_id,
    )
    verify: bool | str = cer.ca_bundle or True
    if not cer.verify_tls:
        if not url_is_loopback(url):
            raise TlsVerificationRequired(
                N_("[cer] verify_tls = false is allowed only for a CeR simulator on this "
                   "computer, not for {url}. Leave verification on; if CeR's certificate comes "
                   "from a CA this system does not know, give that CA in [cer] ca_bundle."),
                url=url)
        verify = False
    if not provider.oid_extension and not url_is_loopback(url):
        raise ProviderIdNotConfigured(
            N_("The provider's identifier for CeR is not set: enter it as [provider] "
               "oid_extension in {path} (administrator's guide, section 3). Nothing is sent to "
               "CeR at {url} until then."), path=str(ctx.paths.settings), url=url)
    client_cert = None
    if cer.client_cert_file and cer.client_key_file:
        client_cert = (cer.client_cert_file, cer.client_key_file)
    signing = None
    if cer.signing_cert_file and cer.signing_key_file:
        secrets = SecretStore()
        signing = SigningConfig(
            key_file=cer.signing_key_file,
            cert_file=cer.signing_cert_file,
            password_provider=lambda: secrets.get(SIGNING_KEY_PASSWORD),
        )
    return GatewayConfig(
        url=url,
        context=context,
        connect_timeout=cer.connect_timeout,
        read_timeout=cer.read_timeout,
        call_deadline=cer.call_deadline,
        verify=verify,
        client_cert=client_cert,
        signing=signing,
    )

