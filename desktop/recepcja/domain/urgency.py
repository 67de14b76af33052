"""Medical category (urgent / stable) and the order in which waiting patients get terms.

CeR assigns terms by medical category first and by the date of the central request second
(art. 23d ust. 1, docs/DOMAIN.md): an urgent patient who asked yesterday precedes a stable patient
who asked a month ago. Two requests filed at the same instant still need an order that is the same
on every run and on every machine (the desk, the replay after an outage, the simulator), so the
request id breaks the tie; without it, a re-sort could swap two patients between a phone call and
the booking.

The KSO/KSK fast paths (oncology and cardiology, ordered by criteria from the DiLO card or the
referral) are not modelled here: they need data this layer does not have yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from recepcja.domain.entities import CentralRequest
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import Urgency

# Lower goes first.
URGENCY_RANK: Mapping[Urgency, int] = MappingProxyType({Urgency.URGENT: 0, Urgency.STABLE: 1})

# Words the desk, the CLI and imported spreadsheets use, English and Polish (both grammatical
# genders: "przypadek pilny", "kategoria pilna").
_URGENCY_WORDS: Mapping[str, Urgency] = MappingProxyType({
    "urgent": Urgency.URGENT,
    "pilny": Urgency.URGENT,
    "pilna": Urgency.URGENT,
    "stable": Urgency.STABLE,
    "stabilny": Urgency.STABLE,
    "stabilna": Urgency.STABLE,
})


def parse_urgency(value: Urgency | str) -> Urgency:
    """An ``Urgency`` from text such as ``"urgent"``, ``"Pilny"``, ``" stabilny "``."""
    if isinstance(value, Urgency):
        return value
    key = (value or "").strip().casefold()
    try:
        return _URGENCY_WORDS[key]
    except KeyError:
        raise ValidationError(
            N_("Unknown medical category \"{value}\". Enter urgent (pilny) or stable (stabilny)."),
            value=value,
        ) from None


def waiting_order_key(request: CentralRequest) -> tuple[int, dt.datetime, str]:
    """Sort key: urgency, then the request's date (older first), then the request id.

    ``requested_at`` must be timezone-aware: a naive time would be read in the machine's zone,
    and two machines would order the same patients differently.
    """
    requested_at = request.requested_at
    if requested_at.tzinfo is None or requested_at.utcoffset() is None:
        raise ValueError(f"central request {request.request_id}: requested_at has no time zone")
    return (
        URGENCY_RANK[parse_urgency(request.urgency)],
        requested_at.astimezone(dt.UTC),
        request.request_id,
    )


def sort_waiting(requests: Iterable[CentralRequest]) -> list[CentralRequest]:
    """Waiting patients' central requests in the order they get terms (first = next)."""
    return sorted(requests, key=waiting_order_key)
