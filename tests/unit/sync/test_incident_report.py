"""Overlap detection and the ready-to-send report for CeR's technical support."""

from __future__ import annotations

import csv
import datetime as dt
import io

from push_bodies import START, push_body

from recepcja.cer.push import parse_push_notification
from recepcja.cer.types import CerSlot, CerSlotState
from recepcja.domain.model import TermKind
from recepcja.sync.incidents import (
    CER,
    OVERBOOKED,
    OVERLAPPING,
    SUPPORT_ADDRESS,
    IncidentReport,
    find_cer_incidents,
)


def visit(number: int, slot: str = "SLT-5", start=START, minutes: int = 30):
    body = push_body(f"NOT-{number}", visit=f"WIZ-{number}", slot=slot, start=start,
                     minutes=minutes)
    return parse_push_notification(body).visit


def slot(cer_id: str, visits, start=START, minutes: int = 30) -> CerSlot:
    return CerSlot(cer_id, None, "HRM-1", start, start + dt.timedelta(minutes=minutes),
                   TermKind.DEFAULT_PROCEDURE, CerSlotState.BOOKED, tuple(visits))


def test_three_visits_on_one_term_are_one_incident_naming_all_three():
    cer = {"HRM-1": [slot("SLT-5", [visit(1), visit(2), visit(3)]),
                     slot("SLT-6", [visit(4, "SLT-6", START + dt.timedelta(hours=1))],
                          START + dt.timedelta(hours=1))]}
    (incident,) = find_cer_incidents(cer)
    assert (incident.where, incident.kind, incident.schedule) == (CER, OVERBOOKED, "HRM-1")
    assert [v.cer_id for v in incident.visits] == ["WIZ-1", "WIZ-2", "WIZ-3"]
    assert "IKP" in incident.how
    report = IncidentReport([incident], created_at=dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC),
                            provider="Poradnia", place_cer_id="MUS-1")
    text = report.text()
    assert text.startswith(f"Do: {SUPPORT_ADDRESS}")
    assert "2030-03-04, godz. 08:00-08:30" in text and "HRM-1" in text
    assert all(f"WIZ-{n}" in text for n in (1, 2, 3))
    assert "44051401359" not in text and "Kamińska" not in text  # no health data in e-mail
    rows = list(csv.DictReader(io.StringIO(report.csv_text()), delimiter=";"))
    assert [r["id_wizyty"] for r in rows] == ["WIZ-1", "WIZ-2", "WIZ-3"]
    assert {r["data"] for r in rows} == {"2030-03-04"} and {r["od"] for r in rows} == {"08:00"}


def test_overlapping_booked_terms_and_cancelled_visits():
    cancelled = parse_push_notification(
        push_body("NOT-9", "portal_cancel", visit="WIZ-9", slot="SLT-7", version=2)
    ).visit
    later = START + dt.timedelta(minutes=15)
    cer = {"HRM-1": [slot("SLT-5", [visit(1)]),
                     slot("SLT-6", [visit(2, "SLT-6", later)], later),
                     slot("SLT-7", [visit(3, "SLT-7"), cancelled])]}
    kinds = sorted(i.kind for i in find_cer_incidents(cer))
    assert kinds == [OVERLAPPING, OVERLAPPING, OVERLAPPING]  # 5/6, 5/7, 6/7; 7 not overbooked


def test_report_files(tmp_path):
    (incident,) = find_cer_incidents({"HRM-1": [slot("SLT-5", [visit(1), visit(2)])]})
    report = IncidentReport([incident], created_at=dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC))
    text_path, csv_path = report.write(tmp_path)
    assert text_path.read_text(encoding="utf-8") == report.text()
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read UTF-8
    assert report.to_json()["files"] == [str(text_path), str(csv_path)]
