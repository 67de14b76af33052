"""The workstation identity: a short, stable, validated prefix in every new local patient ID."""

from __future__ import annotations

import re

import pytest

from recepcja.domain.errors import ValidationError
from recepcja.domain.workstation import (
    Workstation,
    canonical_local_id,
    derive_prefix,
    format_local_id,
    parse_local_id,
    validate_prefix,
)


def test_a_derived_prefix_is_short_stable_readable_and_differs_between_desks():
    names = [f"recepcja-{n}" for n in range(1, 6)] + ["DESKTOP-7F3K2QP", "gabinet", "pc"]
    prefixes = [derive_prefix(name) for name in names]
    assert len(set(prefixes)) == len(prefixes)
    for prefix in prefixes:
        assert re.fullmatch(r"[A-Z][A-Z2-9]{2}", prefix) and not set(prefix) & set("ILOU01")
        assert validate_prefix(prefix) == prefix
    assert derive_prefix("Recepcja-1 ") == derive_prefix("recepcja-1")  # stable for a name


def test_an_explicit_prefix_is_validated_and_wins():
    assert Workstation.named("recepcja-1", "r1") == Workstation("recepcja-1", "R1")
    assert Workstation.named("recepcja-1").prefix == derive_prefix("recepcja-1")
    for bad in ("1R", "R", "REC12", "R-1", "Ł1"):
        with pytest.raises(ValidationError, match="2 to 4"):
            validate_prefix(bad)
    with pytest.raises(ValidationError):
        Workstation.named("  ")


def test_local_ids_with_and_without_a_workstation():
    assert Workstation("a", "R1").local_id(42) == "L-R1-000042"
    assert format_local_id(42) == "L-000042"  # before workstations: still valid
    assert canonical_local_id("l-r1-42") == "L-R1-000042"
    assert canonical_local_id("L-42") == canonical_local_id("l42") == "L-000042"
    assert canonical_local_id("  x 9 ") == "X 9"


@pytest.mark.parametrize(("text", "prefix", "digits"), [
    ("L-R1-42", "R1", "42"), ("l-abc-", "ABC", ""), ("L-K7Q", "K7Q", ""),
    ("L-000042", None, "000042"), ("L42", None, "42"), ("l 4 2", None, "42"), ("L-", None, ""),
])
def test_the_desk_types_local_ids_in_many_ways(text, prefix, digits):
    query = parse_local_id(text)
    assert query is not None and (query.prefix, query.digits) == (prefix, digits)


@pytest.mark.parametrize("text", ["Lis", "Lech", "Lisek", "L", "Kowalski", "L-R1-x", "600"])
def test_surnames_and_other_text_are_not_local_ids(text):
    assert parse_local_id(text) is None
