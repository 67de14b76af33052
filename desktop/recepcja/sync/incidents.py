"""Overlaps - "two or three patients on the same hour" - and the incident report for CeR's support.

The FAQ asks facilities to report such cases to CeR's technical support
(e-rejestracja@cez.gov.pl) with concrete examples: dates, hours, the schedule and the visit
identifiers. ``find_cer_incidents`` and ``find_local_incidents`` detect them (with
``domain.overlaps``); ``IncidentReport`` turns them into a ready-to-send Polish message and a CSV
attachment (``write``).

The message is always Polish, whatever the interface language: it goes to CeZ, not to the desk,
so its text is deliberately not in the translation catalog. It names visits by CeR's and our
identifiers, never by PESEL or name: identifiers are what support asks for, and an e-mail is no
place for health data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recepcja.cer.types import VISIT_SOURCE_TO_WIRE, CerSlot, CerVisit
from recepcja.config.private_files import private_folder, write_file
from recepcja.domain.cell_text import neutralise
from recepcja.domain.model import WARSAW
from recepcja.domain.overlaps import find_overbooked, find_slot_overlaps

SUPPORT_ADDRESS = "e-rejestracja@cez.gov.pl"

CER = "CeR"
LOCAL = "local"

OVERBOOKED = "overbooked_slot"  # one term, several live visits
OVERLAPPING = "overlapping_slots"  # two booked terms of one schedule / resource share time


@dataclass(frozen=True, slots=True)
class IncidentVisit:
    cer_id: str | None
    visit_uid: str | None
    slot_cer_id: str | None
    source: str  # CeR's wire name (IKP, PLACOWKA, ...) or the local source
    changed_at: dt.datetime | None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    where: str  # CER or LOCAL
    kind: str  # OVERBOOKED or OVERLAPPING
    schedule: str  # CeR schedule id (or the local schedule's name)
    start: dt.datetime
    end: dt.datetime
    visits: tuple[IncidentVisit, ...]
    how: str  # how it arose, in Polish

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "kind": self.kind,
            "schedule": self.schedule,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "visits": [
                {
                    "cer_id": v.cer_id,
                    "visit_uid": v.visit_uid,
                    "slot": v.slot_cer_id,
                    "source": v.source,
                    "changed_at": v.changed_at.isoformat() if v.changed_at else None,
                }
                for v in self.visits
            ],
            "how": self.how,
        }


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(WARSAW)


def _from_cer(visit: CerVisit) -> IncidentVisit:
    return IncidentVisit(
        cer_id=visit.cer_id,
        visit_uid=visit.visit_uid,
        slot_cer_id=visit.slot_cer_id,
        source=VISIT_SOURCE_TO_WIRE.get(visit.source, str(visit.source)),
        changed_at=visit.changed_at,
        start=visit.start,
        end=visit.end,
    )


def _how_cer(visits: Iterable[IncidentVisit], overlapping: bool = False) -> str:
    listed = ", ".join(
        f"{v.cer_id} ({v.source}, {_local(v.changed_at):%Y-%m-%d %H:%M:%S})"
        if v.changed_at
        else f"{v.cer_id} ({v.source})"
        for v in visits
    )
    if overlapping:
        return (
            "CeR przechowuje nakładające się terminy tego samego harmonogramu i przyjął na nie "
            f"rezerwacje: {listed}."
        )
    return (
        "CeR przyjął więcej niż jedną rezerwację tego samego terminu (kolejne rezerwacje "
        f"zostały przyjęte mimo zajętego terminu): {listed}."
    )


def find_cer_incidents(cer_slots: Mapping[str, list[CerSlot]]) -> list[Incident]:
    """Overbooked terms and overlapping booked terms in what CeR returned (per schedule)."""
    found: list[Incident] = []
    for schedule, slots in cer_slots.items():
        live = {slot.cer_id: [v for v in slot.visits if not v.cancelled] for slot in slots}
        by_id = {slot.cer_id: slot for slot in slots}
        for over in find_overbooked({cid: [v.cer_id for v in vs] for cid, vs in live.items()}):
            slot = by_id[over.slot]
            visits = tuple(_from_cer(v) for v in live[slot.cer_id])
            found.append(
                Incident(CER, OVERBOOKED, schedule, slot.start, slot.end, visits, _how_cer(visits))
            )
        booked = [slot for slot in slots if live[slot.cer_id]]
        for pair in find_slot_overlaps(booked, schedule_of=lambda s: s.schedule_cer_id):
            visits = tuple(
                _from_cer(v) for v in (*live[pair.first.cer_id], *live[pair.second.cer_id])
            )
            found.append(
                Incident(
                    CER, OVERLAPPING, schedule, pair.start, pair.end, visits, _how_cer(visits, True)
                )
            )
    return found


def find_local_incidents(
    rows: Iterable[tuple[Any, str, Any]],
) -> list[Incident]:
    """Two live local visits of one resource (doctor, device) at overlapping times, across its
    schedules. ``rows``: ``(resource key, schedule label, LiveVisitRow)``. (Within a schedule the
    database itself refuses overlapping terms and a second live visit per term.)"""
    items = list(rows)
    found: list[Incident] = []
    for pair in find_slot_overlaps(
        items,
        schedule_of=lambda item: item[0],
        interval_of=lambda item: (item[2].start, item[2].end),
    ):
        visits = tuple(
            IncidentVisit(
                cer_id=item[2].visit.cer_id,
                visit_uid=item[2].visit.visit_uid,
                slot_cer_id=item[2].slot_cer_id,
                source=str(item[2].visit.source),
                changed_at=item[2].visit.updated_at,
                start=item[2].start,
                end=item[2].end,
            )
            for item in (pair.first, pair.second)
        )
        how = (
            "W lokalnym systemie ten sam zasób ma w tym czasie dwie wizyty w różnych "
            f"harmonogramach ({pair.first[1]}, {pair.second[1]})."
        )
        found.append(
            Incident(
                LOCAL,
                OVERLAPPING,
                f"{pair.first[1]} / {pair.second[1]}",
                pair.start,
                pair.end,
                visits,
                how,
            )
        )
    return found


CSV_COLUMNS = (
    "gdzie",
    "rodzaj",
    "harmonogram",
    "data",
    "od",
    "do",
    "id_slotu",
    "id_wizyty",
    "identyfikator_wizyty",
    "zrodlo",
    "zmieniono",
)


@dataclass(slots=True)
class IncidentReport:
    """The report for CeR's support: ``text()`` (the e-mail) and ``csv_text()`` (attachment)."""

    incidents: list[Incident]
    created_at: dt.datetime
    provider: str = ""
    place_cer_id: str = ""
    paths: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.incidents)

    def visit_ids(self) -> list[str]:
        return [v.cer_id or v.visit_uid or "?" for i in self.incidents for v in i.visits]

    def subject(self) -> str:
        return (
            "Zgłoszenie: wielu pacjentów w tym samym terminie, liczba przypadków: "
            f"{len(self.incidents)}"
            + (f" - MUŚ {self.place_cer_id}" if self.place_cer_id else "")
        )

    def text(self) -> str:
        lines = [
            f"Do: {SUPPORT_ADDRESS}",
            f"Temat: {self.subject()}",
            "",
            "Szanowni Państwo,",
            "",
            "system gabinetowy Recepcja wykrył terminy, na które przypada więcej pacjentów, niż "
            "pozwala harmonogram. Zgodnie z zaleceniem CeR przesyłamy konkretne przykłady "
            "(daty, godziny, harmonogram, identyfikatory wizyt). Szczegóły w załączniku CSV.",
            "",
        ]
        if self.provider or self.place_cer_id:
            lines.append(
                f"Świadczeniodawca: {self.provider or '-'}; MUŚ: {self.place_cer_id or '-'}"
            )
            lines.append("")
        for number, incident in enumerate(self.incidents, 1):
            start, end = _local(incident.start), _local(incident.end)
            where = "w CeR" if incident.where == CER else "w systemie lokalnym"
            lines.append(
                f"{number}. {start:%Y-%m-%d}, godz. {start:%H:%M}-{end:%H:%M}, harmonogram "
                f"{incident.schedule}, {where}: liczba wizyt {len(incident.visits)}"
            )
            for visit in incident.visits:
                lines.append(
                    f"   - wizyta {visit.cer_id or '-'} (nasz identyfikator "
                    f"{visit.visit_uid or '-'}), slot {visit.slot_cer_id or '-'}, źródło "
                    f"{visit.source}"
                )
            lines.append(f"   Jak powstało: {incident.how}")
            lines.append("")
        lines += [
            f"Raport wygenerowano {_local(self.created_at):%Y-%m-%d %H:%M} (czas polski).",
            "Prosimy o wyjaśnienie i korektę danych w CeR.",
            "",
            "Z poważaniem",
        ]
        return "\n".join(lines) + "\n"

    def csv_rows(self) -> list[list[str]]:
        rows: list[list[str]] = []
        for incident in self.incidents:
            for visit in incident.visits:
                start = _local(visit.start or incident.start)
                end = _local(visit.end or incident.end)
                rows.append(
                    [
                        incident.where,
                        incident.kind,
                        incident.schedule,
                        f"{start:%Y-%m-%d}",
                        f"{start:%H:%M}",
                        f"{end:%H:%M}",
                        visit.slot_cer_id or "",
                        visit.cer_id or "",
                        visit.visit_uid or "",
                        visit.source,
                        visit.changed_at.isoformat() if visit.changed_at else "",
                    ]
                )
        return rows

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        # No cell may be read as a formula by the spreadsheet that opens the attachment.
        writer.writerows([neutralise(cell) for cell in row] for row in self.csv_rows())
        return buffer.getvalue()

    def write(self, folder: Path) -> list[Path]:
        """Write ``<stamp>.txt`` (the message) and ``<stamp>.csv`` (the attachment, UTF-8 with
        BOM so a spreadsheet opens the Polish letters right); returns both paths."""
        private_folder(folder)
        stem = f"zgloszenie-cer-{_local(self.created_at):%Y%m%d-%H%M%S}"
        text_path = folder / f"{stem}.txt"
        csv_path = folder / f"{stem}.csv"
        # The app's own report files (private; a second report in the same second replaces it).
        write_file(text_path, self.text().encode("utf-8"), overwrite=True)
        write_file(csv_path, self.csv_text().encode("utf-8-sig"), overwrite=True)
        self.paths = [text_path, csv_path]
        return self.paths

    def to_json(self) -> dict[str, Any]:
        return {
            "support_address": SUPPORT_ADDRESS,
            "subject": self.subject(),
            "incidents": [incident.to_json() for incident in self.incidents],
            "files": [str(path) for path in self.paths],
        }
