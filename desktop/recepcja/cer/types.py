"""What crosses the CeR gateway, in domain terms.

The rest of the app speaks these frozen dataclasses and enums; only ``recepcja.cer`` knows the
wire names (``PILNY``, ``idHarmonogramu``...). Replacing the contract model with CeZ's official
WSDL therefore changes the wire maps below and ``mapping.py``, never the callers.

No zeep here (nor anything slow to import): the GUI, the services and the sync layer import
these types at start-up.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple, TypeVar

from recepcja.domain.entities import PatientIdentifier
from recepcja.domain.model import DocumentType, ResourceKind, TermKind, Urgency, VisitSource

# ----------------------------------------------------------------------------------------------
# Enums CeR has and the domain does not (yet)


class PlaceState(StrEnum):
    """Life cycle of a place of service (MUŚ) as CeR reports it."""

    REGISTERED = "registered"  # ZAREJESTROWANE
    ACTIVE = "active"  # AKTYWNE


class CerSlotState(StrEnum):
    """A slot's state in CeR (not the local ``SlotState``: CeR has no "blocked")."""

    FREE = "free"  # WOLNY
    BOOKED = "booked"  # ZAREZERWOWANY
    DELETED = "deleted"  # USUNIETY


class NotificationKind(StrEnum):
    """The four notification kinds every facility on CeR must handle (docs/DOMAIN.md)."""

    PORTAL_BOOKING = "portal_booking"  # REZERWACJA_IKP
    PORTAL_CANCEL = "portal_cancel"  # ANULOWANIE_IKP
    OTHER_PROVIDER_BOOKING = "other_provider_booking"  # REZERWACJA_INNY_SWIADCZENIODAWCA
    WAITING_ROOM_BOOKING = "waiting_room_booking"  # REZERWACJA_POCZEKALNIA


# ----------------------------------------------------------------------------------------------
# Our enums <-> the wire enums. Read-only mappings: no module-level mutable state.


E = TypeVar("E", bound=StrEnum)


def _two_way(pairs: Mapping[E, str]) -> tuple[Mapping[E, str], Mapping[str, E]]:
    forward = MappingProxyType(dict(pairs))
    backward = MappingProxyType({wire: ours for ours, wire in pairs.items()})
    return forward, backward


URGENCY_TO_WIRE, URGENCY_FROM_WIRE = _two_way({Urgency.URGENT: "PILNY", Urgency.STABLE: "STABILNY"})
TERM_KIND_TO_WIRE, TERM_KIND_FROM_WIRE = _two_way(
    {
        TermKind.DEFAULT_PROCEDURE: "PROCEDURA_DOMYSLNA",
        TermKind.SPECIFIC_PROCEDURE: "PROCEDURA_KONKRETNA",
        TermKind.CONTINUING_TREATMENT: "KONTYNUACJA_LECZENIA",
    }
)
DOCUMENT_TYPE_TO_WIRE, DOCUMENT_TYPE_FROM_WIRE = _two_way(
    {
        DocumentType.PASSPORT: "PASZPORT",
        DocumentType.ID_CARD: "DOWOD_OSOBISTY",
        DocumentType.OTHER: "INNY",
        DocumentType.NEWBORN: "NOWORODEK",
    }
)
PLACE_STATE_TO_WIRE, PLACE_STATE_FROM_WIRE = _two_way(
    {PlaceState.REGISTERED: "ZAREJESTROWANE", PlaceState.ACTIVE: "AKTYWNE"}
)
RESOURCE_KIND_TO_WIRE, RESOURCE_KIND_FROM_WIRE = _two_way(
    {ResourceKind.DOCTOR: "LEKARZ", ResourceKind.DEVICE: "URZADZENIE", ResourceKind.ROOM: "GABINET"}
)
# Sources only this app knows (CeR never sends them and is never sent them).
LOCAL_VISIT_SOURCES = frozenset({VisitSource.EMERGENCY_IMPORT})
VISIT_SOURCE_TO_WIRE, VISIT_SOURCE_FROM_WIRE = _two_way(
    {
        VisitSource.DESK: "PLACOWKA",
        VisitSource.PORTAL: "IKP",
        VisitSource.OTHER_PROVIDER: "INNY_SWIADCZENIODAWCA",
        VisitSource.WAITING_ROOM: "POCZEKALNIA",
        VisitSource.INITIAL_LOAD: "ZASILENIE_INICJALNE",
    }
)
SLOT_STATE_TO_WIRE, SLOT_STATE_FROM_WIRE = _two_way(
    {
        CerSlotState.FREE: "WOLNY",
        CerSlotState.BOOKED: "ZAREZERWOWANY",
        CerSlotState.DELETED: "USUNIETY",
    }
)
NOTIFICATION_KIND_TO_WIRE, NOTIFICATION_KIND_FROM_WIRE = _two_way(
    {
        NotificationKind.PORTAL_BOOKING: "REZERWACJA_IKP",
        NotificationKind.PORTAL_CANCEL: "ANULOWANIE_IKP",
        NotificationKind.OTHER_PROVIDER_BOOKING: "REZERWACJA_INNY_SWIADCZENIODAWCA",
        NotificationKind.WAITING_ROOM_BOOKING: "REZERWACJA_POCZEKALNIA",
    }
)

