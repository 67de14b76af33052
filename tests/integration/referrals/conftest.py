"""Fixtures of the e-referral contract tests, on top of the suite's ``simulator`` fixture."""

from __future__ import annotations

import pytest
from referral_support import OURS, THEIRS, Referrals, gateway


@pytest.fixture
def referrals(simulator) -> Referrals:
    return Referrals(simulator.url)


@pytest.fixture
def ours(referrals):
    """This practice's gateway to the e-referral service."""
    with gateway(referrals.soap_url, OURS) as ours:
        yield ours


@pytest.fixture
def theirs(referrals):
    """Another provider's gateway."""
    with gateway(referrals.soap_url, THEIRS) as theirs:
        yield theirs
