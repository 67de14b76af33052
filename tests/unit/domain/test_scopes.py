"""Scopes are data: the stage I scopes, and new ones loaded from records without code changes."""

from __future__ import annotations

import tomllib

import pytest

from recepcja.domain.errors import ValidationError
from recepcja.domain.model import Scope
from recepcja.domain.scopes import STAGE_ONE_SCOPES, ScopeRegistry, scope_from_record

HPV_PRODUCTS = {
    "01.0034.101.01",
    "01.0034.102.01",
    "02.1450.101.02",
    "02.1450.102.02",
    "02.1450.001.02",
}


def test_stage_one_scopes():
    registry = ScopeRegistry.default()
    assert registry.codes() == ("cardiology", "mammography", "hpv_hr")
    assert len(registry) == 3

    cardiology = registry.get("cardiology")
    assert cardiology.name_pl == "kardiologia"
    assert cardiology.referral_required
    assert not cardiology.screening_programme
    assert not cardiology.mobile_points_allowed

    mammography = registry.get("mammography")
    assert mammography.name_pl == "mammografia"
    assert mammography.screening_programme
    assert mammography.mobile_points_allowed
    assert not mammography.referral_required

    hpv = registry.get("hpv_hr")
    assert hpv.name_pl == "cytologia/HPV HR"
    assert set(hpv.nfz_products) == HPV_PRODUCTS
    assert hpv.screening_programme
    assert hpv.mobile_points_allowed
    assert not hpv.referral_required


def test_lookup_ignores_case_and_spaces():
    registry = ScopeRegistry.default()
    assert registry.get(" Cardiology ").code == "cardiology"
    assert "MAMMOGRAPHY" in registry
    assert "dermatology" not in registry
    assert 42 not in registry


def test_unknown_scope_lists_the_known_ones():
    with pytest.raises(ValidationError, match="Unknown scope") as caught:
        ScopeRegistry.default().get("dermatology")
    assert caught.value.params == {
        "code": "dermatology",
        "known": "cardiology, mammography, hpv_hr",
    }


def test_products_map_to_scopes():
    registry = ScopeRegistry.default()
    assert [s.code for s in registry.for_product("02.1450.102.02")] == ["hpv_hr"]
    assert registry.for_product("99.9999.999.99") == ()


def test_a_new_scope_from_a_toml_settings_file():
    settings = tomllib.loads(
        """
        [[scopes]]
        code = "endocrinology"
        name_pl = "endokrynologia"
        nfz_products = ["02.1030.001.02"]
        referral_required = true
        """
    )
    registry = ScopeRegistry.default().merged(settings["scopes"])
    assert registry.codes() == ("cardiology", "mammography", "hpv_hr", "endocrinology")
    assert registry.get("endocrinology") == Scope(
        code="endocrinology",
        name_pl="endokrynologia",
        nfz_products=("02.1030.001.02",),
        referral_required=True,
    )


def test_a_record_with_an_existing_code_replaces_it():
    registry = ScopeRegistry.default().merged(
        [
            {
                "code": "cardiology",
                "name_pl": "kardiologia",
                "nfz_products": ["02.1000.001.02"],
                "referral_required": True,
            }
        ]
    )
    assert registry.get("cardiology").nfz_products == ("02.1000.001.02",)
    assert len(registry) == 3


def test_default_builds_a_new_registry_each_time():
    assert ScopeRegistry.default() is not ScopeRegistry.default()
    assert ScopeRegistry.default().all() == ScopeRegistry.default().all()


def test_stage_one_records_cannot_be_changed_in_place():
    with pytest.raises(TypeError):
        STAGE_ONE_SCOPES[0]["code"] = "x"  # type: ignore[index]


def test_duplicate_codes_are_rejected():
    with pytest.raises(ValidationError, match="defined twice"):
        ScopeRegistry.from_records(
            [{"code": "abc", "name_pl": "a"}, {"code": "ABC", "name_pl": "b"}]
        )


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ("not a table", "not a table"),
        ({"code": "abc", "name_pl": "a", "colour": "red"}, "unknown fields"),
        ({"name_pl": "a"}, "code must be"),
        ({"code": "1abc", "name_pl": "a"}, "code must be"),
        ({"code": "kardio-logia", "name_pl": "a"}, "code must be"),
        ({"code": "abc"}, "has no name"),
        ({"code": "abc", "name_pl": "  "}, "has no name"),
        ({"code": "abc", "name_pl": "a", "nfz_products": "02.1450.101.02"}, "must be a list"),
        ({"code": "abc", "name_pl": "a", "nfz_products": ["02.1450.101"]}, "not an NFZ product"),
        ({"code": "abc", "name_pl": "a", "nfz_products": [21450]}, "not an NFZ product"),
        ({"code": "abc", "name_pl": "a", "referral_required": "yes"}, "true or false"),
        ({"code": "abc", "name_pl": "a", "screening_programme": 1}, "true or false"),
    ],
)
def test_bad_records_are_rejected(record, fragment):
    with pytest.raises(ValidationError, match=fragment):
        scope_from_record(record)  # type: ignore[arg-type]


def test_product_codes_are_trimmed_and_deduplicated():
    scope = scope_from_record(
        {"code": "abc", "name_pl": "a", "nfz_products": [" 02.1450.101.02", "02.1450.101.02"]}
    )
    assert scope.nfz_products == ("02.1450.101.02",)