# ----------------------------------------------------------------------------------------------
# Values going in


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is calling: the P1 ``kontekstWywolania`` header sent with every request.

    P1 checks it before anything else (a missing provider OID is a ``BrakKontekstu`` fault), so
    it is configuration, set once per gateway, not a per-call argument.
    """

    provider_oid_root: str  # idPodmiotuOidRoot, e.g. "2.16.840.1.113883.3.4424.2.3.1"
    provider_oid_ext: str  # idPodmiotuOidExt: the provider's id under that root
    business_role: str  # rolaBiznesowa: reception staff are "PRACOWNIK_ADMINISTRACYJNY"
    user_id: str  # idUzytkownikaOidExt: who at the desk (audit trail at CeZ)
    place_id: str  # idMiejscaPracyOidExt: the place of service the user works in

    def attributes(self) -> tuple[tuple[str, str], ...]:
        """The header's attributes by their short names (``contract.ContextStyle`` gives them
        P1's ``urn:csioz:p1:kontekst:`` prefix), in the order P1 integrations send them."""
        return (
            ("idPodmiotuOidRoot", self.provider_oid_root),
            ("idPodmiotuOidExt", self.provider_oid_ext),
            ("rolaBiznesowa", self.business_role),
            ("idUzytkownikaOidExt", self.user_id),
            ("idMiejscaPracyOidExt", self.place_id),
        )


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    postal_code: str  # "00-950"
    city: str


@dataclass(frozen=True, slots=True)
class PlaceRegistration:
    """A place of service (MUŚ) by its RPWDL codes: part I (entity, 12 digits), part V
    (enterprise, 2 digits), part VII (organisational unit, 3 digits)."""

    rpwdl_part_i: str
    rpwdl_part_v: str
    rpwdl_part_vii: str
    name: str
    address: Address
    scopes: tuple[str, ...]  # scope codes, e.g. ("kardiologia",)


@dataclass(frozen=True, slots=True)
class MobilePoint:
    """A mobile point of service (e.g. a mammography bus) working at ``address`` from
    ``valid_from`` (until ``valid_to`` when known)."""

    local_id: str
    name: str
    address: Address
    valid_from: dt.date
    valid_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRegistration:
    """A schedule: one resource (doctor, device, room) offering one scope; idempotent in CeR
    by ``local_id`` within the place."""

    local_id: str
    scope_code: str
    resource_kind: ResourceKind
    resource_name: str
    licence_number: str | None = None  # NPWZ, 7 digits, for doctors
    mobile_point_cer_id: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CerPatient:
    """A patient as CeR stores one: identifier, names, phone (E.164), birth date."""

    identifier: PatientIdentifier
    first_name: str
    last_name: str
    phone: str | None = None
    birth_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class InitialVisit:
    """A visit booked before joining CeR, sent in the initial load (``zasilInicjalnie``).
    ``visit_uid`` is our own identifier; the per-item answer carries it back."""

    visit_uid: str
    schedule_cer_id: str
    start: dt.datetime
    end: dt.datetime
    patient: CerPatient
    term_kind: TermKind = TermKind.DEFAULT_PROCEDURE
    urgency: Urgency | None = None
    central_request_id: str | None = None
    referral_id: str | None = None


