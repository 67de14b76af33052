"""The wire maps are complete, two-way and agree with the contract's XSD enumerations."""

from __future__ import annotations

import pytest
from lxml import etree

from recepcja.cer import types as t
from recepcja.cer.gateway import describe
from recepcja.domain.model import DocumentType, TermKind, Urgency
from recepcja.resources import resource

XS = "http://www.w3.org/2001/XMLSchema"

MAPS = [
    (Urgency, t.URGENCY_TO_WIRE, t.URGENCY_FROM_WIRE, "KategoriaMedyczna"),
    (TermKind, t.TERM_KIND_TO_WIRE, t.TERM_KIND_FROM_WIRE, "RodzajTerminu"),
    (DocumentType, t.DOCUMENT_TYPE_TO_WIRE, t.DOCUMENT_TYPE_FROM_WIRE, "RodzajDokumentu"),
    (t.PlaceState, t.PLACE_STATE_TO_WIRE, t.PLACE_STATE_FROM_WIRE, "StanMus"),
    (t.ResourceKind, t.RESOURCE_KIND_TO_WIRE, t.RESOURCE_KIND_FROM_WIRE, "TypZasobu"),
    (t.VisitSource, t.VISIT_SOURCE_TO_WIRE, t.VISIT_SOURCE_FROM_WIRE, "ZrodloWizyty"),
    (t.CerSlotState, t.SLOT_STATE_TO_WIRE, t.SLOT_STATE_FROM_WIRE, "StanSlotu"),
    (
        t.NotificationKind,
        t.NOTIFICATION_KIND_TO_WIRE,
        t.NOTIFICATION_KIND_FROM_WIRE,
        "RodzajNotyfikacji",
    ),
]


def xsd_enumeration(name: str) -> set[str]:
    tree = etree.parse(str(resource("cer", "cer.xsd")))
    node = tree.find(f"{{{XS}}}simpleType[@name='{name}']")
    return {e.get("value") for e in node.iter(f"{{{XS}}}enumeration")}


@pytest.mark.parametrize(("enum", "out", "back", "xsd_name"), MAPS, ids=[m[3] for m in MAPS])
def test_map_is_complete_and_two_way(enum, out, back, xsd_name):
    members = set(enum) - t.LOCAL_VISIT_SOURCES  # the shared vocabulary has local-only words
    assert set(out) == members
    assert set(out.values()) == xsd_enumeration(xsd_name)
    assert all(back[out[member]] is member for member in members)


def test_maps_are_read_only():
    with pytest.raises(TypeError):
        t.URGENCY_TO_WIRE[Urgency.URGENT] = "X"  # type: ignore[index]


def test_urgent_is_pilny():
    assert t.URGENCY_TO_WIRE[Urgency.URGENT] == "PILNY"
    assert t.URGENCY_FROM_WIRE["STABILNY"] is Urgency.STABLE


def test_env_overrides_the_settings_url():
    assert t.resolve_url("https://a/cer", {}) == "https://a/cer"
    assert t.resolve_url("https://a/cer", {"RECEPCJA_CER_URL": "http://127.0.0.1:8700/cer"}) == (
        "http://127.0.0.1:8700/cer"
    )
    assert t.resolve_url(None, {}) is None


def test_describe_summarises_batches():
    results = [
        t.ItemResult("1", True, "C1"),
        t.ItemResult("2", False, code="urn:csioz:p1:cer:kod:minor:NakladajaceSieSloty"),
        t.ItemResult("3", False, code="urn:csioz:p1:cer:kod:minor:NakladajaceSieSloty"),
    ]
    assert describe(results) == "accepted 1, rejected 2 (NakladajaceSieSloty ×2)"


def test_the_shared_vocabulary_has_one_home():
    """The store, the gateway and the domain speak the same enums: nothing converts them."""
    from recepcja.domain import model
    from recepcja.store import records, working_records

    assert t.VisitSource is model.VisitSource is working_records.VisitSource
    assert t.ResourceKind is model.ResourceKind is records.ResourceKind
    assert model.VisitSource.EMERGENCY_IMPORT in t.LOCAL_VISIT_SOURCES
