"""Scopes of services CeR covers, as data.

Stage I of CeR covers three scopes (cardiology in AOS, mammography, HPV HR cervical screening) and
CeR will add more. A new scope must not need a new release: the built-in scopes are plain records
below, and ``ScopeRegistry.from_records`` / ``ScopeRegistry.merged`` build a registry from records
that come from the settings file (a TOML array of tables reads straight into such records).

Records are checked strictly (unknown fields, malformed NFZ product codes, duplicate codes are
errors), because a typo in a settings file should stop the set-up, not silently lose a scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import Scope, TermKind

# NFZ product codes ("kod produktu kontraktowego"), e.g. 02.1450.101.02.
NFZ_PRODUCT_PATTERN = re.compile(r"[0-9]{2}\.[0-9]{4}\.[0-9]{3}\.[0-9]{2}")
# Scope codes are identifiers used in settings, the CLI and the database: short and stable.
SCOPE_CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")

_FIELDS = frozenset(
    {"code", "name_pl", "nfz_products", "referral_required", "screening_programme",
     "mobile_points_allowed", "referral_specialties"}
)
# The target specialty of an e-referral: a clinic's specialty code (RPWDL part VIII), 4 digits.
SPECIALTY_PATTERN = re.compile(r"[0-9]{4}")
_FLAGS = ("referral_required", "screening_programme", "mobile_points_allowed")

# Stage I scopes (docs/DOMAIN.md, the CeR guide for providers, May 2026).
# - Cardiology is an AOS scope: a referral is required, to a cardiology clinic (RPWDL part VIII
#   code 1100, poradnia kardiologiczna). Its NFZ product codes are not listed in the guide; a
#   practice can add them (and more target specialties) from its contract through the settings.
# - Mammography: breast cancer screening programme; mobile points (buses) are allowed.
# - HPV HR: cervical cancer screening programme, basic stage (classic cytology is being phased
#   out). The guide names POZ midwife products and AOS products; the AOS sampling products are
#   linked with 02.1450.001.02, listed here as well so a contract naming it maps to this scope.
STAGE_ONE_SCOPES: tuple[Mapping[str, object], ...] = (
    MappingProxyType({
        "code": "cardiology",
        "name_pl": "kardiologia",
        "nfz_products": (),
        "referral_required": True,
        "referral_specialties": ("1100",),
    }),
    MappingProxyType({
        "code": "mammography",
        "name_pl": "mammografia",
        "nfz_products": (),
        "screening_programme": True,
        "mobile_points_allowed": True,
    }),
    MappingProxyType({
        "code": "hpv_hr",
        "name_pl": "cytologia/HPV HR",
        "nfz_products": (
            "01.0034.101.01",  # POZ midwife: classic cytology path
            "01.0034.102.01",  # POZ midwife: HPV HR test with LBC triage
            "02.1450.101.02",  # AOS: sampling for classic cytology (linked with 02.1450.001.02)
            "02.1450.102.02",  # AOS: sampling for HPV with LBC (linked with 02.1450.001.02)
            "02.1450.001.02",  # AOS: the linked basic-stage product
        ),
        "screening_programme": True,
        "mobile_points_allowed": True,
    }),
)


# How the desk names a term's kind (CeR's "rodzaj terminu") in the views and on printouts. The
# default procedure of a scope with a referral (AOS) is the first visit ("pierwszorazowa"); of a
# screening programme, the screening test itself.
_TERM_KIND_WORDS: Mapping[str, str] = MappingProxyType({
    TermKind.DEFAULT_PROCEDURE: N_("first visit"),
    TermKind.CONTINUING_TREATMENT: N_("continuation"),
    TermKind.SPECIFIC_PROCEDURE: N_("procedure"),
})


def term_kind_word(kind: str | None, scope: Scope | None = None) -> str:
    """The desk's word (an English msgid: translate it) for a term of ``kind`` in ``scope``;
    "" for no or an unknown kind."""
    if kind == TermKind.DEFAULT_PROCEDURE and scope is not None and scope.screening_programme:
        return N_("screening test")
    return _TERM_KIND_WORDS.get(kind or "", "")


class ScopeRegistry:
    """The scopes a practice works with, by code. Immutable once built; build a new one to change
    it (``merged``)."""

    __slots__ = ("_scopes",)

    def __init__(self, scopes: Iterable[Scope]) -> None:
        by_code: dict[str, Scope] = {}
        for scope in scopes:
            if scope.code in by_code:
                raise ValidationError(
                    N_("Scope \"{code}\" is defined twice."), code=scope.code
                )
            by_code[scope.code] = scope
        self._scopes: Mapping[str, Scope] = MappingProxyType(by_code)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]]) -> ScopeRegistry:
        """A registry from plain records (dicts, TOML tables), each checked."""
        return cls(scope_from_record(record, index) for index, record in enumerate(records, 1))

    @classmethod
    def default(cls) -> ScopeRegistry:
        """The stage I scopes (a new registry on every call: there is no shared instance)."""
        return cls.from_records(STAGE_ONE_SCOPES)

    def merged(self, records: Iterable[Mapping[str, object]]) -> ScopeRegistry:
        """A new registry: this one plus ``records``; a record with an existing code replaces that
        scope (e.g. to add the cardiology product codes from the practice's contract)."""
        added = ScopeRegistry.from_records(records)
        combined = dict(self._scopes)
        combined.update((scope.code, scope) for scope in added.all())
        return ScopeRegistry(combined.values())

    def get(self, code: str) -> Scope:
        """The scope with this code (case and surrounding spaces ignored)."""
        key = (code or "").strip().lower()
        try:
            return self._scopes[key]
        except KeyError:
            raise ValidationError(
                N_("Unknown scope \"{code}\". Known scopes: {known}."),
                code=code,
                known=", ".join(self.codes()),
            ) from None

    def all(self) -> tuple[Scope, ...]:
        """Every scope, in the order they were defined."""
        return tuple(self._scopes.values())

    def codes(self) -> tuple[str, ...]:
        return tuple(self._scopes)

    def for_product(self, product: str) -> tuple[Scope, ...]:
        """Scopes an NFZ contract product code belongs to (usually one, possibly none)."""
        wanted = product.strip()
        return tuple(scope for scope in self._scopes.values() if wanted in scope.nfz_products)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().lower() in self._scopes

    def __iter__(self) -> Iterator[Scope]:
        return iter(self._scopes.values())

    def __len__(self) -> int:
        return len(self._scopes)

    def __repr__(self) -> str:
        return f"ScopeRegistry({', '.join(self._scopes)})"


def scope_from_record(record: Mapping[str, object], index: int = 1) -> Scope:
    """One ``Scope`` from a record; ``index`` (1-based) names the record in error messages."""
    if not isinstance(record, Mapping):
        raise ValidationError(
            N_("Scope definition no. {index} is not a table of fields."), index=index
        )
    unknown = sorted(set(record) - _FIELDS)
    if unknown:
        raise ValidationError(
            N_("Scope definition no. {index} has unknown fields: {fields}. "
               "Known fields: {known}."),
            index=index,
            fields=", ".join(map(str, unknown)),
            known=", ".join(sorted(_FIELDS)),
        )
    code = record.get("code")
    if not isinstance(code, str) or not SCOPE_CODE_PATTERN.fullmatch(code.strip().lower()):
        raise ValidationError(
            N_("Scope definition no. {index}: the code must be 2 to 40 characters: Latin "
               "lowercase letters, digits and _, starting with a letter (found: {code})."),
            index=index,
            code=code,
        )
    code = code.strip().lower()
    name = record.get("name_pl")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(
            N_("Scope \"{code}\" has no name (field name_pl)."), code=code
        )
    return Scope(
        code=code,
        name_pl=name.strip(),
        nfz_products=_products(record.get("nfz_products", ()), code),
        referral_specialties=_specialties(record.get("referral_specialties", ()), code),
        **{flag: _flag(record, flag, code) for flag in _FLAGS},
    )


def _specialties(value: object, code: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable) or not all(
            isinstance(item, str) and SPECIALTY_PATTERN.fullmatch(item.strip())
            for item in value):
        raise ValidationError(
            N_("Scope \"{code}\": referral_specialties must be a list of 4-digit specialty "
               "codes (e.g. \"1100\")."), code=code)
    return tuple(dict.fromkeys(item.strip() for item in value))


def _products(value: object, code: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            N_("Scope \"{code}\": nfz_products must be a list of product codes."), code=code
        )
    products: list[str] = []
    for product in value:
        text = product.strip() if isinstance(product, str) else product
        if not isinstance(text, str) or not NFZ_PRODUCT_PATTERN.fullmatch(text):
            raise ValidationError(
                N_("Scope \"{code}\": \"{product}\" is not an NFZ product code "
                   "(expected the form 02.1450.101.02)."),
                code=code,
                product=product,
            )
        if text not in products:
            products.append(text)
    return tuple(products)


def _flag(record: Mapping[str, object], name: str, code: str) -> bool:
    value = record.get(name, False)
    if not isinstance(value, bool):
        raise ValidationError(
            N_("Scope \"{code}\": {field} must be true or false (found: {value})."),
            code=code,
            field=name,
            value=value,
        )
    return value
