"""``[p1]``: P1's environments by name, the e-referral service's address, the business role."""

from __future__ import annotations

import pytest

from recepcja.config.settings import (
    P1_ENVIRONMENTS,
    load_settings,
    save_settings,
    settings_from_dict,
)
from recepcja.domain.errors import ValidationError


def test_defaults_leave_the_referral_service_unconfigured_and_call_as_reception_staff():
    settings = settings_from_dict({})
    assert settings.effective_referral_url() == ""
    assert settings.p1.business_role == "PRACOWNIK_ADMINISTRACYJNY"


@pytest.mark.parametrize(("p1", "url"), [
    ({"referral_url": "https://p1.example.pl/ws/skierowania"},
     "https://p1.example.pl/ws/skierowania"),
    # a full URL wins over the environment
    ({"environment": "production", "referral_url": "http://127.0.0.1:8700/p1/skierowania"},
     "http://127.0.0.1:8700/p1/skierowania"),
    ({"environment": "integration", "referral_url": "/services/Skierowania"},
     "https://isus.ezdrowie.gov.pl/services/Skierowania"),
    ({"environment": "production", "referral_url": "services/Skierowania"},
     "https://sus.ezdrowie.gov.pl/services/Skierowania"),
    # a path without an environment is no address
    ({"referral_url": "/services/Skierowania"}, ""),
    ({"environment": "production"}, ""),
])
def test_the_referral_address_from_an_environment_and_a_path(p1, url):
    assert settings_from_dict({"p1": p1}).effective_referral_url() == url


def test_the_environments_are_p1s_integration_and_production_hosts():
    assert dict(P1_ENVIRONMENTS) == {"integration": "https://isus.ezdrowie.gov.pl",
                                     "production": "https://sus.ezdrowie.gov.pl"}


@pytest.mark.parametrize(("section", "key"), [
    ({"environment": "test"}, "p1.environment"),
    ({"referral_url": 5}, "p1.referral_url"),
    ({"unknown": "x"}, "p1.unknown"),
])
def test_a_wrong_p1_value_is_refused_naming_the_key(section, key):
    with pytest.raises(ValidationError) as raised:
        settings_from_dict({"p1": section})
    assert raised.value.params["key"] == key


def test_p1_settings_survive_a_save_and_load(tmp_path):
    path = tmp_path / "settings.toml"
    settings = settings_from_dict({"p1": {"environment": "integration",
                                          "referral_url": "/services/Skierowania"}})
    save_settings(path, settings)
    again = load_settings(path)
    assert again.p1 == settings.p1
    assert again.effective_referral_url().startswith("https://isus.ezdrowie.gov.pl/")


@pytest.mark.parametrize(("data", "environ", "url"), [
    ({"p1": {"environment": "integration"}, "cer": {"url": "/services/CeR"}}, {},
     "https://isus.ezdrowie.gov.pl/services/CeR"),
    ({"p1": {"environment": "production"}, "cer": {"url": "https://cer.example.pl/ws"}}, {},
     "https://cer.example.pl/ws"),
    ({"cer": {"url": "/services/CeR"}}, {}, ""),  # a path needs an environment
    ({"p1": {"environment": "production"}, "cer": {"url": "/services/CeR"}},
     {"RECEPCJA_CER_URL": "http://127.0.0.1:8700/cer"}, "http://127.0.0.1:8700/cer"),
])
def test_cers_address_may_be_a_path_on_the_named_p1_environment(data, environ, url):
    assert settings_from_dict(data).effective_cer_url(environ) == url


def test_the_referral_address_from_the_environment_variable():
    settings = settings_from_dict({"p1": {"referral_url": "https://p1.example.pl/ws"}})
    assert settings.effective_referral_url(
        {"RECEPCJA_REFERRAL_URL": "http://127.0.0.1:1/p1/skierowania"}) == (
        "http://127.0.0.1:1/p1/skierowania")
    assert settings.effective_referral_url({}) == "https://p1.example.pl/ws"


def test_cer_calls_as_reception_staff_too_even_from_an_old_settings_file(tmp_path):
    """CeR takes P1's context header and business roles: the desk calls it as
    PRACOWNIK_ADMINISTRACYJNY, and the old default (PODMIOT_LECZNICZY, not a P1 role, written
    into every settings file saved before) reads as that; a role set on purpose stays."""
    assert settings_from_dict({}).provider.business_role == "PRACOWNIK_ADMINISTRACYJNY"
    path = tmp_path / "settings.toml"
    path.write_text('[provider]\nbusiness_role = "PODMIOT_LECZNICZY"\n', encoding="utf-8")
    assert load_settings(path).provider.business_role == "PRACOWNIK_ADMINISTRACYJNY"
    chosen = settings_from_dict({"provider": {"business_role": "LEKARZ_LEK_DENTYSTA_FELCZER"}})
    assert chosen.provider.business_role == "LEKARZ_LEK_DENTYSTA_FELCZER"
