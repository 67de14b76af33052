"""Helpers of the gateway contract tests: a gateway for a running simulator, and onboarding a
place of service through the gateway itself (so onboarding is part of what is tested)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import (
    Address,
    CallContext,
    GatewayConfig,
    PlaceRegistration,
    ResourceKind,
    ScheduleRegistration,
)
from recepcja.domain.entities import SlotSpec
from recepcja.domain.model import WARSAW, TermKind

PESEL = "44051401359"
OTHER_PESEL = "02070803628"
SCOPE = "kardiologia"
CONTEXT = CallContext(
    provider_oid_root="2.16.840.1.113883.3.4424.2.3.1",
    provider_oid_ext="000000012345",  # the OID soap_raw registers places under
    business_role="PRACOWNIK_ADMINISTRACYJNY",
    user_id="rejestracja-1",
    place_id="MUS-1",
)
PLACE = PlaceRegistration(
    rpwdl_part_i="000000012345",
    rpwdl_part_v="01",
    rpwdl_part_vii="001",
    name="Poradnia kardiologiczna",
    address=Address("ul. Długa 1", "00-950", "Warszawa"),
    scopes=(SCOPE,),
)


def make_gateway(soap_url: str, **overrides) -> CerGateway:
    options = {
        "url": soap_url,
        "context": CONTEXT,
        "validate_responses": True,
        "connect_timeout": 2.0,
        "read_timeout": 10.0,
    }
    options.update(overrides)
    return CerGateway(GatewayConfig(**options))


def day_slots(
    first_day: dt.date, days: int, per_day: int, prefix: str = "L"
) -> list[tuple[str, SlotSpec]]:
    """``per_day`` 15-minute slots from 08:00 Warsaw time on each of ``days`` days."""
    items = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for index in range(per_day):
            start = dt.datetime.combine(day, dt.time(8, 0), WARSAW) + dt.timedelta(
                minutes=15 * index
            )
            items.append(
                (
                    f"{prefix}-{day:%Y%m%d}-{index}",
                    SlotSpec(start, start + dt.timedelta(minutes=15), TermKind.DEFAULT_PROCEDURE),
                )
            )
    return items


@dataclass
class Onboarded:
    place_id: str
    schedule_id: str
    slots: dict[str, str] = field(default_factory=dict)  # local id -> CeR slot id

    def free_slot_ids(self) -> list[str]:
        return list(self.slots.values())


def onboard(
    gateway: CerGateway, days: int = 100, per_day: int = 4, local_schedule: str = "sched-1"
) -> Onboarded:
    """Register, create a schedule, send an empty initial load, publish slots from tomorrow
    for ``days`` days (≥ 3 months by default), activate."""
    place_id, _state = gateway.register_place(PLACE)
    schedule_id = gateway.save_schedule(
        place_id,
        ScheduleRegistration(
            local_schedule, SCOPE, ResourceKind.DOCTOR, "dr Anna Nowak", "1234567"
        ),
    )
    gateway.initial_load(place_id, [])
    tomorrow = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
    results = gateway.save_slots(schedule_id, day_slots(tomorrow, days, per_day))
    assert all(r.accepted for r in results), [r for r in results if not r.accepted][:3]
    gateway.activate_place(place_id)
    return Onboarded(place_id, schedule_id, {r.local_id: r.cer_id for r in results})
