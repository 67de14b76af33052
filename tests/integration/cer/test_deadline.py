"""Every CeR call ends within its total deadline, however the server behaves: a server that
trickles its answer a byte at a time (headers included) — each byte well inside the read
timeout — and a server that accepts the connection and never completes the TLS handshake.
Real sockets on loopback, the real gateway (zeep, requests, urllib3): nothing mocked."""

from __future__ import annotations

import datetime as dt

import pytest
from cer_support import CONTEXT

from misbehaving_cer import MisbehavingCer
from recepcja.cer.errors import CerTemporary, CerUnreachable
from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import GatewayConfig


def _gateway(url: str, *, deadline: float) -> CerGateway:
    # Per-operation timeouts far longer than the deadline: only the deadline can end the call.
    return CerGateway(GatewayConfig(url=url, context=CONTEXT, connect_timeout=30.0,
                                    read_timeout=30.0, call_deadline=deadline))


def test_a_trickling_answer_ends_at_the_deadline_as_may_have_committed():
    with MisbehavingCer("trickle") as server, _gateway(server.url, deadline=1.5) as gateway:
        with pytest.raises(CerTemporary) as info:
            gateway.status()
        assert server.requests_seen == 1  # the request got there: CeR may have acted on it
    error = info.value
    assert error.may_have_committed and error.operation == "sprawdzStatus"
    assert error.params["seconds"] == "1.5"


def test_the_same_gateway_works_again_after_a_deadline():
    """The deadline belongs to one call: the next call gets its own, and a healthy answer
    (here the same server, given time) is read normally."""
    with MisbehavingCer("trickle", pause=0.0005) as server, \
            _gateway(server.url, deadline=30.0) as gateway:
        assert isinstance(gateway.status(), dt.datetime)
    with MisbehavingCer("trickle") as server, _gateway(server.url, deadline=1.0) as gateway:
        with pytest.raises(CerTemporary):
            gateway.status()
        with pytest.raises(CerTemporary):
            gateway.status()
        assert server.requests_seen == 2


def test_a_stalled_tls_handshake_ends_at_the_deadline_with_nothing_sent():
    with MisbehavingCer("silent") as server, _gateway(server.tls_url, deadline=1.0) as gateway:
        with pytest.raises(CerUnreachable) as info:
            gateway.status()
    assert not info.value.may_have_committed  # nothing was sent: safe to send again
    assert info.value.params.get("seconds") == "1"
