"""``recepcja referral show`` as a subprocess, against the simulator's P1 e-referral service over
loopback HTTP: the referral by key and by access code + PESEL, text and JSON, one Polish line and
exit 1 for each refusal, exit 2 for bad usage, exit 3 when P1 cannot be reached."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from recepcja.simulator.server import SimulatorServer
from support import sim_control

PESEL = "44051401359"
OTHER_PESEL = "02070803628"
OUR_EXT = "000000012345"


@pytest.fixture
def sim(tmp_path: Path):
    with SimulatorServer(tmp_path / "sim", validate_responses=True) as server:
        yield server


def issue(sim: SimulatorServer, **spec) -> dict:
    return sim_control.control(sim.url, "POST", "referrals", {"pesel": PESEL, **spec})


def configure(cli, url: str, *, environment: str = "") -> None:
    cli.home.mkdir(parents=True, exist_ok=True)
    (cli.home / "settings.toml").write_text(
        f'[p1]\nenvironment = "{environment}"\nreferral_url = "{url}"\n'
        f'[provider]\noid_extension = "{OUR_EXT}"\n', encoding="utf-8")


@pytest.fixture
def referral_cli(cli, sim):
    configure(cli, sim.url + "/p1/skierowania")
    return cli


def one_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("recepcja: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_show_by_key_prints_the_referral_in_polish(referral_cli, sim):
    referral = issue(sim, first_name="Anna", last_name="Zielińska", issued="2026-05-04",
                     refunded=True)
    result = referral_cli("referral", "show", referral["key"])
    assert result.code == 0, result.err
    out = result.out
    assert f"E-skierowanie {referral['key']}" in out
    assert "Status: wystawione, nieprzyjęte do realizacji" in out
    assert "Wystawione 2026-05-04 przez: Przychodnia Rodzinna (wystawca)" in out
    assert f"Pacjent: Anna Zielińska, PESEL {PESEL}" in out
    assert "Do: Poradnia kardiologiczna (1100)" in out
    assert "Refundowane przez NFZ: tak" in out
    assert sim_control.state(sim.url, sections="referrals")[
        "referrals"][0]["status"] == "WYSTAWIONE"  # showing changes nothing


def test_show_by_code_and_pesel_as_json(referral_cli, sim):
    referral = issue(sim, refunded=False)
    spaced = " ".join(referral["key"][i:i + 4] for i in range(0, 44, 4))
    for args in (["--code", referral["code"], "--pesel", PESEL], [spaced]):
        result = referral_cli("referral", "show", *args, "--json")
        assert result.code == 0, result.err
        data = result.json()
        assert data["key"] == referral["key"]
        assert data["status"] == "issued" and data["refunded"] is False
        assert data["patient"] == {"pesel": PESEL, "first_name": "Jan", "last_name": "Kowalski"}
        assert data["specialty"] == {"code": "1100", "name": "Poradnia kardiologiczna"}
        assert data["held_by_us"] is False


def test_each_refusal_is_one_polish_line_and_exit_1(referral_cli, sim):
    held = issue(sim, status="U_REALIZATORA")  # by another provider
    cancelled = issue(sim, status="ANULOWANE")
    realised = issue(sim, status="ZREALIZOWANE")
    valid = issue(sim)
    wrong_code = f"{(int(valid['code']) + 1) % 10000:04d}"
    cases = {
        "9" * 44: "Nie ma e-skierowania o tym kluczu.",
        held["key"]: "jest w realizacji u innego świadczeniodawcy",
        cancelled["key"]: "zostało anulowane przez lekarza",
        realised["key"]: "zostało już zrealizowane",
    }
    for key, expected in cases.items():
        result = referral_cli("referral", "show", key)
        assert result.code == 1, (key, result.err)
        assert expected in one_line(result)
    for args in (["--code", wrong_code, "--pesel", PESEL],
                 ["--code", valid["code"], "--pesel", OTHER_PESEL]):
        result = referral_cli("referral", "show", *args)
        assert result.code == 1
        assert "Żadne e-skierowanie nie pasuje do tego kodu dostępu i numeru PESEL" in one_line(
            result)


def test_a_referral_held_here_says_so(referral_cli, sim):
    held = issue(sim, status="U_REALIZATORA", holder=OUR_EXT)
    result = referral_cli("referral", "show", held["key"])
    assert result.code == 0, result.err
    assert "Status: przyjęte do realizacji" in result.out
    assert "Przyjęte do realizacji w tej placówce" in result.out


def test_bad_input_is_refused_before_any_call(referral_cli, sim):
    cases = [
        (["referral", "show", "1234"], 1, "Klucz e-skierowania ma 44 cyfry (podano znaków: 4)."),
        (["referral", "show", "--code", "12", "--pesel", PESEL], 1, "4 cyfry"),
        (["referral", "show", "--code", "1234", "--pesel", "12345678901"], 1, "PESEL"),
        (["referral", "show", "--code", "1234"], 1, "kod dostępu"),
        (["referral", "show", "1" * 44, "--code", "1234", "--pesel", PESEL], 1,
         "nie jedno i drugie"),
        (["referral", "show"], 1, "klucz e-skierowania"),
        (["referral"], 2, ""),
        (["referral", "show", "--bogus"], 2, ""),
    ]
    for args, code, expected in cases:
        result = referral_cli(*args)
        assert result.code == code, (args, result.err)
        assert expected in one_line(result), args
    assert "12345678901" not in referral_cli(
        "referral", "show", "--code", "1234", "--pesel", "12345678901").err


def test_without_an_address_it_says_which_setting_is_missing(cli):
    result = cli("referral", "show", "1" * 44)
    assert result.code == 1
    assert "[p1] referral_url" in one_line(result)


def test_p1_unreachable_is_exit_3(cli):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(cli, f"http://127.0.0.1:{port}/p1/skierowania")
    result = cli("referral", "show", "1" * 44)
    assert result.code == 3
    one_line(result)


def test_an_unknown_p1_environment_is_refused_naming_the_key(cli):
    configure(cli, "/services/ObslugaSkierowaniaWS", environment="test")
    result = cli("referral", "show", "1" * 44)
    assert result.code == 1
    assert "p1.environment" in one_line(result)
