"""Acceptance of issue 6, end to end over HTTP: CeR goes down mid-day, 20 patients are booked
locally, portal patients take 5 of those terms in CeR, the queue is exported and read back,
CeR returns, the replay books every entry exactly once (or on the waiting list), the 5 land on
the call list, nothing is left."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from collections import Counter

import pytest
from emergency_support import add_patient, cer_visits, gateway, pesels
from openpyxl import load_workbook

from recepcja.domain.model import WARSAW, Urgency, VisitState
from recepcja.services import booking
from recepcja.services.call_list import call_list, export_call_list
from recepcja.services.emergency import HEADERS, export_queue, queue_entries
from recepcja.services.outages import export_outages
from recepcja.sync.engine import SyncEngine
from recepcja.sync.monitor import ConnectivityMonitor


def test_outage_queue_export_and_replay(repos, local, onboarded_simulator, tmp_path):
    sim = onboarded_simulator
    ids = pesels(20)
    existing = [add_patient(repos, pesel, i) for i, pesel in enumerate(ids[:10])]

    # Mid-day, CeR goes down; the monitor notices (the desk's banner) after failed probes.
    sim.control("POST", "faults", {"operation": "*", "kind": "down"})
    monitor = ConnectivityMonitor(repos, offline_after=2)
    with gateway(sim.soap_url, read_timeout=2) as gw:
        monitor.probe(gw)
        monitor.probe(gw)
    assert monitor.emergency and booking.in_emergency(repos)

    # 20 bookings: 10 existing patients, 10 new ones (local IDs), all stored at once.
    new = [add_patient(repos, pesel, i + 10) for i, pesel in enumerate(ids[10:])]
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    slots = [s.id for s in repos.slots.free_from(local.schedule_ids[0], start, 20)]
    results = []
    for index, patient_id in enumerate(existing + new):
        urgency = Urgency.URGENT if index % 4 == 0 else Urgency.STABLE
        results.append(booking.book(repos, patient_id, slots[index], urgency, user="ania",
                                    central_request_id=f"ZGL-L{index}"))
    assert all(r.emergency for r in results)
    assert all(r.visit.state == VisitState.PENDING for r in results)
    assert len(queue_entries(repos)) == 20

    # Meanwhile portal patients take 5 of those terms in CeR (the control API still answers).
    stolen = [slots[i] for i in (1, 5, 9, 13, 17)]
    for n, slot_id in enumerate(stolen):
        sim.control("POST", "portal-booking", {"slot": repos.slots.get(slot_id).cer_id,
                                                "pesel": pesels(1, 900 + n)[0]})

    # The queue, exported and read back by a spreadsheet reader.
    path = tmp_path / "kolejka.xlsx"
    assert export_queue(repos, path) == 20
    book_ = load_workbook(path)
    sheet = book_.active
    assert tuple(c.value for c in sheet[1]) == HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 20
    term_col = HEADERS.index("Termin")
    assert all(isinstance(row[term_col], dt.datetime) for row in rows)
    assert {row[HEADERS.index("PESEL lub dokument")] for row in rows} == set(ids)
    assert {row[HEADERS.index("Kategoria medyczna")] for row in rows} == {"pilny", "stabilny"}

    # CeR comes back: the engine's pass probes, then replays everything.
    sim.control("DELETE", "faults")
    engine = SyncEngine(lambda: repos, lambda: gateway(sim.soap_url))
    report = engine.run_once(repos=repos, gateway=gateway(sim.soap_url))
    assert report.stopped_by is None, report.stopped_by
    assert repos.outbox.count_pending() == 0

    # Every entry booked exactly once in CeR, or on the central waiting list.
    visits = [repos.visits.get(r.visit.id) for r in results]
    in_cer = [v for v in cer_visits(sim) if v["visit_uid"]]
    by_uid = Counter(v["visit_uid"] for v in in_cer)
    waiting = {w["entry_uid"] for w in sim.state(sections="waiting_list")["waiting_list"]}
    for visit in visits:
        if visit.state == VisitState.CONFIRMED:
            assert by_uid[visit.visit_uid] == 1
            [cer] = [v for v in in_cer if v["visit_uid"] == visit.visit_uid]
            assert cer["id"] == visit.cer_id
            assert cer["slot"] == repos.slots.get(visit.slot_id).cer_id
        else:
            assert visit.state == VisitState.WAITING_LIST and visit.visit_uid in waiting
    # No term holds two live visits in CeR.
    live = Counter(v["slot"] for v in cer_visits(sim) if v["state"] != "ANULOWANA")
    assert max(live.values()) == 1

    # The 5 whose terms were taken are on the call list, nobody else.
    calls = call_list(repos)
    stolen_visits = {r.visit.id for r in results if r.visit.slot_id in stolen}
    assert {item.visit_id for item in calls} == stolen_visits
    assert all(item.lost_term is not None for item in calls)
    assert export_call_list(repos, tmp_path / "telefony.xlsx") == 5

    # The outage is closed and on record with the failed calls.
    [outage] = repos.outages.list()
    assert outage.ended_at is not None and outage.failed_calls >= 2
    assert export_outages(repos, tmp_path / "przerwy.xlsx") == 1
    evidence = load_workbook(tmp_path / "przerwy.xlsx")
    assert evidence.sheetnames == ["Przerwy CeR", "Kolejka awaryjna"]
    assert evidence["Kolejka awaryjna"].max_row == 21
    assert export_outages(repos, tmp_path / "przerwy.pdf") == 1
    assert (tmp_path / "przerwy.pdf").read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "przerwy.pdf"), "-"],
                              check=True, capture_output=True, text=True).stdout
        assert "Przerwy w dostępie do CeR" in text and "brak połączenia" in text
        assert all(pesel in text for pesel in ids)


def test_exported_queue_converts_with_libreoffice(repos, local, tmp_path):
    """A real spreadsheet program reads the file: headers, text, and dates AS dates (the
    date-time format applied by LibreOffice itself)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install "
                    "libreoffice-calc-nogui to check the export with a real spreadsheet program")
    patient = add_patient(repos, pesels(1)[0], 0)
    slot = repos.slots.free_from(local.schedule_ids[0],
                                 dt.datetime.now(dt.UTC) + dt.timedelta(days=2), 1)[0]
    booking.book(repos, patient, slot.id, Urgency.URGENT, user="ania", emergency=True)
    export_queue(repos, tmp_path / "q.xlsx")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "q.xlsx")],
                   check=True, timeout=120, capture_output=True)
    with (tmp_path / "q.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == HEADERS
    row = dict(zip(HEADERS, rows[1], strict=True))
    assert row["PESEL lub dokument"] == pesels(1)[0]
    assert row["Kategoria medyczna"] == "pilny" and row["Lp."] == "1"
    local_start = slot.start.astimezone(WARSAW)
    assert row["Termin"] == local_start.strftime("%Y-%m-%d %H:%M")
