"""The vocabulary shared by every layer: the practice's clock, the enums and the scope of
services. Pure Python: no I/O, no Qt, no zeep. The domain's objects made of it (patients,
slots, visits, weekly rules...) are in ``entities.py``: the window's first paint needs this
module, not those (each dataclass made at import costs the cold start ~3 M instructions on
Python 3.11).

Times are timezone-aware ``datetime`` objects. The practice's wall clock is Europe/Warsaw
(``WARSAW``); storage and the wire use the same instant, so conversions never guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


class Urgency(StrEnum):
    """Medical category of a central request ("kategoria medyczna")."""

    URGENT = "urgent"  # pilny
    STABLE = "stable"  # stabilny


class TermKind(StrEnum):
    """Kind of a published term, as CeR's ``zapiszSloty`` carries it per slot."""

    DEFAULT_PROCEDURE = "default_procedure"  # termin na procedurę domyślną
    SPECIFIC_PROCEDURE = "specific_procedure"  # termin na konkretną procedurę
    CONTINUING_TREATMENT = "continuing_treatment"  # termin na kontynuację leczenia


class ResourceKind(StrEnum):
    """What a schedule books: a doctor, a device (e.g. a mammograph) or a room."""

    DOCTOR = "doctor"  # LEKARZ
    DEVICE = "device"  # URZADZENIE
    ROOM = "room"  # GABINET


class VisitSource(StrEnum):
    """Who made a visit: decides who is authoritative when local data and CeR disagree."""

    DESK = "desk"  # PLACOWKA: this practice
    PORTAL = "portal"  # IKP / mojeIKP, learnt from a notification
    OTHER_PROVIDER = "other_provider"  # INNY_SWIADCZENIODAWCA
    WAITING_ROOM = "waiting_room"  # POCZEKALNIA
    INITIAL_LOAD = "initial_load"  # ZASILENIE_INICJALNE: booked before joining CeR
    # Local only (CeR has no such source): from an outage spreadsheet written elsewhere.
    EMERGENCY_IMPORT = "emergency_import"


class SlotState(StrEnum):
    FREE = "free"
    BOOKED = "booked"
    BLOCKED = "blocked"  # withdrawn locally (absence, day off) — not bookable


class VisitState(StrEnum):
    PENDING = "pending"  # stored locally, CeR has not confirmed it (yet)
    CONFIRMED = "confirmed"  # CeR has the visit
    CANCELLED = "cancelled"
    WAITING_LIST = "waiting_list"  # replay ended on the central waiting list


class Attendance(StrEnum):
    EXPECTED = "expected"
    ARRIVED = "arrived"
    NO_SHOW = "no_show"


class DocumentType(StrEnum):
    """Identity documents CeR accepts for patients without a PESEL."""

    PASSPORT = "passport"
    ID_CARD = "id_card"  # EU/EEA identity card
    OTHER = "other"  # other document confirming identity
    NEWBORN = "newborn"  # newborn without PESEL: parent's PESEL + birth order, e.g. "44051401359/1"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


@dataclass(frozen=True, slots=True)
class Scope:
    """A scope of services CeR covers. Scopes are data (see ``domain.scopes``), not code."""

    code: str
    name_pl: str
    nfz_products: tuple[str, ...] = ()
    referral_required: bool = False
    screening_programme: bool = False
    mobile_points_allowed: bool = False
    # Target specialties of an e-referral this scope accepts (RPWDL part VIII codes, e.g. "1100"
    # poradnia kardiologiczna); see domain.referral.
    referral_specialties: tuple[str, ...] = ()
