"""Helpers of the emergency-mode tests: a local practice that mirrors the onboarded simulator
(schedules and slots with CeR's ids), a gateway on it, valid PESELs, a fault switch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soap_raw

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from support import practice as practice_stack


def pesels(count: int, start: int = 0) -> list[str]:
    return practice_stack.pesels(count, start, born=dt.date(1960, 1, 1))


def gateway(soap_url: str, *, read_timeout: float = 5.0) -> CerGateway:
    ctx = soap_raw.DEFAULT_CONTEXT
    return CerGateway(GatewayConfig(
        url=soap_url,
        context=CallContext(ctx["idPodmiotuOidRoot"], ctx["idPodmiotuOidExt"],
                            ctx["rolaBiznesowa"], ctx["idUzytkownikaOidExt"], ""),
        connect_timeout=2.0,
        read_timeout=read_timeout,
    ))


@dataclass
class LocalPractice:
    place_id: int
    schedule_ids: list[int]  # local ids, in the order of place.schedule_ids (CeR)


def mirror_practice(repos: Repositories, place: soap_raw.OnboardedPlace,
                    scope: str = soap_raw.CARDIOLOGY) -> LocalPractice:
    """Local provider, place, doctors, schedules and slots with the CeR ids of ``place``."""
    repos.practice.save_provider(Provider("Przychodnia Serce"))
    place_id = repos.practice.add_place(Place("Poradnia kardiologiczna", cer_id=place.mus_id,
                                              scopes=[scope]))
    schedule_ids = []
    for index, cer_schedule in enumerate(place.schedule_ids):
        resource_id = repos.practice.add_resource(
            Resource(ResourceKind.DOCTOR, f"lek. Lekarz {index + 1}"))
        schedule_id = repos.schedules.add(Schedule(resource_id, place_id, scope,
                                                   f"grafik-{index + 1}", cer_id=cer_schedule))
        triples = place.slots[cer_schedule]
        repos.slots.add_many(schedule_id, [SlotSpec(start, end) for _, start, end in triples])
        by_start = {slot.start: slot.id for slot in repos.slots.for_days(
            schedule_id, triples[0][1].date() - dt.timedelta(days=1),
            triples[-1][1].date() + dt.timedelta(days=1))}
        repos.slots.mark_published([(by_start[start], cer_id) for cer_id, start, _ in triples])
        schedule_ids.append(schedule_id)
    return LocalPractice(place_id, schedule_ids)


def add_patient(repos: Repositories, pesel: str, index: int) -> int:
    return repos.patients.add(Patient(PatientIdentifier(pesel=pesel), f"Imię{chr(65 + index % 26)}",
                                      f"Nazwisko{chr(65 + index % 26)}", phone="+48601234567"),
                              "ania")


def cer_visits(sim: Any) -> list[dict[str, Any]]:
    return sim.state(sections="visits")["visits"]


def open_repos(path: Path) -> Repositories:
    return Repositories.open(path)
