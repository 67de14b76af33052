"""On the wire, to CeR: plain HTTP only to this computer; any other plain-HTTP address is
refused with one clear line before a single byte (or DNS query) leaves the machine."""

from __future__ import annotations

import socket

import pytest

from recepcja.cli.main import main
from recepcja.domain.errors import ValidationError
from recepcja.domain.transport import is_loopback_host, require_secure_url
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import PlainHttpRefused, gateway_from_context

REMOTE = ("http://192.0.2.10/cer", "http://cer.example.org:8080/cer", "http://10.0.0.5/cer",
          "http://127.0.0.1.example.org/cer", "http://localhost.example.org/cer",
          "http://[2001:db8::1]/cer", "ftp://cer.example.org/cer", "cer.example.org/cer")
LOCAL = ("http://127.0.0.1:8700/cer", "http://localhost:8700/cer", "http://[::1]:8700/cer",
         "http://127.0.0.2/cer", "https://cer.example.org/cer", "https://192.0.2.10/cer")


@pytest.mark.parametrize("url", REMOTE)
def test_plain_http_to_another_computer_is_refused(url):
    with pytest.raises(ValidationError):
        require_secure_url(url)


@pytest.mark.parametrize("url", LOCAL)
def test_https_anywhere_and_plain_http_to_this_computer_are_allowed(url):
    assert require_secure_url(url) == url


def test_loopback_hosts():
    assert all(is_loopback_host(h) for h in ("localhost", "127.0.0.1", "::1", "[::1]",
                                              "127.8.9.10", "LOCALHOST"))
    assert not any(is_loopback_host(h) for h in ("0.0.0.0", "192.168.1.20", "example.org",
                                                  "", "localhost.example.org"))


@pytest.fixture
def no_network(monkeypatch):
    """Record every attempt to reach the network: connect and name resolution."""
    attempts: list[object] = []

    def connect(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("this test allows no connection at all")

    def resolve(*args, **kwargs):
        attempts.append(args[0] if args else kwargs)
        raise OSError("this test allows no name resolution")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return attempts


@pytest.mark.parametrize("command", [("notifications", "pull"), ("reconcile",),
                                     ("publish",), ("onboard",), ("sync", "--once")])
def test_the_cli_refuses_before_anything_is_sent(command, monkeypatch, capsys, no_network):
    monkeypatch.setenv("RECEPCJA_CER_URL", "http://192.0.2.10/cer")
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    code = main(list(command))
    err = capsys.readouterr().err
    assert code != 0, err
    assert "plain HTTP" in err and "192.0.2.10" in err, err
    assert err.count("\n") == 1
    assert no_network == []


def test_a_booking_stays_queued_and_says_why(monkeypatch, capsys, no_network):
    """The desk books while the CeR address is refused: the visit is kept in the emergency
    queue (not lost), nothing is sent, and the reason is the refusal."""
    import json

    from recepcja.domain.entities import SlotSpec
    from recepcja.domain.model import WARSAW
    from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
    from recepcja.store.repos import Repositories

    monkeypatch.setenv("RECEPCJA_CER_URL", "http://192.0.2.10/cer")
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    ctx = AppContext.load()
    repos = Repositories.over(ctx.open_db())
    try:
        import datetime as dt

        repos.practice.save_provider(Provider("Przychodnia"))
        place = repos.practice.add_place(Place("Poradnia", cer_id="MUS-1", scopes=["cardiology"]))
        doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Nowak"))
        schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "Nowak",
                                                cer_id="HRM-1"))
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).astimezone(WARSAW).replace(
            hour=9, minute=0, second=0, microsecond=0)
        repos.slots.add_many(schedule, [SlotSpec(start, start + dt.timedelta(minutes=20))])
        slot = repos.slots.at(schedule, start).id
    finally:
        repos.close()
    assert main(["patients", "add", "--pesel", "44051401359", "--first-name", "Jan",
                 "--last-name", "Kowalski"]) == 0
    capsys.readouterr()
    assert main(["book", "--patient", "44051401359", "--slot", str(slot), "--referral", "SKIER-1",
                 "--urgency", "pilny", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["state"] == "queued" and "plain HTTP" in answer["reason"]
    assert no_network == []


def test_verify_tls_off_and_plain_http_are_refused_alike(private_home):
    ctx = AppContext.load()
    ctx.settings.cer.url = "http://192.0.2.10/cer"
    with pytest.raises(PlainHttpRefused):
        gateway_from_context(ctx)
    ctx.settings.cer.url = "http://127.0.0.1:1/cer"
    gateway_from_context(ctx).close()  # the simulator on this computer: allowed
