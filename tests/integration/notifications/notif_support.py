"""Helpers of the notification and reconciliation tests: a local store mirroring what the
``onboarded_simulator`` fixture put into CeR, a gateway for it, and a slot-by-slot comparison."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.domain.model import WARSAW
from recepcja.store import Repositories, atomic
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule

CONTEXT = CallContext(
    provider_oid_root="2.16.840.1.113883.3.4424.2.3.1",
    provider_oid_ext="000000012345",
    business_role="PRACOWNIK_ADMINISTRACYJNY",
    user_id="rejestracja-1",
    place_id="MUS-1",
)
FAR = dt.timedelta(days=400)


def make_gateway(soap_url: str) -> CerGateway:
    return CerGateway(
        GatewayConfig(url=soap_url, context=CONTEXT, connect_timeout=2.0, read_timeout=20.0)
    )


def window() -> tuple[dt.datetime, dt.datetime]:
    today = dt.datetime.now(WARSAW).date()
    return dt.datetime.combine(today, dt.time(0), WARSAW), dt.datetime.combine(
        today, dt.time(0), WARSAW
    ) + FAR


def mirror(repos: Repositories, gateway: CerGateway, mus_id: str,
           schedule_ids: list[str]) -> dict[str, int]:
    """Create the provider, place, a doctor per schedule, the schedules and every slot CeR
    holds (read back), linked by CeR ids. Returns CeR schedule id -> local schedule id."""
    repos.practice.save_provider(Provider(name="Poradnia Testowa"))
    place_id = repos.practice.add_place(Place(name="Poradnia kardiologiczna", cer_id=mus_id))
    start, end = window()
    mapping: dict[str, int] = {}
    for index, cer_id in enumerate(schedule_ids):
        resource_id = repos.practice.add_resource(
            Resource(kind=ResourceKind.DOCTOR, name=f"lek. Doktor {index}")
        )
        schedule_id = repos.schedules.add(
            Schedule(resource_id=resource_id, place_id=place_id, scope_code="kardiologia",
                     name=f"grafik-{index + 1}", cer_id=cer_id)
        )
        mapping[cer_id] = schedule_id
        slots = gateway.read_slots(cer_id, start, end)
        with atomic(repos.db):
            for slot in slots:
                repos.slots.adopt_from_cer(schedule_id, slot.start, slot.end,
                                           term_kind=slot.term_kind, cer_id=slot.cer_id)
    return mapping


def open_repos(path: Path) -> Repositories:
    return Repositories.open(path)


def disagreements(repos: Repositories, gateway: CerGateway,
                  schedule_ids: list[str]) -> list[tuple[str, Any, Any]]:
    """Every term where CeR (read over HTTP) and the local store (read through the
    repositories' SQL) differ: (slot, what CeR has, what the store has)."""
    start, end = window()
    found: list[tuple[str, Any, Any]] = []
    for cer_schedule in schedule_ids:
        local_schedule = repos.schedules.by_cer_id(cer_schedule)
        assert local_schedule is not None and local_schedule.id is not None
        first, last = start.date(), end.date()
        live = {row.visit.slot_id: row
                for row in repos.visits.live_in_schedule(local_schedule.id, first, last)}
        for slot in gateway.read_slots(cer_schedule, start, end):
            cer_visits = sorted(v.cer_id for v in slot.visits if not v.cancelled)
            local_slot = repos.slots.by_cer_id(slot.cer_id)
            if local_slot is None:
                found.append((slot.cer_id, cer_visits, None))
                continue
            row = live.get(local_slot.id)
            local_visits = [row.visit.cer_id] if row else []
            local_state = str(local_slot.state)
            cer_state = "booked" if cer_visits else "free"
            if cer_visits != local_visits or cer_state != local_state:
                found.append((slot.cer_id, (cer_state, cer_visits), (local_state, local_visits)))
            elif row is not None and row.patient_key != next(
                v.patient.identifier.key for v in slot.visits if not v.cancelled
            ):
                found.append((slot.cer_id, "patient", row.patient_key))
    return found
