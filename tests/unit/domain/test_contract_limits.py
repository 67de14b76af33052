"""The domain's table of CeR's limits (``domain.contract``) says what the contract's XSD says
(read from the XSD itself), and the desk's own stricter rules stay inside it."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from recepcja.domain.contract import FIELDS, IDENTIFIER, TEXT, Limit, check
from recepcja.domain.errors import ValidationError
from recepcja.resources import resource

XS = "http://www.w3.org/2001/XMLSchema"


@pytest.fixture(scope="module")
def xsd() -> etree._Element:
    return etree.parse(str(resource("cer", "cer.xsd"))).getroot()


def _facets(restriction: etree._Element) -> Limit:
    def value(name: str) -> str | None:
        node = restriction.find(f"{{{XS}}}{name}")
        return None if node is None else node.get("value")

    length = value("length")
    return Limit(int(value("minLength") or length or 0),
                 int(value("maxLength") or length) if (value("maxLength") or length) else None,
                 value("pattern"))


def _limit_of(xsd: etree._Element, path: str) -> Limit:
    """The facets of the simple type at ``element/child`` or ``ComplexType/child``."""
    owner, child = path.split("/")
    parent = (xsd.find(f"{{{XS}}}element[@name='{owner}']")
              if owner[0].islower() else xsd.find(f"{{{XS}}}complexType[@name='{owner}']"))
    assert parent is not None, owner
    [element] = [e for e in parent.iter(f"{{{XS}}}element") if e.get("name") == child]
    inline = element.find(f"{{{XS}}}simpleType/{{{XS}}}restriction")
    if inline is not None:
        return _facets(inline)
    type_name = element.get("type").split(":")[-1]
    named = xsd.find(f"{{{XS}}}simpleType[@name='{type_name}']/{{{XS}}}restriction")
    assert named is not None, type_name
    return _facets(named)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_limit_is_the_xsd_facet(xsd, name):
    assert _limit_of(xsd, FIELDS[name].path) == FIELDS[name].limit


def test_the_named_types_are_the_xsd_types(xsd):
    for limit, type_name in ((IDENTIFIER, "Identyfikator"), (TEXT, "Tekst")):
        restriction = xsd.find(f"{{{XS}}}simpleType[@name='{type_name}']/{{{XS}}}restriction")
        assert _facets(restriction) == limit


def test_stricter_desk_rules_stay_inside_the_contract():
    from recepcja.services.booking import MAX_REASON
    from recepcja.services.patients import MAX_NAME

    assert MAX_NAME <= FIELDS["first_name"].limit.max_length
    assert MAX_REASON <= FIELDS["cancel_reason"].limit.max_length


def test_check_refuses_what_the_schema_would_refuse():
    assert check("referral_id", "SKIER-2026/1".replace("/", "-")) == "SKIER-2026-1"
    assert check("referral_id", None) is None
    with pytest.raises(ValidationError, match="64"):
        check("referral_id", "R" * 300)
    with pytest.raises(ValidationError, match="_ . : -"):
        check("central_request_id", "ZGL 12/2026")
    with pytest.raises(ValidationError, match="500"):
        check("cancel_reason", "x" * 501)
    assert check("cancel_reason", "x" * 500)
    with pytest.raises(ValidationError):
        check("phone", "600100200")
    assert re.fullmatch(FIELDS["phone"].limit.pattern, "+48600100200")
