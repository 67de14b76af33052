"""Small records the repositories return where ``domain.model`` has no type (yet): the
practice's setup (provider, places, mobile points, resources, schedules) and the outbox's
states and operations. The records of the desk's daily work (visits, day sheets, the outbox's
rows, notifications, outages, the audit log) are in ``working_records.py``: the window reads
with these before its first paint, and not with those (each dataclass made at import costs
the cold start ~4 M instructions on Python 3.11).

They mirror rows, carry aware datetimes and plain Python values, and never a connection: a
record can cross threads (the sync thread hands them to the UI) safely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from recepcja.domain.model import ResourceKind


class Booked(NamedTuple):
    """What ``VisitRepo.book`` stored: the visit and its ``book`` row in the outbox."""

    visit_id: int
    outbox_id: int


class OutboxState(StrEnum):
    QUEUED = "queued"  # waiting to be sent
    SENDING = "sending"  # claimed by a live sender; if it dies here, the outcome is unknown
    SENT = "sent"  # written by older versions only (CeR answered, not applied): recovered
    DONE = "done"  # finished (terminal)
    FAILED = "failed"  # temporary failure; retried at next_attempt_at
    REJECTED = "rejected"  # CeR refused it (terminal; shown to a human)
    AMBIGUOUS = "ambiguous"  # may or may not have reached CeR: read back before any resend


OUTBOX_TERMINAL = frozenset({OutboxState.DONE, OutboxState.REJECTED})


class OutboxOp(StrEnum):
    """Operations the outbox carries (free text in the table, so new ones need no migration)."""

    BOOK = "book"
    CANCEL = "cancel"
    CHANGE = "change"
    WAITING_LIST = "waiting_list"
    PUBLISH_SLOTS = "publish_slots"
    WITHDRAW_SLOTS = "withdraw_slots"
    # P1's e-referral service (sync.replay_referrals): take into realisation, give back, realise,
    # and P1's visit date following a moved visit
    REFERRAL_TAKE = "referral_take"
    REFERRAL_GIVE_BACK = "referral_give_back"
    REFERRAL_REALISE = "referral_realise"
    REFERRAL_DATE = "referral_date"


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    nip: str | None = None
    regon: str | None = None
    oid_root: str | None = None
    oid_extension: str | None = None


@dataclass(slots=True)
class Place:
    """A place of service (MUŚ) as registered in RPWDL."""

    name: str
    rpwdl_codes: dict[str, str] = field(default_factory=dict)
    address: str | None = None
    scopes: list[str] = field(default_factory=list)
    cer_id: str | None = None
    cer_registered_at: dt.datetime | None = None
    cer_active_at: dt.datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class MobilePoint:
    place_id: int
    name: str
    code: str | None = None
    address: str | None = None
    cer_id: str | None = None
    cer_imported_at: dt.datetime | None = None
    active: bool = True
    id: int | None = None


@dataclass(slots=True)
class Resource:
    kind: ResourceKind
    name: str
    licence_number: str | None = None  # NPWZ for a doctor
    active: bool = True
    id: int | None = None


@dataclass(slots=True)
class Schedule:
    resource_id: int
    place_id: int
    scope_code: str
    name: str = ""
    template: list[dict[str, Any]] = field(default_factory=list)  # weekly rules as JSON
    mobile_point_id: int | None = None
    cer_id: str | None = None
    cer_created_at: dt.datetime | None = None
    active: bool = True
    id: int | None = None
