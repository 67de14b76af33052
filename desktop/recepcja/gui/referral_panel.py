"""The booking dialog's referral field (``gui.referral_input.ReferralInput``) wired to the main
window: P1's e-referral service as the window's settings say (the form only when no address is
configured), the window's background runner, its scopes and terms."""

from __future__ import annotations

from typing import Any

from recepcja.domain.entities import Patient
from recepcja.domain.errors import DomainError
from recepcja.domain.model import Scope
from recepcja.gui.referral_input import ReadReferral, ReferralInput


def panel_for(window: Any, patient: Patient) -> ReferralInput:
    """The one referral field for the window's booking dialog."""
    from recepcja.services.referrals import read_referral

    ctx, repos, scopes = window.ctx, window.repos, window.scopes

    def term_of(slot_id: int) -> tuple[Scope | None, str | None]:
        slot = repos.slots.get(slot_id)
        schedule = repos.schedules.get(slot.schedule_id) if slot is not None else None
        return (scope_of(scopes, schedule.scope_code if schedule else None),
                str(slot.term_kind) if slot is not None else None)

    read: ReadReferral | None = None
    if ctx.settings.effective_referral_url():  # else: the form only
        read = lambda lookup: read_referral(ctx, lookup)  # noqa: E731
    return ReferralInput(patient.identifier.pesel, read, window.runner.run, term_of)


def scope_of(scopes: Any, code: str | None) -> Scope | None:
    """The scope named ``code`` in a registry, None when unknown."""
    if not code:
        return None
    try:
        return scopes.get(code)
    except DomainError:
        return None