# ----------------------------------------------------------------------------------------------
# Values coming out


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item of a batch answer: CeR accepts or rejects each item on its own."""

    local_id: str
    accepted: bool
    cer_id: str | None = None
    code: str | None = None  # minor code when rejected, e.g. "...:NakladajaceSieSloty"
    message: str | None = None  # CeR's description (Polish, from CeR)


class PlaceResult(NamedTuple):
    cer_id: str
    state: PlaceState


class WaitingListPlacement(NamedTuple):
    """Where a patient landed on the central waiting list; ``entry_cer_id`` is CeR's id."""

    entry_cer_id: str
    position: int


@dataclass(frozen=True, slots=True)
class CerVisit:
    """A visit as CeR has it. ``version`` and ``changed_at`` order concurrent changes (portal,
    other providers, us), so out-of-order notifications can be resolved."""

    cer_id: str
    visit_uid: str | None  # our identifier when we booked it; None for portal bookings
    schedule_cer_id: str
    slot_cer_id: str
    start: dt.datetime
    end: dt.datetime
    patient: CerPatient
    urgency: Urgency | None
    central_request_id: str | None
    referral_id: str | None
    source: VisitSource
    cancelled: bool
    version: int
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CerSlot:
    """A published term as CeR has it, with the visits on it (normally none or one; more is
    exactly the overlap the FAQ complains about, so it is kept, not collapsed)."""

    cer_id: str
    local_id: str | None
    schedule_cer_id: str
    start: dt.datetime
    end: dt.datetime
    term_kind: TermKind
    state: CerSlotState
    visits: tuple[CerVisit, ...] = ()


@dataclass(frozen=True, slots=True)
class CerNotification:
    """A change CeR tells us about (pushed to our endpoint or pulled by cursor)."""

    id: str
    kind: NotificationKind
    at: dt.datetime
    place_cer_id: str
    visit: CerVisit


# ----------------------------------------------------------------------------------------------
# Gateway configuration


PasswordProvider = Callable[[], "str | None"]

URL_ENVIRONMENT_VARIABLE = "RECEPCJA_CER_URL"


@dataclass(frozen=True, slots=True)
class SigningConfig:
    """WS-Security signing with the provider's certificate (PEM key + certificate).

    The key password is asked for through ``password_provider`` (normally a keyring lookup the
    caller wires in), at the first signed call, never stored in settings.

    ``sign_context_header``: the ``kontekstWywolania`` header (who calls, in which role, for
    which place) is signed too, as P1 signs it, so nobody on the way can change whose call it
    is; P1's context schema (``kontekst.xsd``) allows its ``wsu:Id``. On by default.
    """

    key_file: str
    cert_file: str
    password_provider: PasswordProvider | None = None
    timestamp_ttl_seconds: int = 300
    sign_context_header: bool = True


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything a gateway needs; no secrets in it, only where to get them.

    ``verify`` is True (system CA store via requests/certifi) or a CA bundle path; False exists
    for tests only and must never come from user settings. ``client_cert`` is the
    (certificate, key) pair for mutual TLS; the key file must not be password-protected (the
    TLS stack would prompt on a terminal) — the gateway refuses such a key.
    """

    url: str
    context: CallContext
    connect_timeout: float = 5.0
    read_timeout: float = 20.0  # per read: a trickling server would restart it forever...
    call_deadline: float = 60.0  # ... so every call as a whole ends within this (cer.deadline)
    verify: bool | str = True
    client_cert: tuple[str, str] | None = None
    signing: SigningConfig | None = None
    batch_size: int = 1000  # items per batch call; the XSD allows 5000, smaller fails cheaper
    validate_requests: bool = True  # against cer.xsd before sending: a bug never leaves the PC
    validate_responses: bool = False  # contract tests turn it on

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0 or self.call_deadline <= 0:
            raise ValueError("CeR timeouts must be positive: a call without one can hang forever")
        if not 1 <= self.batch_size <= 5000:
            raise ValueError("batch_size must be between 1 and 5000 (the XSD limit)")


def resolve_url(settings_url: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The CeR endpoint: ``RECEPCJA_CER_URL`` overrides the settings (admins and tests point
    the app elsewhere without editing settings)."""
    env = os.environ if environ is None else environ
    return env.get(URL_ENVIRONMENT_VARIABLE) or settings_url
