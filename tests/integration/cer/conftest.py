"""Fixtures of the gateway contract tests, on top of the suite's ``simulator`` fixture
(tests/integration/conftest.py: a started simulator with ``.soap_url`` and ``.control``)."""

from __future__ import annotations

import pytest
from cer_support import make_gateway, onboard


@pytest.fixture
def cer_gateway(simulator):
    """A gateway talking to the simulator over loopback HTTP, answers validated against the XSD."""
    with make_gateway(simulator.soap_url) as gateway:
        yield gateway


@pytest.fixture
def cer_onboarded(cer_gateway):
    """An active place with one schedule and 100 days × 4 free slots, onboarded through the
    gateway itself."""
    return onboard(cer_gateway)
