"""The provider's OID in every call's context: a real CeR is not called until
``[provider] oid_extension`` is set; a local simulator accepts the placeholder."""

from __future__ import annotations

import pytest

from recepcja.config.settings import save_settings
from recepcja.i18n import translate_error
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import ProviderIdNotConfigured, gateway_from_context
from recepcja.services.sync_service import sync_entry_now
from recepcja.store.repos import Repositories

REAL_CER = "https://cer.example.gov.pl/cer"


def test_a_remote_cer_is_refused_until_the_oid_extension_is_set(monkeypatch):
    monkeypatch.setenv("RECEPCJA_CER_URL", REAL_CER)
    ctx = AppContext.load()
    with pytest.raises(ProviderIdNotConfigured) as info:
        gateway_from_context(ctx)
    message = translate_error(info.value)
    assert "[provider] oid_extension" in message and str(ctx.paths.settings) in message
    assert message.startswith("Nie ustawiono identyfikatora podmiotu") and "\n" not in message

    ctx.settings.provider.oid_extension = "000000012345"
    gateway = gateway_from_context(ctx)
    try:
        context = dict(gateway.config.context.attributes())
    finally:
        gateway.close()
    assert context["idPodmiotuOidExt"] == "000000012345"
    assert context["idPodmiotuOidRoot"] == ctx.settings.provider.oid_root


@pytest.mark.parametrize("url", ["http://127.0.0.1:8700/cer", "https://localhost:8443/cer"])
def test_a_simulator_on_this_computer_needs_no_oid_extension(monkeypatch, url):
    monkeypatch.setenv("RECEPCJA_CER_URL", url)
    gateway = gateway_from_context(AppContext.load())
    try:
        assert dict(gateway.config.context.attributes())["idPodmiotuOidExt"] == "0"
    finally:
        gateway.close()


def test_a_desk_booking_stays_queued_with_the_reason(monkeypatch):
    """``book`` commits first, then tries CeR: the missing identifier keeps it queued."""
    monkeypatch.setenv("RECEPCJA_CER_URL", REAL_CER)
    ctx = AppContext.load()
    save_settings(ctx.paths.settings, ctx.settings)
    repos = Repositories.over(ctx.open_db())
    try:
        report = sync_entry_now(ctx, repos, 12345)
    finally:
        repos.close()
    assert "oid_extension" in report.stopped_by and "identyfikatora podmiotu" in report.stopped_by
