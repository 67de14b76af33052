"""What CeR's contract allows in the values the desk types, checked before anything is saved.

A value CeR's schema refuses (a referral id of 300 characters, a reason of 2,000) would be
saved, reported as queued, and refused by CeR only later — as "our request breaks the contract",
which no retry can fix. So every typed value that goes to CeR is checked against the contract's
limits first, with one clear line and nothing written.

The limits are the facets of the contract model's XSD (``resources/cer/cer.xsd``). The domain
reads no files, so they are written out here, in ONE table; ``tests/unit/domain/
test_contract_limits.py`` reads the XSD and fails when the table and the schema disagree
(replacing the model by CeZ's official WSDL/XSD changes the table, and the test says where).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from recepcja.domain.errors import N_, ValidationError


@dataclass(frozen=True, slots=True)
class Limit:
    """The facets of one XSD simple type: lengths and the pattern (XSD patterns match the whole
    value, as ``re.fullmatch`` does)."""

    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """A value we send: where it goes in the contract (``element/child`` or ``Type/child``),
    its limit, and its name as the desk reads it (``N_``-marked)."""

    path: str
    limit: Limit
    label: str


IDENTIFIER = Limit(1, 64, r"[A-Za-z0-9_.:\-]+")  # cer:Identyfikator
TEXT = Limit(0, 500)  # cer:Tekst

FIELDS = MappingProxyType({
    "visit_uid": Field("zarezerwujTermin/identyfikatorWizyty", IDENTIFIER,
                       N_("visit identifier")),
    "central_request_id": Field("zarezerwujTermin/idZgloszeniaCentralnego", IDENTIFIER,
                                N_("central request id")),
    "referral_id": Field("zarezerwujTermin/idSkierowania", IDENTIFIER, N_("referral id")),
    "cancel_reason": Field("anulujWizyte/powod", TEXT, N_("reason for cancelling")),
    "change_reason": Field("zmienTermin/powod", TEXT, N_("reason for the change")),
    "pesel": Field("Pacjent/pesel", Limit(pattern=r"[0-9]{11}"), N_("PESEL")),
    "document_number": Field("Pacjent/numerDokumentu", Limit(3, 40), N_("document number")),
    "first_name": Field("Pacjent/imie", TEXT, N_("first name")),
    "last_name": Field("Pacjent/nazwisko", TEXT, N_("last name")),
    "phone": Field("Pacjent/telefon", Limit(pattern=r"\+[0-9]{7,15}"), N_("phone number")),
})


def check(name: str, value: str | None) -> str | None:
    """``value`` unchanged when the contract allows it for the field ``name`` (None and ""
    pass: every such field is optional or checked as required elsewhere); otherwise a
    ``ValidationError`` naming the field and the limit."""
    if value is None or value == "":
        return value
    field = FIELDS[name]
    limit = field.limit
    if limit.max_length is not None and len(value) > limit.max_length:
        raise ValidationError(
            N_("The {field} is too long for CeR: at most {max} characters (entered {length})."),
            field=field.label, max=limit.max_length, length=len(value),
        )
    if len(value) < limit.min_length:
        raise ValidationError(N_("The {field} is too short for CeR: at least {min} characters."),
                              field=field.label, min=limit.min_length)
    if limit.pattern is not None and not re.fullmatch(limit.pattern, value):
        if limit is IDENTIFIER:
            raise ValidationError(
                N_("The {field} may hold only Latin letters, digits and the characters "
                   "_ . : - (CeR's contract)."), field=field.label)
        raise ValidationError(N_("The {field} does not have the form CeR accepts."),
                              field=field.label)
    return value
